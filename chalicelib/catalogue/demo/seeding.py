"""Load the demo catalogue (Wikidata's films and generated series) and rebuild what derives
from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.catalogue.demo.titles import SeedReport, demo_series
from chalicelib.catalogue.demo.wikidata import wikidata_records
from chalicelib.catalogue.rebuild import CatalogueIndexer, RebuildReport
from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.catalogue.titles.writer import CatalogueWriter, WriteStats


@dataclass(frozen=True)
class SeedResult:
    source: SeedReport
    written: WriteStats
    rebuilt: RebuildReport


def catalogue_is_empty() -> bool:
    return next(iter(TitleModel.scan(limit=1, attributes_to_get=["id"])), None) is None


def seed(writer: CatalogueWriter, indexer: CatalogueIndexer, movies: Path | None = None,
         progress: Callable[[int, int], None] | None = None,
         films: int | None = None, skip: int = 0) -> SeedResult:
    """Write the demo titles (unchanged ones are skipped) and rebuild search and rankings.

    Films go most reviewed first: ``skip`` passes over the first ones and ``films`` stops
    after that many, so a caller can load the best known at once and the rest later. The
    demo series come with the first part (``skip == 0``).
    """
    report = SeedReport()
    kept = list(wikidata_records(movies, report))
    chosen = kept[skip:] if films is None else kept[skip:skip + films]
    records = [*chosen, *(demo_series() if skip == 0 else [])]
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, len(records))

    written = writer.upsert(records, advance)
    return SeedResult(report, written, indexer.rebuild())
