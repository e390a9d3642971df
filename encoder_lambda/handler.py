"""Lambda entry point: an SQS batch of S3 events, partial batch failures reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from encoder_lambda.s3_events import MalformedEvent, Upload, parse_body

logger = Logger(service="notflix-encoder", use_rfc3339=True)

ProcessUpload = Callable[[Upload], object]
#: Builds the upload processor for one invocation (it may read the Lambda context's clock).
ProcessorFactory = Callable[[Any], ProcessUpload]
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, list[dict[str, str]]]]


def make_handler(process: ProcessUpload | None = None, *,
                 factory: ProcessorFactory | None = None) -> LambdaHandler:
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
                for upload in parse_body(record.get("body", "")):
                    work(upload)
            except MalformedEvent as exc:
                logger.error("dropping malformed message", reason=str(exc))
            except Exception:
                logger.exception("upload processing failed; will be retried")
                failures.append({"itemIdentifier": message_id})
            finally:
                logger.thread_safe_remove_keys(["message_id"])
        return {"batchItemFailures": failures}

    return handler


def _pipeline_for(context: Any) -> ProcessUpload:
    """The encoding pipeline, built once per container, timed by this invocation's context."""
    from encoder_lambda.runtime import pipeline

    def remaining() -> float:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return float("inf")
        return float(context.get_remaining_time_in_millis()) / 1000

    built = pipeline()
    return lambda upload: built.process(upload, remaining)


handler = make_handler(factory=_pipeline_for)
