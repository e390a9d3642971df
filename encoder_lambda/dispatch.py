"""Send a planned job's tasks: to the encode-tasks queue, or run them here and now.

In AWS and on the local stack the queue fans the tasks out over as many encoder invocations
as the function's concurrency allows. The inline dispatcher runs them one after another in
the planner's own process, through exactly the same task code: for tests and for a single
machine without a queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from encoder_lambda.tasks import Task

#: SendMessageBatch takes at most ten entries.
BATCH = 10


class Dispatcher(Protocol):
    def dispatch(self, tasks: Sequence[Task]) -> None: ...


class QueueDispatcher:
    def __init__(self, sqs: Any, queue_url: Callable[[], str]) -> None:
        self.sqs = sqs
        self.queue_url = queue_url

    def dispatch(self, tasks: Sequence[Task]) -> None:
        url = self.queue_url()
        for start in range(0, len(tasks), BATCH):
            batch = tasks[start:start + BATCH]
            sent = self.sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": task.to_json()} for i, task in enumerate(batch)])
            failed = sent.get("Failed") or []
            if failed:
                names = ", ".join(batch[int(f["Id"])].name for f in failed)
                raise RuntimeError(f"the tasks queue refused {names}: {failed[0].get('Message')}")


class InlineDispatcher:
    """Runs each task at once with ``run(task)`` (the pipeline's task entry point)."""

    def __init__(self, run: Callable[[Task], object] | None = None) -> None:
        self.run = run

    def dispatch(self, tasks: Sequence[Task]) -> None:
        assert self.run is not None, "InlineDispatcher needs its runner before dispatching"
        for task in tasks:
            self.run(task)
