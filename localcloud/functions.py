"""Which functions consume which queues: the app's SQS handlers and the encoder."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from chalice.app import SQSEventConfig

from chalicelib.platform.config import Settings
from localcloud.event_runner import EventSourceMapping

#: The template's encoder timeout (Lambda's cap), the default of
#: ``settings.encoder_timeout_seconds``; the local runner uses the setting.
ENCODER_TIMEOUT_SECONDS = 900
ENCODER_MEMORY_MB = 3008
#: Importable by worker processes, which run the encoder so that its timeout can kill it.
ENCODER_HANDLER = "encoder_lambda.handler:handler"


CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def function_timeout(name: str, config_path: Path = CHALICE_CONFIG) -> int:
    """The Lambda timeout `.chalice/config.json` gives a function (Chalice's default: 60 s)."""
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError):
        return 60
    function = config.get("lambda_functions", {}).get(name, {})
    return int(function.get("lambda_timeout", config.get("lambda_timeout", 60)))


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
                handler=app.handler_map[source.name],
                batch_size=source.batch_size,
                maximum_batching_window=float(source.maximum_batching_window_in_seconds),
                timeout_seconds=function_timeout(source.name),
                report_batch_item_failures=False,
            )
        )
    return mappings


def encoder_mappings(settings: Settings) -> list[EventSourceMapping]:
    """The encoder's mappings: the fan-out tasks and the uploads, one pool of invocations.

    Safety: the encode queues' visibility timeout is the same template parameter
    (EncoderTimeoutSeconds, set from NOTFLIX_ENCODER_TIMEOUT_SECONDS), so a message becomes
    visible again only when the invocation holding it has been killed, never while it still
    runs. The pipeline itself stops a margin before the deadline, so it is not killed
    mid-write. Never give the runner a longer timeout than the queues' visibility.
    """
    return [
        EventSourceMapping(
            function_name=f"{settings.resource_prefix}-encoder",
            queue_name=queue,
            handler=ENCODER_HANDLER,
            batch_size=1,
            timeout_seconds=settings.encoder_timeout_seconds,
            memory_mb=ENCODER_MEMORY_MB,
            concurrency=settings.encoder_concurrency,
        )
        for queue in (settings.encode_tasks_queue, settings.encode_queue)
    ]


def all_mappings(app_module: ModuleType, settings: Settings,
                 queues: frozenset[str] | None = None) -> list[EventSourceMapping]:
    """Every mapping, or only those of the named queues (tests run one worker at a time)."""
    mappings = [*chalice_sqs_mappings(app_module, settings), *encoder_mappings(settings)]
    return [m for m in mappings if queues is None or m.queue_name in queues]
