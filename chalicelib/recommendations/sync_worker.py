"""The graph-sync queue's consumer: decode a batch, apply it, or hand it back for later.

While Neo4j is down or failing, every message of the batch is made invisible for a growing
delay (``base`` seconds, doubled per receive, at most ``cap``) and the batch fails, so the
messages come back after the delay and none is lost; the queue's DLQ receives only what
failed ``maxReceiveCount`` times. A message that is not a graph event is logged and dropped.

Once a batch's watches are in the graph, ``on_watched`` is told whose (the recommendation
cache drops their answers: one computed while the watch was still queued is stale).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.platform.metrics import record_worker
from chalicelib.recommendations.events import BadEvent, GraphEvent, WatchesEvent, decode
from chalicelib.recommendations.queued import QueuedMessage
from chalicelib.recommendations.sync import GraphSync

logger = Logger(service="notflix", child=True)
#: The ``worker`` dimension of this consumer's metrics.
WORKER = "graph_sync"


class GraphUnavailable(RuntimeError):
    """Neo4j refused the batch; its messages return to the queue after a delay."""


@dataclass(frozen=True)
class RetryDelay:
    base_s: int = 5
    cap_s: int = 900

    def after(self, receive_count: int) -> int:
        return int(min(self.cap_s, self.base_s * 2 ** max(0, min(receive_count - 1, 20))))


class GraphSyncWorker:
    def __init__(self, sync: GraphSync, sqs: Any, queue_url: str,
                 delay: RetryDelay | None = None,
                 on_watched: Callable[[set[str]], None] | None = None) -> None:
        self.sync = sync
        self.sqs = sqs
        self.queue_url = queue_url
        self.delay = delay or RetryDelay()
        self.on_watched = on_watched

    def handle(self, messages: Sequence[QueuedMessage]) -> dict[str, int]:
        events: list[GraphEvent] = []
        for message in messages:
            try:
                events.append(decode(message.body))
            except BadEvent as exc:
                logger.error("not a graph event; dropped", reason=str(exc)[:300])
        dropped = len(messages) - len(events)
        if not events:
            record_worker(WORKER, processed=0, dropped=dropped)
            return {}
        try:
            written = self.sync.apply(events)
        except Exception as exc:  # the driver's errors: unavailable, timeouts, deadlocks
            self._hold_back(messages)
            logger.warning("graph sync failed; messages retried later",
                           error=type(exc).__name__, messages=len(messages))
            record_worker(WORKER, processed=0, failed=len(messages))
            raise GraphUnavailable(f"graph sync failed: {type(exc).__name__}") from exc
        logger.info("graph synced", extra={"rows": written})
        record_worker(WORKER, processed=len(events), dropped=dropped)
        self._tell_watched(events)
        return written

    def _tell_watched(self, events: Sequence[GraphEvent]) -> None:
        users = {row.user for event in events if isinstance(event, WatchesEvent)
                 for row in event.rows}
        if not users or self.on_watched is None:
            return
        try:
            self.on_watched(users)
        except Exception as exc:  # the watches stand; cached answers expire on their own
            logger.warning("recommendation caches not dropped", error=type(exc).__name__,
                           users=len(users))

    def _hold_back(self, messages: Sequence[QueuedMessage]) -> None:
        for message in messages:
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle,
                    VisibilityTimeout=self.delay.after(message.receive_count))
            except Exception as exc:  # the queue's own visibility timeout applies instead
                logger.warning("could not delay a message", error=type(exc).__name__)
