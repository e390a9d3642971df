"""Queue workers and schedules: each is its own Lambda function (names in .chalice/config.json)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, Rate, SQSEvent

from chalicelib.platform import logs
from chalicelib.platform.metrics import record_worker
from chalicelib.recommendations.queued import QueuedMessage
from chalicelib.routes.root import services, settings

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=settings.reset_queue, batch_size=10)
def send_reset_mails(event: SQSEvent) -> None:
    """The reset worker: looks each requested email up and mails the link if it has an
    account, out of the request's path (its timing must not reveal accounts)."""
    from chalicelib.auth.reset_requests import ResetRequests

    for record in event:
        services.accounts.send_reset(ResetRequests.email_of(record.body))


@bp.on_sqs_message(queue=settings.import_queue, batch_size=1)
def run_catalogue_import(event: SQSEvent) -> None:
    """The import worker: advances one run within this invocation's time budget."""
    context: Any = event.context
    for record in event:
        run_id = str(json.loads(record.body)["run_id"])
        with logs.log_keys(run_id=run_id):
            status = services.imports.work(run_id, remaining=lambda: (
                context.get_remaining_time_in_millis() / 1000 if context else float("inf")))
        record_worker("catalogue_import", processed=int(status != "FAILED"),
                      failed=int(status == "FAILED"))


@bp.schedule(Cron(0, 9, "*", "*", "?", "*"))
def daily_tmdb_import(event: Any) -> None:
    """Every day at 09:00 UTC, after TMDB publishes the day's export."""
    services.imports.start(["movie", "tv"], None, None, "schedule")  # the latest export


@bp.schedule(Cron(30, 3, "*", "*", "?", "*"))
def similar_titles(event: Any) -> None:
    """Every night at 03:30 UTC: the SIMILAR edges behind "because you watched", recomputed
    from the watch graph (EASE; memory and time in recommendations/similarity_job.py)."""
    services.similarity_job.run()  # logs what it computed; a failure raises (and is retried)


@bp.on_sqs_message(queue=settings.graph_queue, batch_size=10)
def sync_graph(event: SQSEvent) -> None:
    """Graph updates into Neo4j; while it is down the batch comes back later (no loss)."""
    services.graph_worker.handle([QueuedMessage.from_record(r.to_dict()) for r in event])


@bp.schedule(Cron(0, 4, "*", "*", "?", "*"))
def retention_cleanup(event: Any) -> None:
    """Every day at 04:00 UTC: sources and superseded encodes past the retention period."""
    services.retention.run(datetime.now(UTC), settings.retention_days,
                           settings.retention_keep_monthly, dry_run=False)


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def encode_watchdog(event: CloudWatchEvent) -> None:
    """Every minute: encode jobs no worker reports on any more end FAILED with the reason,
    and each message of the encode DLQs ends its job and is stored beside it."""
    context: Any = event.context
    budget = context.get_remaining_time_in_millis() / 1000 - 5 if context else 50.0
    report = services.encode_watchdog.sweep(time.time(), budget_s=budget)
    logs.logger.info("encode watchdog swept", **report.as_dict())
