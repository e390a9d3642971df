"""Lambda entry point: SQS batches from two queues, partial batch failures reported.

``encode-jobs`` carries S3 upload events (each plans a job and fans it out); ``encode-tasks``
carries the fanned-out tasks (a chunk, an audio track, the artwork, the text tracks). The
body says which: a task is a JSON object with ``task`` and ``job_id``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from encoder_lambda.s3_events import MalformedEvent, Upload, parse_body
from encoder_lambda.tasks import MalformedTask, Task, is_task_message, parse_task

logger = Logger(service="notflix-encoder", use_rfc3339=True)

ProcessUpload = Callable[[Upload], object]
#: (task, attempt: the message's receive count) -> outcome.
ProcessTask = Callable[[Task, int], object]
#: Builds the upload processor for one invocation (it may read the Lambda context's clock).
ProcessorFactory = Callable[[Any], ProcessUpload]
TaskFactory = Callable[[Any], ProcessTask]
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, list[dict[str, str]]]]


def make_handler(process: ProcessUpload | None = None, *,
                 factory: ProcessorFactory | None = None,
                 task_factory: TaskFactory | None = None) -> LambdaHandler:
    """Build the SQS handler around the function that processes one upload.

    A record whose processing raises is reported in ``batchItemFailures`` so only it is
    retried (and reaches the DLQ after the queue's maxReceiveCount). A malformed record is
    logged and dropped: a retry cannot fix it.
    """

    def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
        work = factory(context) if factory is not None else process
        assert work is not None, "make_handler needs a process or a factory"
        failures: list[dict[str, str]] = []
        for record in event.get("Records", []):
            message_id = record.get("messageId", "")
            logger.thread_safe_append_keys(message_id=message_id)
            try:
                task = _task_in(record.get("body", ""))
                if task is not None:
                    assert task_factory is not None, "this handler takes no tasks"
                    attempt = int((record.get("attributes") or {}).get(
                        "ApproximateReceiveCount", 1))
                    task_factory(context)(task, attempt)
                    continue
                for upload in parse_body(record.get("body", "")):
                    work(upload)
            except (MalformedEvent, MalformedTask) as exc:
                logger.error("dropping malformed message", reason=str(exc))
            except Exception:
                logger.exception("upload processing failed; will be retried")
                failures.append({"itemIdentifier": message_id})
            finally:
                logger.thread_safe_remove_keys(["message_id"])
        return {"batchItemFailures": failures}

    return handler


def _task_in(body: str) -> Task | None:
    """The task a message carries, or None for anything else (an S3 event)."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None
    return parse_task(data) if isinstance(data, dict) and is_task_message(data) else None


def _remaining_of(context: Any) -> Callable[[], float]:
    def remaining() -> float:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return float("inf")
        return float(context.get_remaining_time_in_millis()) / 1000

    return remaining


def _tasks_for(context: Any) -> ProcessTask:
    from encoder_lambda.runtime import pipeline

    built = pipeline()
    remaining = _remaining_of(context)
    return lambda task, attempt: built.run_task(task, remaining, attempt=attempt)


def _pipeline_for(context: Any) -> ProcessUpload:
    """The encoding pipeline, built once per container, timed by this invocation's context."""
    from encoder_lambda.runtime import pipeline

    built = pipeline()
    remaining = _remaining_of(context)
    return lambda upload: built.process(upload, remaining)


handler = make_handler(factory=_pipeline_for, task_factory=_tasks_for)
