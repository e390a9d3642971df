"""Which functions consume which queues: the app's SQS handlers and the encoder."""

from __future__ import annotations

from types import ModuleType

from chalice.app import SQSEventConfig

from chalicelib.config import Settings
from localcloud.event_runner import EventSourceMapping

#: Matches the encoder's Lambda settings in AWS (timeout below the queue's visibility timeout).
ENCODER_TIMEOUT_SECONDS = 840
ENCODER_MEMORY_MB = 3008


def chalice_sqs_mappings(app_module: ModuleType, settings: Settings) -> list[EventSourceMapping]:
    """One mapping for every ``@app.on_sqs_message`` handler of a Chalice app module.

    Chalice does not set ``ReportBatchItemFailures`` on the mappings it deploys, so a
    Chalice handler's batch is retried whole when it raises, here as in AWS.
    """
    app = app_module.app
    mappings = []
    for source in app.event_sources:
        if not isinstance(source, SQSEventConfig):
            continue
        queue = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
        mappings.append(
            EventSourceMapping(
                function_name=f"{app.app_name}-{source.name}",
                queue_name=queue,
                handler=getattr(app_module, source.name),
                batch_size=source.batch_size,
                maximum_batching_window=float(source.maximum_batching_window_in_seconds),
                timeout_seconds=60,
                report_batch_item_failures=False,
            )
        )
    return mappings


def encoder_mapping(settings: Settings) -> EventSourceMapping:
    from encoder_lambda.handler import handler

    return EventSourceMapping(
        function_name=f"{settings.resource_prefix}-encoder",
        queue_name=settings.encode_queue,
        handler=handler,
        batch_size=1,
        timeout_seconds=ENCODER_TIMEOUT_SECONDS,
        memory_mb=ENCODER_MEMORY_MB,
    )


def all_mappings(app_module: ModuleType, settings: Settings) -> list[EventSourceMapping]:
    return [*chalice_sqs_mappings(app_module, settings), encoder_mapping(settings)]
