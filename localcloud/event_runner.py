"""Lambda's SQS event source mapping, emulated for the local stack.

For each mapping a poller thread long-polls the queue, hands the handler an event of
exactly the shape Lambda sends, and then, like Lambda with ``ReportBatchItemFailures``:

- handler returned normally with no ``batchItemFailures``: every message is deleted;
- handler returned ``batchItemFailures``: only the others are deleted; the listed ones
  reappear after the queue's visibility timeout (an invalid identifier fails the batch);
- handler raised, or ran past its timeout: nothing is deleted, the whole batch is retried.

Time limits: a function whose handler is a ``"module:attribute"`` path runs in worker
processes (``localcloud.worker_pool``) and an invocation is killed at its timeout, ffmpeg
and all; a callable runs in a thread, and overrunning is noticed when it returns.

Concurrency: a function runs at most ``concurrency`` invocations at once over all its
mappings, and a poller receives only when one of the function's slots is free (the
mapping's MaximumConcurrency), so no message is received that could not run at once.

Receive counts and redrive to the DLQ after ``maxReceiveCount`` are the queue's own (SQS
does that, here as in AWS), so nothing about them is faked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.logs import logger
from localcloud.invocation import FunctionConfig, Handler
from localcloud.invoker import Invoker, make_invoker

#: After an empty receive, a poller waits this long before taking a slot again.
FAIR_TURN_SECONDS = 0.05
SLOT_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class EventSourceMapping:
    function_name: str
    queue_name: str
    #: A callable (run in the poller's thread) or a "module:attribute" path (run in worker
    #: processes, killed at the timeout).
    handler: Handler | str
    batch_size: int = 1
    maximum_batching_window: float = 0.0
    timeout_seconds: float = 900.0
    memory_mb: int = 1024
    report_batch_item_failures: bool = True
    #: The function's invocations at once, shared by all its mappings.
    concurrency: int = 1

    def function(self, region: str) -> FunctionConfig:
        return FunctionConfig(name=self.function_name, handler=self.handler,
                              timeout_seconds=self.timeout_seconds, memory_mb=self.memory_mb,
                              region=region, concurrency=self.concurrency)


@dataclass(frozen=True)
class BatchOutcome:
    received: int
    deleted: int
    failed: int
    error: str | None = None


class QueuePoller:
    """Polls one queue for one function, the way one event source mapping does."""

    def __init__(self, sqs: Any, mapping: EventSourceMapping, region: str,
                 wait_seconds: int = 1, invoker: Invoker | None = None) -> None:
        self.sqs = sqs
        self.mapping = mapping
        self.region = region
        self.wait_seconds = wait_seconds
        self._owns_invoker = invoker is None
        self.invoker = invoker or make_invoker(mapping.function(region))
        self.queue_url: str = sqs.get_queue_url(QueueName=mapping.queue_name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=self.queue_url,
                                         AttributeNames=["QueueArn", "VisibilityTimeout"])
        self.queue_arn: str = attrs["Attributes"]["QueueArn"]
        visibility = int(attrs["Attributes"].get("VisibilityTimeout", "30"))
        if visibility < mapping.timeout_seconds:  # Lambda refuses such a mapping
            logger.warning("queue visibility timeout is below the function timeout; "
                           "messages may reappear while still being worked on",
                           queue=mapping.queue_name, function=mapping.function_name,
                           visibility_timeout=visibility, timeout_seconds=mapping.timeout_seconds)

    def receive(self) -> list[dict[str, Any]]:
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

    def process(self, messages: list[dict[str, Any]]) -> BatchOutcome:
        """Invoke the function with a received batch and delete what it finished."""
        event = {"Records": [self._record(m) for m in messages]}
        batch_ids = {m["MessageId"] for m in messages}
        result = self.invoker.invoke(event)
        if result.status == "timeout":
            logger.error("invocation timed out", function=self.mapping.function_name,
                         message_ids=sorted(batch_ids), request_id=result.request_id,
                         timeout_seconds=self.mapping.timeout_seconds)
            return BatchOutcome(len(messages), 0, len(messages), "timeout")
        if result.status == "error":
            logger.error("invocation failed; batch will be retried",
                         function=self.mapping.function_name, message_ids=sorted(batch_ids),
                         request_id=result.request_id, error=result.error)
            return BatchOutcome(len(messages), 0, len(messages), result.error)
        failed = self._failed_ids(result.value, batch_ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                         for i, m in enumerate(done)],
            )
        return BatchOutcome(len(messages), len(done), len(failed))

    def poll_once(self) -> BatchOutcome:
        messages = self.receive()
        if not messages:
            return BatchOutcome(0, 0, 0)
        return self.process(messages)

    def close(self) -> None:
        """Stop the invoker this poller made itself (a shared one is its runner's)."""
        if self._owns_invoker:
            self.invoker.close()


@dataclass(frozen=True)
class _Function:
    config: FunctionConfig
    invoker: Invoker
    slots: threading.BoundedSemaphore


def _functions(mappings: list[EventSourceMapping], region: str) -> dict[str, _Function]:
    """One invoker and one set of concurrency slots per function, shared by its mappings."""
    functions: dict[str, _Function] = {}
    for mapping in mappings:
        config = mapping.function(region)
        known = functions.get(config.name)
        if known is None:
            functions[config.name] = _Function(config, make_invoker(config),
                                               threading.BoundedSemaphore(config.concurrency))
        elif known.config != config:
            raise ValueError(f"the mappings of {config.name} disagree about the function: "
                             f"{known.config} != {config}")
    return functions


class EventRunner:
    """Runs one poller thread per mapping, and each batch in a thread of its own."""

    def __init__(self, sqs: Any, mappings: Iterable[EventSourceMapping], region: str) -> None:
        mappings = list(mappings)
        self.functions = _functions(mappings, region)
        self.pollers = [QueuePoller(sqs, m, region, invoker=self.functions[m.function_name].invoker)
                        for m in mappings]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._running: set[threading.Thread] = set()

    def _loop(self, poller: QueuePoller) -> None:
        slots = self.functions[poller.mapping.function_name].slots
        while not self._stop.is_set():
            if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
                continue  # every slot busy: receive nothing until one frees up
            if self._stop.is_set():
                slots.release()
                break
            try:
                messages = poller.receive()
            except Exception:
                slots.release()
                logger.exception("polling failed; retrying", queue=poller.mapping.queue_name)
                self._stop.wait(2.0)
                continue
            if not messages:
                slots.release()
                # Let another mapping of the function waiting for this slot take it: an idle
                # queue must not starve a busy one (Lambda polls each mapping on its own).
                self._stop.wait(FAIR_TURN_SECONDS)
                continue
            self._dispatch(poller, slots, messages)

    def _dispatch(self, poller: QueuePoller, slots: threading.BoundedSemaphore,
                  messages: list[dict[str, Any]]) -> None:
        thread = threading.Thread(target=self._invoke, args=(poller, slots, messages),
                                  daemon=True, name=f"invoke-{poller.mapping.function_name}")
        with self._lock:
            self._running.add(thread)
        thread.start()

    def _invoke(self, poller: QueuePoller, slots: threading.BoundedSemaphore,
                messages: list[dict[str, Any]]) -> None:
        try:
            outcome = poller.process(messages)
            logger.info("batch processed", function=poller.mapping.function_name,
                        received=outcome.received, deleted=outcome.deleted,
                        failed=outcome.failed)
        except Exception:
            logger.exception("processing a batch failed; it will be retried",
                             function=poller.mapping.function_name)
        finally:
            slots.release()
            with self._lock:
                self._running.discard(threading.current_thread())

    def start(self) -> None:
        for poller in self.pollers:
            thread = threading.Thread(target=self._loop, args=(poller,), daemon=True,
                                      name=f"esm-{poller.mapping.function_name}")
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Ask the runner to stop (safe in a signal handler); `wait` then returns."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and kill worker processes: their batches come back after the
        visibility timeout, as when AWS replaces an execution environment mid-invocation.
        Batches running in threads get up to `timeout` seconds to finish."""
        self._stop.set()
        for function in self.functions.values():
            function.invoker.close()
        deadline = time.monotonic() + timeout
        with self._lock:
            running = list(self._running)
        for thread in [*self._threads, *running]:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass
