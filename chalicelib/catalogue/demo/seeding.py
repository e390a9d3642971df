"""Load the demo catalogue (vega films and generated series) and rebuild what derives from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.catalogue.demo.titles import VEGA_MOVIES, SeedReport, demo_series, vega_records
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


def seed(writer: CatalogueWriter, indexer: CatalogueIndexer, movies: Path = VEGA_MOVIES,
         progress: Callable[[int, int], None] | None = None,
         films: int | None = None) -> SeedResult:
    """Write every demo title (unchanged ones are skipped) and rebuild search and rankings;
    only the first ``films`` films when given (the demo series always)."""
    if not movies.exists():
        raise FileNotFoundError(f"{movies} is missing; `npm ci` installs vega-datasets")
    report = SeedReport()
    kept = list(vega_records(movies, report))
    records = [*(kept if films is None else kept[:films]), *demo_series()]
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, len(records))

    written = writer.upsert(records, advance)
    return SeedResult(report, written, indexer.rebuild())
