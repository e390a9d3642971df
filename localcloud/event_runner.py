"""Lambda's SQS event source mapping, emulated for the local stack.

For each mapping a poller thread long-polls the queue, hands the handler an event of
exactly the shape Lambda sends, and then, like Lambda with ``ReportBatchItemFailures``:

- handler returned normally with no ``batchItemFailures``: every message is deleted;
- handler returned ``batchItemFailures``: only the others are deleted; the listed ones
  reappear after the queue's visibility timeout (an invalid identifier fails the batch);
- handler raised, or ran past its timeout: nothing is deleted, the whole batch is retried.

Receive counts and redrive to the DLQ after ``maxReceiveCount`` are the queue's own (SQS
does that, here as in AWS), so nothing about them is faked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.logs import logger
from localcloud.lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class EventSourceMapping:
    function_name: str
    queue_name: str
    handler: Handler
    batch_size: int = 1
    maximum_batching_window: float = 0.0
    timeout_seconds: float = 900.0
    memory_mb: int = 1024
    report_batch_item_failures: bool = True


@dataclass(frozen=True)
class BatchOutcome:
    received: int
    deleted: int
    failed: int
    error: str | None = None


class QueuePoller:
    """Polls one queue for one function, the way one event source mapping does."""

    def __init__(self, sqs: Any, mapping: EventSourceMapping, region: str,
                 wait_seconds: int = 1) -> None:
        self.sqs = sqs
        self.mapping = mapping
        self.region = region
        self.wait_seconds = wait_seconds
        self.queue_url: str = sqs.get_queue_url(QueueName=mapping.queue_name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        self.queue_arn: str = attrs["Attributes"]["QueueArn"]

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.mapping.maximum_batching_window
        while len(messages) < self.mapping.batch_size:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size - len(messages)),
                WaitTimeSeconds=self.wait_seconds if not messages else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            messages.extend(batch)
            if not batch or time.monotonic() >= deadline:
                break
        return messages

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }

    def _failed_ids(self, result: Any, batch_ids: set[str]) -> set[str]:
        """Message ids to keep, per Lambda's rules for ReportBatchItemFailures."""
        if not self.mapping.report_batch_item_failures or not isinstance(result, dict):
            return set()
        items = result.get("batchItemFailures")
        if not items:
            return set()
        failed: set[str] = set()
        for item in items:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not identifier or identifier not in batch_ids:
                return batch_ids  # Lambda treats an invalid response as a failed batch
            failed.add(identifier)
        return failed

    def poll_once(self) -> BatchOutcome:
        messages = self._receive()
        if not messages:
            return BatchOutcome(0, 0, 0)
        event = {"Records": [self._record(m) for m in messages]}
        context = LambdaContext(self.mapping.function_name, self.mapping.memory_mb,
                                self.mapping.timeout_seconds, region=self.region)
        batch_ids = {m["MessageId"] for m in messages}
        started = time.monotonic()
        try:
            result = self.mapping.handler(event, context)
        except Exception as exc:
            logger.exception("handler raised; batch will be retried",
                             function=self.mapping.function_name, message_ids=sorted(batch_ids))
            return BatchOutcome(len(messages), 0, len(messages), f"{type(exc).__name__}: {exc}")
        if time.monotonic() - started > self.mapping.timeout_seconds:
            logger.error("handler exceeded its timeout; batch will be retried",
                         function=self.mapping.function_name, message_ids=sorted(batch_ids))
            return BatchOutcome(len(messages), 0, len(messages), "timeout")
        failed = self._failed_ids(result, batch_ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                         for i, m in enumerate(done)],
            )
        return BatchOutcome(len(messages), len(done), len(failed))


class EventRunner:
    """Runs one poller thread per mapping until stopped."""

    def __init__(self, sqs: Any, mappings: Iterable[EventSourceMapping], region: str) -> None:
        self.pollers = [QueuePoller(sqs, m, region) for m in mappings]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _loop(self, poller: QueuePoller) -> None:
        while not self._stop.is_set():
            try:
                outcome = poller.poll_once()
            except Exception:
                logger.exception("polling failed; retrying", queue=poller.mapping.queue_name)
                self._stop.wait(2.0)
                continue
            if outcome.received:
                logger.info("batch processed", function=poller.mapping.function_name,
                            received=outcome.received, deleted=outcome.deleted,
                            failed=outcome.failed)

    def start(self) -> None:
        for poller in self.pollers:
            thread = threading.Thread(target=self._loop, args=(poller,), daemon=True,
                                      name=f"esm-{poller.mapping.function_name}")
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass
