"""The maturity gate: what a profile with a ceiling may see and play.

Every route that names, lists or plays titles passes its answer through here when the
caller's profile has a ceiling (kids profiles); others pay nothing. A title's rating is
read with its id only (a batched read of two attributes), so the gate is exact however the
list was made (a browse partition, the search index, the graph, Redis rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.platform.errors import catalogued
from chalicelib.profiles import maturity

T = TypeVar("T")
#: Pages of a listing read to fill one page for a kids profile (most of the catalogue is
#: unrated, so a page of everything may hold few titles it may see).
FILL_PAGES = 6
MAX_ID_LENGTH = 512


def title_id_of(item: Any) -> str:
    """The title an answer's entry is about: a card (``id``) or an entry holding one."""
    if isinstance(item, dict):
        if isinstance(item.get("title"), dict) and "id" in item["title"]:
            return str(item["title"]["id"])
        return str(item.get("id") or item.get("title_id") or "")
    return str(getattr(item, "id", ""))


class MaturityGate:
    def levels(self, title_ids: Iterable[str]) -> dict[str, int | None]:
        """Each title's level (None: unrated); ids that are no title are left out."""
        # no title id is longer (DynamoDB would refuse an over-long key with a 400)
        ids = list(dict.fromkeys(i for i in title_ids if i and len(i) <= MAX_ID_LENGTH))
        found: dict[str, int | None] = {}
        for start in range(0, len(ids), 100):
            for item in TitleModel.batch_get(
                    ids[start:start + 100],
                    attributes_to_get=["id", "maturity", "admin_maturity"]):
                found[item.id] = maturity.level(item.maturity_rating)
        return found

    def visible(self, items: Sequence[T], ceiling: int | None,
                id_of: Callable[[Any], str] = title_id_of) -> list[T]:
        """The entries of ``items`` this ceiling lets through, in their order."""
        if ceiling is None or not items:
            return list(items)
        levels = self.levels(id_of(i) for i in items)
        return [i for i in items if maturity.allowed(levels.get(id_of(i)), ceiling)]

    def require(self, title_id: str, ceiling: int | None) -> None:
        """403 ``above_maturity`` unless this ceiling lets the title through (an unknown
        title passes: the caller's own lookup answers its 404). Where the title has been
        read already, :func:`maturity.check` its rating instead."""
        if ceiling is None:
            return
        levels = self.levels([title_id])
        if title_id in levels and not maturity.allowed(levels[title_id], ceiling):
            raise catalogued("above_maturity")

    def fill(self, fetch: Callable[[str | None], tuple[list[T], str | None]], limit: int,
             cursor: str | None, ceiling: int | None) -> tuple[list[T], str | None]:
        """A page of a cursor-paged listing holding only what the ceiling lets through:
        further pages are read (up to ``FILL_PAGES``) until ``limit`` are found; the cursor
        goes on from the last page read."""
        page, cursor = fetch(cursor)
        if ceiling is None:
            return page, cursor
        kept = self.visible(page, ceiling)
        reads = 1
        while len(kept) < limit and cursor and reads < FILL_PAGES:
            page, cursor = fetch(cursor)
            kept += self.visible(page, ceiling)
            reads += 1
        return kept, cursor
