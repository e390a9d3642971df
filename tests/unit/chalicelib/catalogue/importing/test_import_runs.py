"""Import runs in process: their records and states, the one-run-at-a-time lock, the failures
they keep, and how the import service advances, requeues and fails a run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.catalogue.importing.export_day import latest_export_day
from chalicelib.catalogue.importing.models import ImportRunModel
from chalicelib.catalogue.importing.runs import ImportRuns
from chalicelib.catalogue.importing.service import RETRY_WHEN_BUSY_SECONDS, CatalogueImports
from chalicelib.catalogue.importing.tmdb_import import ImportProgress, TmdbImporter
from chalicelib.catalogue.rebuild import CatalogueIndexer, RebuildReport
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique


@pytest.fixture
def runs(in_process: Services) -> ImportRuns:
    return in_process.imports.runs


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


# -- runs and their lock -----------------------------------------------------------------------
def test_runs_are_created_queued_and_listed_newest_first(runs: ImportRuns) -> None:
    source = unique("src-")
    older = runs.create(source, ["movie", "tv"], "2026-01-02", 500, "admin-1")
    time.sleep(0.005)  # started_at has millisecond resolution
    newer = runs.create(source, ["tv"], "2026-01-03", None, "admin-2")
    assert [r.run_id for r in runs.recent(source)] == [newer.run_id, older.run_id]
    assert runs.recent(unique("src-")) == []
    stored = runs.get(older.run_id)
    assert (stored.status, stored.kinds, stored.limit, stored.started_by) == (
        "QUEUED", "movie,tv", 500, "admin-1")
    assert stored.finished_at is None and stored.counts == {}


def test_an_unknown_run_is_not_found(runs: ImportRuns) -> None:
    with pytest.raises(AppError) as refused:
        runs.get(unique("no-run-"))
    assert refusal(refused) == (404, "import_not_found")


def test_a_finished_run_gets_its_end_time_and_a_bounded_message(runs: ImportRuns) -> None:
    run = runs.create(unique("src-"), ["movie"], "2026-01-02", None, "admin")
    runs.update(run, status="RUNNING", counts={"fetched": 10})
    running = runs.get(run.run_id)
    assert (running.status, running.counts) == ("RUNNING", {"fetched": 10})
    assert not running.finished_at
    runs.update(run, status="FAILED", message="x" * 5000)
    failed = runs.get(run.run_id)
    assert failed.status == "FAILED" and failed.finished_at is not None
    assert failed.message == "x" * 1000
    assert failed.counts == {"fetched": 10}  # counts not given are kept


def test_one_run_holds_a_sources_lock_at_a_time(runs: ImportRuns) -> None:
    source, first, second = unique("src-"), unique("run-"), unique("run-")
    runs.acquire(source, first)
    runs.acquire(source, first)  # the holder renews it
    with pytest.raises(AppError) as busy:
        runs.acquire(source, second)
    assert refusal(busy) == (409, "import_running") and first in busy.value.message
    runs.release(source, second)  # not the holder's: nothing happens
    with pytest.raises(AppError):
        runs.acquire(source, second)
    runs.acquire(unique("src-"), second)  # another source's lock is another lock

    runs.release(source, first)
    runs.release(source, first)  # already gone: no error
    runs.acquire(source, second)
    runs.release(source, second)


def test_a_lock_its_run_stopped_renewing_may_be_taken(runs: ImportRuns) -> None:
    source, dead, alive = unique("src-"), unique("run-"), unique("run-")
    ImportRunModel(f"lock#{source}", holder=dead, expires_at=int(time.time()) - 1).save()
    runs.acquire(source, alive)
    with pytest.raises(AppError) as busy:
        runs.acquire(source, dead)
    assert alive in busy.value.message
    runs.release(source, alive)


def test_failures_count_attempts_and_are_listed_per_run_newest_first(runs: ImportRuns) -> None:
    run, other = unique("run-"), unique("run-")
    first_key, second_key = unique("movie:"), unique("tv:")
    runs.fail_item(run, first_key, "HTTP 500", '{"id": 1}')
    time.sleep(0.005)
    runs.fail_item(run, second_key, "bad JSON " + "e" * 3000, "r" * 200_000)
    time.sleep(0.005)
    runs.fail_item(run, first_key, "HTTP 502", '{"id": 1}')  # tried again: the newest
    runs.fail_item(other, unique("movie:"), "elsewhere", "")

    listed = runs.failures(run)
    assert [(f["item"], f["attempts"], f["error"][:8]) for f in listed] == [
        (first_key, 2, "HTTP 502"), (second_key, 1, "bad JSON")]
    assert len(listed[1]["error"]) == 2000 and len(listed[1]["raw"]) == 2000
    runs.clear_item(first_key)
    assert [f["item"] for f in runs.failures(run)] == [second_key]


# -- the import service ------------------------------------------------------------------------
class ScriptedImporter(TmdbImporter):
    """Stands in for the TMDB importer: one scripted outcome per pass, remembering the runs."""

    def __init__(self, outcome: tuple[str, int] | Exception) -> None:  # no TMDB, no S3
        self.outcome = outcome
        self.passes: list[str] = []

    def run(self, run: ImportRunModel, remaining: Callable[[], float] | None = None,
            progress: ImportProgress | None = None) -> tuple[str, int]:
        self.passes.append(run.run_id)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class CountingIndexer(CatalogueIndexer):
    def __init__(self) -> None:  # rebuilds nothing
        self.rebuilds = 0

    def rebuild(self) -> RebuildReport:
        self.rebuilds += 1
        return RebuildReport(titles=42, index_bytes=1, countries=0, mean_vote=None, seconds=0)


class SentMessages:
    """The real queue client, remembering what is sent through it."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.sent: list[tuple[dict[str, Any], int]] = []

    def send_message(self, **kwargs: Any) -> Any:
        self.sent.append((json.loads(kwargs["MessageBody"]), kwargs.get("DelaySeconds", 0)))
        return self.sqs.send_message(**kwargs)


def scripted(in_process: Services, outcome: tuple[str, int] | Exception
             ) -> tuple[CatalogueImports, ScriptedImporter, CountingIndexer, SentMessages]:
    imports = in_process.imports
    importer, indexer, sent = ScriptedImporter(outcome), CountingIndexer(), SentMessages(
        imports.sqs)
    imports.importer, imports.indexer, imports.sqs = lambda: importer, indexer, sent
    return imports, importer, indexer, sent


def test_start_queues_the_run_for_the_worker(in_process: Services) -> None:
    imports = in_process.imports
    run = imports.start(["movie"], date(2026, 3, 4), 100, "admin")
    assert (run["status"], run["export_date"], run["kinds"], run["limit"]) == (
        "QUEUED", "2026-03-04", ["movie"], 100)
    url = imports.queue_url()
    bodies: list[dict[str, Any]] = []
    for _ in range(10):
        messages = imports.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            if body.get("run_id") == run["id"]:
                bodies.append(body)
                imports.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if bodies:
            break
    assert bodies == [{"run_id": run["id"]}]
    before = latest_export_day(datetime.now(UTC)).isoformat()
    without_day = imports.create(["tv"], None, None, "admin")  # TMDB's newest export
    assert without_day["export_date"] in {before,
                                          latest_export_day(datetime.now(UTC)).isoformat()}
    assert imports.status(run["id"])["failures"] == []


def test_a_finished_run_is_not_worked_again(in_process: Services) -> None:
    imports, importer, indexer, sent = scripted(in_process, ("DONE", 5))
    run = imports.create(["movie"], date(2026, 3, 4), None, "admin")
    assert imports.work(run["id"]) == "DONE"
    assert imports.work(run["id"]) == "DONE"
    assert importer.passes == [run["id"]] and indexer.rebuilds == 1 and sent.sent == []


def test_a_done_run_that_changed_titles_rebuilds_search_and_rankings(
        in_process: Services) -> None:
    imports, importer, indexer, _ = scripted(in_process, ("DONE", 3))
    assert importer.passes == []
    run = imports.create(["movie"], date(2026, 3, 4), None, "admin")
    assert imports.work(run["id"]) == "DONE"
    done = imports.status(run["id"])
    assert done["status"] == "DONE" and done["finished_at"] is not None
    assert done["counts"] == {"rebuilt": 1, "indexed_titles": 42}
    assert indexer.rebuilds == 1 and importer.passes == [run["id"]]
    other = unique("next-run-")
    imports.runs.acquire("tmdb", other)  # the lock was released
    imports.runs.release("tmdb", other)


def test_a_run_that_rebuilt_once_does_not_rebuild_for_nothing(in_process: Services) -> None:
    imports, _, indexer, _ = scripted(in_process, ("DONE", 0))
    run = imports.runs.create("tmdb", ["movie"], "2026-03-04", None, "admin")
    imports.runs.update(run, counts={"rebuilt": 1, "fetched": 7})
    assert imports.work(run.run_id) == "DONE"
    assert indexer.rebuilds == 0
    assert imports.status(run.run_id)["counts"] == {"rebuilt": 1, "fetched": 7}


def test_a_paused_run_goes_back_on_the_queue(in_process: Services) -> None:
    imports, importer, indexer, sent = scripted(in_process, ("PAUSED", 10))
    run = imports.create(["movie", "tv"], date(2026, 3, 4), None, "admin")
    assert imports.work(run["id"]) == "PAUSED"
    assert imports.status(run["id"])["status"] == "PAUSED"
    assert sent.sent == [({"run_id": run["id"]}, 0)] and indexer.rebuilds == 0
    assert imports.work(run["id"], requeue=False) == "PAUSED"  # the CLI loops itself
    assert len(sent.sent) == 1 and importer.passes == [run["id"], run["id"]]


def test_a_run_waits_while_another_holds_the_lock(in_process: Services) -> None:
    imports, importer, _, sent = scripted(in_process, ("DONE", 1))
    run = imports.create(["movie"], date(2026, 3, 4), None, "admin")
    holder = unique("other-run-")
    imports.runs.acquire("tmdb", holder)
    try:
        assert imports.work(run["id"]) == "QUEUED"
        assert sent.sent == [({"run_id": run["id"]}, RETRY_WHEN_BUSY_SECONDS)]
        with pytest.raises(AppError) as busy:
            imports.work(run["id"], requeue=False)
        assert refusal(busy) == (409, "import_running") and holder in busy.value.message
    finally:
        imports.runs.release("tmdb", holder)
    assert importer.passes == [] and imports.status(run["id"])["status"] == "QUEUED"


def test_a_run_whose_import_raises_fails_with_the_reason_and_frees_the_lock(
        in_process: Services) -> None:
    imports, _, indexer, sent = scripted(in_process, ValueError("the export is not gzip"))
    run = imports.create(["movie"], date(2026, 3, 4), None, "admin")
    assert imports.work(run["id"]) == "FAILED"
    failed = imports.status(run["id"])
    assert failed["status"] == "FAILED" and failed["message"] == "the export is not gzip"
    assert failed["finished_at"] is not None
    assert indexer.rebuilds == 0 and sent.sent == []
    other = unique("next-run-")
    imports.runs.acquire("tmdb", other)
    imports.runs.release("tmdb", other)
