"""Start, run and report catalogue imports (TMDB), from the API, the scheduler or the CLI.

The API and the daily schedule only create a run and queue it; a queue worker does the work
within its time budget and queues the run again when the budget runs out, so a first import
of a million ids proceeds over as many invocations as it needs. The CLI runs in-process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.catalogue.importing.export_day import latest_export_day
from chalicelib.catalogue.importing.runs import ImportRuns, public
from chalicelib.catalogue.importing.tmdb_client import TmdbError
from chalicelib.catalogue.importing.tmdb_import import ImportProgress, TmdbImporter
from chalicelib.catalogue.rebuild import CatalogueIndexer
from chalicelib.openapi.responses import ImportRun
from chalicelib.platform.errors import AppError
from chalicelib.platform.logs import child

log = child(__name__)
KINDS = ("movie", "tv")
#: A queued run that finds another one running tries again this much later.
RETRY_WHEN_BUSY_SECONDS = 300


class CatalogueImports:
    def __init__(self, runs: ImportRuns, importer: Callable[[], TmdbImporter],
                 indexer: CatalogueIndexer, sqs: Any, queue_url: Callable[[], str]) -> None:
        self.runs = runs
        self.importer = importer
        self.indexer = indexer
        self.sqs = sqs
        self.queue_url = queue_url

    def create(self, kinds: list[str], day: date | None, limit: int | None,
               started_by: str) -> ImportRun:
        """A run of the TMDB export of `day`; without one, the latest export TMDB has
        published."""
        chosen = day or latest_export_day(datetime.now(UTC))
        run = self.runs.create("tmdb", kinds, chosen.isoformat(), limit, started_by)
        return public(run)

    def start(self, kinds: list[str], day: date | None, limit: int | None,
              started_by: str) -> ImportRun:
        """Create a run and queue it for the worker (API and schedule)."""
        run = self.create(kinds, day, limit, started_by)
        self._enqueue(run["id"])
        return run

    def _enqueue(self, run_id: str, delay_seconds: int = 0) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url(), DelaySeconds=delay_seconds,
                              MessageBody=json.dumps({"run_id": run_id}))

    def status(self, run_id: str) -> ImportRun:
        run = self.runs.get(run_id)
        return {**public(run), "failures": self.runs.failures(run_id)}

    def recent(self) -> list[ImportRun]:
        return [public(r) for r in self.runs.recent("tmdb")]

    def work(self, run_id: str, remaining: Callable[[], float] | None = None,
             progress: ImportProgress | None = None, requeue: bool = True) -> str:
        """Advance a run; PAUSED runs go back on the queue. Returns the run's status."""
        run = self.runs.get(run_id)
        if run.status in ("DONE", "FAILED"):
            return str(run.status)
        try:
            self.runs.acquire("tmdb", run_id)
        except AppError as busy:  # another run holds the lock: wait for it, do not fail
            if not requeue:
                raise
            log.info("import waits for another run", extra={"run_id": run_id,
                                                             "reason": busy.message})
            self._enqueue(run_id, delay_seconds=RETRY_WHEN_BUSY_SECONDS)
            return str(run.status)
        try:
            self.runs.update(run, status="RUNNING")
            status, changed = self.importer().run(run, remaining, progress)
            if status == "DONE" and (changed or not (run.counts or {}).get("rebuilt")):
                report = self.indexer.rebuild()
                run = self.runs.get(run_id)
                counts = {**(run.counts or {}), "rebuilt": 1, "indexed_titles": report.titles}
                self.runs.update(run, counts=counts)
            self.runs.update(run, status=status)
        except (TmdbError, AppError, ValueError, OSError) as exc:
            log.warning("import run failed", extra={"run_id": run_id, "error": str(exc)})
            self.runs.update(run, status="FAILED", message=str(exc))
            return "FAILED"
        finally:
            self.runs.release("tmdb", run_id)
        if status == "PAUSED" and requeue:
            self._enqueue(run_id)
        return status
