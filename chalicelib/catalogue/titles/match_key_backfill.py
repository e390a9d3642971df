"""Fill the title-match-keys table for a catalogue written before it existed (never on a
request path: `notflix catalogue match-keys`, and `make run` on such a catalogue)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from chalicelib.catalogue.titles.match_keys import add, keys_of
from chalicelib.catalogue.titles.models import FacetModel, MatchKeyModel
from chalicelib.catalogue.titles.text import title_year_key


def is_empty() -> bool:
    return next(iter(MatchKeyModel.scan(limit=1, attributes_to_get=["key"])), None) is None


def _every_title() -> Iterator[FacetModel]:
    return iter(FacetModel.query("all", page_size=1000))


def backfill(workers: int = 8) -> int:
    """Add every catalogued title to its match keys (idempotent); the titles done.

    For a catalogue written before this table existed: the writer skips unchanged titles,
    so their keys are added here, from the browse index's ``all`` facet (no title scan).
    """
    def index(facet: FacetModel) -> None:
        year = int(facet.year) if facet.year is not None else None
        add(facet.id, keys_of(facet.imdb_id, title_year_key(facet.name, year)))

    done = 0
    with ThreadPoolExecutor(workers, thread_name_prefix="match-keys") as pool:
        for _ in pool.map(index, _every_title()):
            done += 1
    return done
