"""Import TMDB: stream the day's ID export, fetch details of new or stale ids, upsert them.

One run covers films, series or both. For each kind it streams the export (never holding it
in memory), keeps only ids the fetch state says are new or stale, fetches their details
through the rate-limited client with a few workers, maps and upserts them in batches, and
records what could not be fetched or mapped in the failures table. Every few seconds it
checkpoints: the fetch state to S3, the counts to the run record. A run told to stop (its
time budget is nearly spent) finishes what is in flight, checkpoints and reports PAUSED;
the next run, or the same run resumed, skips what is already done.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from chalicelib.catalogue.importing.fetch_state import FetchState, FetchStateStore, day_number
from chalicelib.catalogue.importing.models import ImportRunModel
from chalicelib.catalogue.importing.runs import ImportRuns
from chalicelib.catalogue.importing.tmdb_client import (
    ExportKind,
    TmdbClient,
    TmdbError,
    TmdbNotFound,
)
from chalicelib.catalogue.importing.tmdb_export import ExportStats, open_export, parse_lines
from chalicelib.catalogue.importing.tmdb_mapping import MappingError, movie_record, series_record
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.catalogue.titles.writer import CatalogueWriter
from chalicelib.platform.logs import child

log = child(__name__)
CHECKPOINT_SECONDS = 10.0
BATCH = 50
#: Stop taking new ids when less than this much of the time budget is left.
SAFETY_SECONDS = 60.0


class ImportProgress(Protocol):
    def start(self, kind: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class _Silent:
    def start(self, kind: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclass
class Counts:
    lines: int = 0
    kept: int = 0
    bad_lines: int = 0
    skipped_adult_or_video: int = 0
    up_to_date: int = 0
    to_fetch: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    not_found: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Counts:
        return cls(**{k: int(v) for k, v in raw.items() if k in cls.__dataclass_fields__})


ClientFactory = Callable[[], AbstractAsyncContextManager[TmdbClient]]


class TmdbImporter:
    def __init__(self, client: ClientFactory, states: FetchStateStore, runs: ImportRuns,
                 writer: CatalogueWriter, stale_days: int, workdir: Path,
                 workers: int = 8) -> None:
        self.client = client
        self.states = states
        self.runs = runs
        self.writer = writer
        self.stale_days = stale_days
        self.workdir = workdir
        self.workers = workers

    def run(self, run: ImportRunModel, remaining: Callable[[], float] | None = None,
            progress: ImportProgress | None = None) -> tuple[str, int]:
        """Work on `run` until done or out of time: (PAUSED or DONE, titles changed)."""
        return asyncio.run(self._run(run, remaining, progress or _Silent()))

    async def _run(self, run: ImportRunModel, remaining: Callable[[], float] | None,
                   progress: ImportProgress) -> tuple[str, int]:
        day = date.fromisoformat(run.export_date or "")
        counts = Counts()  # this pass's counts; added to the run's stored ones at checkpoints
        base = Counts.from_dict(run.counts or {})
        budget = _Budget(run.limit, base.fetched + base.failed + base.not_found)
        paused = False
        async with self.client() as client:
            for kind in (run.kinds or "").split(","):
                if kind not in ("movie", "tv"):
                    continue
                finished = await _KindImport(self, client, run, kind, day, counts, base,
                                             budget, remaining, progress).go()
                if not finished:
                    paused = True
                    break
        changed = counts.created + counts.updated
        self.runs.update(run, counts=_merge(base, counts).as_dict())
        return ("PAUSED" if paused else "DONE"), changed


def _merge(base: Counts, extra: Counts) -> Counts:
    merged = Counts()
    for name in Counts.__dataclass_fields__:
        if name in ("lines", "kept", "bad_lines", "skipped_adult_or_video", "up_to_date",
                    "to_fetch"):
            setattr(merged, name, max(getattr(base, name), getattr(extra, name)))
        else:
            setattr(merged, name, getattr(base, name) + getattr(extra, name))
    return merged


@dataclass
class _Budget:
    limit: Any
    used: int

    def take(self) -> bool:
        if self.limit is None:
            return True
        if self.used >= int(self.limit):
            return False
        self.used += 1
        return True


class _KindImport:
    """One kind (films or series) of one run."""

    def __init__(self, owner: TmdbImporter, client: TmdbClient, run: ImportRunModel,
                 kind: str, day: date, counts: Counts, base: Counts, budget: _Budget,
                 remaining: Callable[[], float] | None, progress: ImportProgress) -> None:
        self.owner = owner
        self.client = client
        self.run = run
        self.kind: ExportKind = "movie" if kind == "movie" else "tv"
        self.day = day
        self.counts = counts
        self.base = base
        self.budget = budget
        self.remaining = remaining
        self.progress = progress
        self.today = day_number(day)
        self.pending: list[tuple[int, TitleRecord]] = []
        self.failures: list[tuple[str, str, str]] = []
        self.lock = asyncio.Lock()
        self.state = FetchState()
        self.checkpointed = time.monotonic()
        self.out_of_time = False

    async def go(self) -> bool:
        """True when every id of this kind was handled; False when the time ran out."""
        owner = self.owner
        # Kept while the run is unfinished (a resumed run reads it again), removed after.
        path = self.owner.workdir / f"{self.run.run_id}-{self.kind}-{self.day.isoformat()}.json.gz"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            await self.client.download_export(self.kind, self.day, path)
        self.state = await asyncio.to_thread(owner.states.load, self.kind)
        todo = await asyncio.to_thread(self._diff, path)
        self.progress.start(self.kind, len(todo))
        ids = iter(todo)
        await asyncio.gather(*(self._worker(ids) for _ in range(owner.workers)))
        await self._flush(force=True)
        await self._checkpoint()
        if not self.out_of_time:
            path.unlink(missing_ok=True)
        return not self.out_of_time

    def _diff(self, path: Path) -> array[int]:
        stats = ExportStats()
        todo = array("I")  # 4 bytes an id: a million ids to fetch take 4 MB
        needs, today, stale = self.state.needs, self.today, self.owner.stale_days
        with open_export(path) as lines:
            for entry in parse_lines(lines, stats):
                if needs(entry.tmdb_id, today, stale):
                    todo.append(entry.tmdb_id)
        counts = self.counts
        counts.lines += stats.lines
        counts.kept += stats.kept
        counts.bad_lines += len(stats.bad)
        counts.skipped_adult_or_video += stats.skipped_adult_or_video
        counts.up_to_date += stats.kept - len(todo)
        counts.to_fetch += len(todo)
        prefix = f"export:{self.kind}:{self.day.isoformat()}:line"
        for bad in stats.bad:
            self.owner.runs.fail_item(self.run.run_id, f"{prefix}:{bad.line_number}",
                                      bad.reason, bad.raw.decode("utf-8", "replace"))
        return todo

    async def _worker(self, ids: Iterator[int]) -> None:
        fetch = self.client.movie if self.kind == "movie" else self.client.series
        to_record = movie_record if self.kind == "movie" else series_record
        for tmdb_id in ids:
            if self.remaining is not None and self.remaining() < SAFETY_SECONDS:
                self.out_of_time = True
                return
            if not self.budget.take():
                return  # the run's limit is reached: done, not paused
            key = f"{self.kind}:{tmdb_id}"
            try:
                payload = await fetch(tmdb_id)
            except TmdbNotFound:
                self.state.mark(tmdb_id, self.today)  # deleted since the export: done
                self.counts.not_found += 1
                self.progress.advance(1)
                continue
            except TmdbError as exc:
                self._failed(key, f"{type(exc).__name__}: {exc}", exc.body)
                continue
            try:
                record = to_record(payload)
            except MappingError as exc:
                self._failed(key, f"MappingError: {exc}", json.dumps(payload)[:100_000])
                continue
            self.pending.append((tmdb_id, record))
            self.counts.fetched += 1
            await self._flush()

    def _failed(self, key: str, error: str, raw: str) -> None:
        self.failures.append((key, error, raw))
        self.counts.failed += 1
        self.progress.advance(1)

    async def _flush(self, force: bool = False) -> None:
        if not force and len(self.pending) < BATCH and len(self.failures) < BATCH:
            return
        async with self.lock:
            batch, self.pending = self.pending, []
            failures, self.failures = self.failures, []
            if batch:
                stats = await asyncio.to_thread(self.owner.writer.upsert,
                                                [record for _, record in batch])
                failed = {title_id for title_id, _ in stats.failed}
                for title_id, error in stats.failed:
                    failures.append((f"{self.kind}:{title_id.split('-', 1)[-1]}", error, ""))
                for tmdb_id, record in batch:
                    if record.id not in failed:
                        self.state.mark(tmdb_id, self.today)
                self.counts.created += stats.created
                self.counts.updated += stats.updated
                self.counts.unchanged += stats.unchanged
                self.counts.failed += len(failed)
                self.progress.advance(len(batch))
            for key, error, raw in failures:
                await asyncio.to_thread(self.owner.runs.fail_item, self.run.run_id, key,
                                        error, raw)
            if time.monotonic() - self.checkpointed >= CHECKPOINT_SECONDS:
                await self._checkpoint_locked()

    async def _checkpoint(self) -> None:
        async with self.lock:
            await self._checkpoint_locked()

    async def _checkpoint_locked(self) -> None:
        self.checkpointed = time.monotonic()
        owner = self.owner
        await asyncio.to_thread(owner.states.save, self.kind, self.state)
        await asyncio.to_thread(owner.runs.update, self.run,
                                counts=_merge(self.base, self.counts).as_dict())
        await asyncio.to_thread(owner.runs.acquire, "tmdb", self.run.run_id)

