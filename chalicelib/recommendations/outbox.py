"""Send graph updates to the graph-sync queue; the sync worker applies them to Neo4j.

Writers never talk to Neo4j on a request path: a watch or a registration is a queued message
(a few ms), applied in batches, and retried from the queue while Neo4j is down, so no update
is lost to an outage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.platform.queue_url import LazyQueueUrl
from chalicelib.recommendations.events import (
    ForgetEvent,
    ForgetRow,
    GraphEvent,
    RatingRow,
    RatingsEvent,
    TitleRow,
    TitlesEvent,
    UserRow,
    UsersEvent,
    WatchesEvent,
    WatchRow,
    encode,
)

logger = Logger(service="notflix", child=True)
#: SQS takes 256 KiB a message and 10 messages a batch call.
MAX_MESSAGE_BYTES = 240_000
MAX_BATCH_ENTRIES = 10
ROWS_PER_MESSAGE = 200


class GraphOutbox:
    def __init__(self, sqs: Any, queue_url: str | Callable[[], str]) -> None:
        self.sqs = sqs
        self._queue_url = LazyQueueUrl(queue_url)

    @property
    def queue_url(self) -> str:
        return self._queue_url.get()

    def titles(self, rows: Sequence[TitleRow]) -> None:
        self._send([TitlesEvent(list(part)) for part in _parts(rows)])

    def users(self, rows: Sequence[UserRow]) -> None:
        self._send([UsersEvent(list(part)) for part in _parts(rows)])

    def watches(self, rows: Sequence[WatchRow]) -> None:
        self._send([WatchesEvent(list(part)) for part in _parts(rows)])

    def ratings(self, rows: Sequence[RatingRow]) -> None:
        self._send([RatingsEvent(list(part)) for part in _parts(rows)])

    def forget(self, rows: Sequence[ForgetRow]) -> None:
        self._send([ForgetEvent(list(part)) for part in _parts(rows)])

    def _send(self, events: list[GraphEvent]) -> None:
        bodies = [body for event in events for body in _fitting(event)]
        for start in range(0, len(bodies), MAX_BATCH_ENTRIES):
            entries = [{"Id": str(i), "MessageBody": body.decode()}
                       for i, body in enumerate(bodies[start:start + MAX_BATCH_ENTRIES])]
            sent = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = sent.get("Failed") or []
            for entry in failed:  # throttled or an internal error: once more, singly
                body = entries[int(entry["Id"])]["MessageBody"]
                self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)
        if bodies:
            logger.debug("graph updates queued", messages=len(bodies))


def _parts(rows: Sequence[Any]) -> list[Sequence[Any]]:
    return [rows[i:i + ROWS_PER_MESSAGE] for i in range(0, len(rows), ROWS_PER_MESSAGE)]


def _fitting(event: GraphEvent) -> list[bytes]:
    """The event as one message, or halved until every part fits SQS's size limit."""
    body = encode(event)
    if len(body) <= MAX_MESSAGE_BYTES or len(event.rows) <= 1:
        return [body]
    half = len(event.rows) // 2
    kind: Any = type(event)
    return _fitting(kind(event.rows[:half])) + _fitting(kind(event.rows[half:]))
