"""The browse choices: a rebuild counts the catalogue's genres, countries, years and types,
and the reader offers them (and sizes partitions with them) without scanning."""

from __future__ import annotations

from chalicelib.catalogue.rebuild import CatalogueIndexer
from chalicelib.catalogue.titles.browse import CatalogueReader
from chalicelib.catalogue.titles.choices import FacetCounts
from chalicelib.catalogue.titles.choices_store import FacetChoicesStore
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.services import Services
from localcloud.isolation import unique


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_rebuild_counts_the_choices_and_the_store_picks_them_up(
        in_process: Services) -> None:
    genre = unique("Choice-")
    records = [TitleRecord(id=unique("c-"), kind="film", name=f"Choice {n}",
                           source="generated", year=1877,
                           # one title spells the genre in lower case: still one choice
                           genres=(genre if n else genre.lower(), "Drama"),
                           countries=("NR", "TV") if n == 0 else ("NR",))
               for n in range(3)]
    in_process.catalogue_writer.upsert(records)
    s3, bucket, clock = in_process.resources.s3, unique("choices-"), Clock()
    s3.create_bucket(Bucket=bucket)
    store = FacetChoicesStore(s3, bucket, 60, clock=clock)
    assert store.counts() == FacetCounts() and not store.counts().known  # no rebuild yet

    CatalogueIndexer(s3, bucket, None).rebuild()
    assert not store.counts().known  # checked a moment ago: not asked again yet
    clock.now += 60
    counts = store.counts()
    assert counts.known and counts.titles >= 3
    choice = next(c for c in counts.genre_choices() if c.value.casefold() == genre.casefold())
    assert (choice.value, choice.label, choice.count) == (genre, genre, 3)
    assert counts.genre_spellings(genre.upper()) == sorted([genre, genre.lower()])
    assert counts.size(f"genre#{genre.lower()}") == 3
    assert (counts.size("year#1877") or 0) >= 3
    nauru = next(c for c in counts.country_choices() if c.value == "NR")
    assert nauru.label == "Nauru" and nauru.count >= 3
    labels = [c.label for c in counts.country_choices()]
    assert labels == sorted(labels, key=str.casefold)

    # the reader sizes partitions with the counts and matches every spelling of a genre
    reader = CatalogueReader(in_process.settings.image_base_url, store.counts)
    cards, cursor = reader.browse(Filters(genre=genre.upper(), year=1877), 10, None)
    assert sorted(card["id"] for card in cards) == sorted(r.id for r in records)
    assert cursor is None
