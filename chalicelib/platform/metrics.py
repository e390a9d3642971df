"""CloudWatch metrics as Embedded Metric Format lines on stdout (Powertools' EMF provider).

In Lambda, stdout goes to CloudWatch Logs, which turns each EMF line into metrics in the
``Notflix`` namespace (``POWERTOOLS_METRICS_NAMESPACE`` overrides it); locally the lines sit
beside the JSON logs in ``.local/logs/``. Every line is aggregated twice: by ``service``
alone (totals, for alarms) and by ``service`` plus the event's own dimensions. Dimensions
are low-cardinality on purpose (route templates, methods, outcomes, sources): never ids,
emails or anything secret. A metric that cannot be written is logged, never raised.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from chalicelib.platform.logs import logger

if TYPE_CHECKING:  # the encoder emits metrics too, and has no Chalice
    from chalicelib.platform.errors import AppError

NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
DEFAULT_NAMESPACE = "Notflix"
#: The API and its workers (the Chalice app); the encoder names itself.
SERVICE = "notflix"

Count = MetricUnit.Count
Milliseconds = MetricUnit.Milliseconds
Seconds = MetricUnit.Seconds
NoUnit = MetricUnit.NoUnit

#: name -> (unit, value)
Measures = Mapping[str, tuple[MetricUnit, float]]


def namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE


def emf_line(service: str, measures: Measures, dimensions: Mapping[str, str]) -> str:
    """One EMF document: `measures` by service, and by service plus `dimensions`."""
    provider = AmazonCloudWatchEMFProvider(namespace=namespace(),
                                           default_dimensions={"service": service})
    if dimensions:
        provider.add_dimensions(**dimensions)
    for name, (unit, value) in measures.items():
        provider.add_metric(name=name, unit=unit, value=value)
    return json.dumps(provider.serialize_metric_set(), separators=(",", ":"))


def emit(service: str, measures: Measures, **dimensions: str) -> None:
    """Write one EMF line to stdout (one write, so threads never interleave lines)."""
    if not measures or is_metrics_disabled():
        return
    try:
        line = emf_line(service, measures, dimensions)
    except Exception as exc:  # a metric must never fail the work it measures
        logger.warning("metrics not emitted", error=type(exc).__name__, metrics=sorted(measures))
        return
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- the API -------------------------------------------------------------------------------------
def record_request(route: str, method: str, status: int, latency_ms: float) -> None:
    """One API request: ``route`` is the route template (``/api/titles/{title_id}``).

    Errors and ClientErrors are 0 or 1 on every request, so their average is a rate.
    """
    emit(SERVICE, {
        "Requests": (Count, 1),
        "Errors": (Count, 1 if status >= 500 else 0),
        "ClientErrors": (Count, 1 if 400 <= status < 500 else 0),
        "Latency": (Milliseconds, latency_ms),
    }, route=route or "unmatched", method=method.upper())


# -- webhooks ------------------------------------------------------------------------------------
#: Rejections with a name of their own; other 4xx are "rejected", 5xx "unavailable".
_REJECTIONS = {
    "webhook_rejected": "rejected_signature",
    "webhook_unverified": "rejected_signature",
    "webhook_headers_missing": "rejected_signature",
    "webhook_stale": "rejected_stale",
    "webhook_replay": "duplicate",
    "webhook_in_progress": "in_progress",
    "webhook_malformed": "malformed",
    "malformed_json": "malformed",
    "validation_failed": "malformed",
}


def rejection(error: AppError) -> str:
    """The outcome name of a webhook delivery refused with `error`."""
    named = _REJECTIONS.get(error.code)
    if named:
        return named
    return "unavailable" if error.status >= 500 else "rejected"


@dataclass
class WebhookDelivery:
    """What became of one delivery; the code handling it sets `outcome` when it succeeds."""

    outcome: str


@contextmanager
def webhook_delivery(source: str, accepted: str = "accepted") -> Iterator[WebhookDelivery]:
    """Count one delivery from `source` ("paypal", "ingest") as ``WebhookOutcome``.

    An AppError names its outcome (see ``rejection``); any other exception is "error".
    """
    from chalicelib.platform.errors import AppError

    delivery = WebhookDelivery(accepted)
    try:
        yield delivery
    except Exception as exc:
        delivery.outcome = rejection(exc) if isinstance(exc, AppError) else "error"
        raise
    finally:
        emit(SERVICE, {"WebhookOutcome": (Count, 1)}, source=source, outcome=delivery.outcome)


# -- workers -------------------------------------------------------------------------------------
def record_worker(worker: str, processed: int, failed: int = 0, dropped: int = 0) -> None:
    """A queue worker's batch: messages done, failed (retried, or the work failed) and
    dropped (unusable)."""
    emit(SERVICE, {"WorkerProcessed": (Count, processed), "WorkerFailed": (Count, failed),
                   "WorkerDropped": (Count, dropped)}, worker=worker)
