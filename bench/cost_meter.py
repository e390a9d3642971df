"""Meters for the cost benchmark: every AWS call this process makes, and its log bytes.

:class:`AwsMeter` wraps botocore's ``BaseClient._make_api_call``, the one method every
boto3 client and every pynamodb connection goes through, and records each call's service,
operation and, for DynamoDB, the request units it consumes (estimated from the items'
sizes as DynamoDB computes them: 4 KB read steps, 1 KB write steps; moto's own
ConsumedCapacity is a constant). :class:`LogMeter` counts the bytes the app's loggers write.
Both are for benchmarks only; nothing in the app imports this module.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.cost_model import Usage, read_units, write_units

#: S3 request classes as S3 bills them; DELETE is free, everything else is GET-class.
S3_PUT_CLASS = frozenset({"PutObject", "CopyObject", "PostObject", "ListObjects",
                          "ListObjectsV2", "ListObjectVersions", "ListBuckets",
                          "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
                          "CompleteMultipartUpload"})
S3_FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})
#: The botocore method every client call goes through (boto3 and pynamodb alike).
_METHOD = "_make_api_call"
#: DynamoDB charges ~100 bytes of index overhead per stored item.
ITEM_OVERHEAD_BYTES = 100


@dataclass(frozen=True)
class AwsCall:
    service: str  # botocore's service name: "dynamodb", "s3", "sqs"
    operation: str  # "GetItem"
    rru: float = 0.0
    wru: float = 0.0
    stored_bytes: float = 0.0  # bytes this call adds to storage (puts)

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


# -- DynamoDB sizes and units -------------------------------------------------------------------
def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value in the low-level wire form ({"S": "..."})."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: member}) for member in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes of an item: each attribute's name plus its value (DynamoDB's own rule)."""
    return sum(len(name.encode("utf-8")) + value_size(value)
               for name, value in (item or {}).items())


def dynamodb_units(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]
                   ) -> tuple[float, float, float]:
    """(read units, write units, bytes stored) of one DynamoDB call, from its items."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        return read_units(item_size(response.get("Item")), consistent), 0.0, 0.0
    if operation in ("Query", "Scan"):
        items = response.get("Items") or []
        size = sum(item_size(i) for i in items)
        count, scanned = response.get("Count", len(items)), response.get("ScannedCount", 0)
        if count and scanned > count:  # filtered out after being read: read all the same
            size = size * scanned / count
        return read_units(size, consistent), 0.0, 0.0
    if operation == "BatchGetItem":
        rru = 0.0
        for table, items in (response.get("Responses") or {}).items():
            table_consistent = bool(params.get("RequestItems", {}).get(table, {})
                                    .get("ConsistentRead"))
            rru += sum(read_units(item_size(i), table_consistent) for i in items)
        return rru, 0.0, 0.0
    if operation == "TransactGetItems":
        got = [r.get("Item") for r in response.get("Responses") or []]
        return sum(read_units(item_size(i), transactional=True) for i in got), 0.0, 0.0
    if operation == "PutItem":
        size = item_size(params.get("Item"))
        return 0.0, write_units(size), size + ITEM_OVERHEAD_BYTES
    if operation == "UpdateItem":
        after = response.get("Attributes")
        size = item_size(after) if after else (
            item_size(params.get("Key"))
            + sum(value_size(v) for v in (params.get("ExpressionAttributeValues") or {})
                  .values()))
        return 0.0, write_units(size), 0.0
    if operation == "DeleteItem":
        return 0.0, write_units(item_size(response.get("Attributes") or params.get("Key"))), 0.0
    if operation == "BatchWriteItem":
        wru = stored = 0.0
        for requests in (params.get("RequestItems") or {}).values():
            for request in requests:
                put = request.get("PutRequest")
                if put is not None:
                    size = item_size(put.get("Item"))
                    wru += write_units(size)
                    stored += size + ITEM_OVERHEAD_BYTES
                else:
                    wru += write_units(item_size(request.get("DeleteRequest", {}).get("Key")))
        return 0.0, wru, stored
    if operation == "TransactWriteItems":
        wru = stored = 0.0
        for action in params.get("TransactItems") or []:
            (kind, body), = action.items()
            size = item_size(body.get("Item") or body.get("Key"))
            wru += write_units(size, transactional=True)
            if kind == "Put":
                stored += size + ITEM_OVERHEAD_BYTES
        return 0.0, wru, stored
    return 0.0, 0.0, 0.0  # DescribeTable and the like: control plane, not billed by unit


def body_size(body: Any) -> float:
    """Bytes of a request body (bytes, str or a seekable stream), 0 when unknown."""
    if isinstance(body, bytes | bytearray | str):
        return float(len(body))
    try:
        here = body.tell()
        body.seek(0, io.SEEK_END)
        end = body.tell()
        body.seek(here)
        return float(end - here)
    except (AttributeError, OSError, TypeError, ValueError):
        return 0.0


def describe(service: str, operation: str, params: Mapping[str, Any],
             response: Mapping[str, Any], body_bytes: float = 0.0) -> AwsCall:
    """One call as billed; ``body_bytes``: the request body's size, taken before sending."""
    if service == "dynamodb":
        rru, wru, stored = dynamodb_units(operation, params, response)
        return AwsCall(service, operation, rru, wru, stored)
    if service == "s3" and operation in ("PutObject", "UploadPart"):
        return AwsCall(service, operation, stored_bytes=body_bytes)
    return AwsCall(service, operation)


def usage_of(calls: Iterable[AwsCall]) -> Usage:
    """The AWS part of a usage: request units, S3 and SQS requests, bytes stored."""
    usage = Usage()
    counts: dict[str, float] = {}
    for call in calls:
        counts[call.name] = counts.get(call.name, 0.0) + 1
        usage.dynamodb_rru += call.rru
        usage.dynamodb_wru += call.wru
        if call.service == "dynamodb":
            usage.dynamodb_bytes_stored += call.stored_bytes
        elif call.service == "s3":
            usage.s3_bytes_stored += call.stored_bytes
            if call.operation in S3_PUT_CLASS:
                usage.s3_put += 1
            elif call.operation not in S3_FREE:
                usage.s3_get += 1
        elif call.service == "sqs":
            usage.sqs_requests += 1
    usage.aws_calls = counts
    return usage


# -- the meters --------------------------------------------------------------------------------
class AwsMeter:
    """Records every botocore call made in this process while installed."""

    def __init__(self) -> None:
        self._calls: list[AwsCall] = []
        self._lock = threading.Lock()
        self._original: Any = None

    def install(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            return
        original = getattr(BaseClient, _METHOD)
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            body = body_size(params.get("Body")) if service == "s3" else 0.0
            response = original(client, operation, params)
            try:
                call = describe(service, operation, params, response, body)
            except Exception:  # a meter must never break the call it watches
                call = AwsCall(service, operation)
            with meter._lock:
                meter._calls.append(call)
            return response

        setattr(BaseClient, _METHOD, metered)
        self._original = original

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        if self._original is not None:
            setattr(BaseClient, _METHOD, self._original)
            self._original = None

    def take(self) -> list[AwsCall]:
        """The calls recorded since the last take."""
        with self._lock:
            calls, self._calls = self._calls, []
        return calls


#: One CloudWatch custom metric: (namespace, metric name, ((dimension, value), ...)).
MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]


def emf_metrics(line: str) -> set[MetricKey]:
    """The custom metrics an Embedded Metric Format line creates: one per metric name and
    dimension set (with that line's dimension values). Not EMF: none."""
    if not line.startswith('{"_aws"'):
        return set()
    try:
        document = json.loads(line)
    except ValueError:
        return set()
    found: set[MetricKey] = set()
    for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
        namespace = str(directive.get("Namespace", ""))
        for dimension_set in directive.get("Dimensions", []):
            values = tuple((d, str(document.get(d, ""))) for d in dimension_set)
            for metric in directive.get("Metrics", []):
                found.add((namespace, str(metric.get("Name", "")), values))
    return found


class _CountingStream(io.TextIOBase):
    def __init__(self, meter: LogMeter) -> None:
        self.meter = meter
        self._partial = ""

    def write(self, text: str) -> int:
        self.meter.add(len(text.encode("utf-8")))
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self.meter.metrics |= emf_metrics(line)
        return len(text)

    def flush(self) -> None:
        pass


class LogMeter:
    """Counts (and swallows) what the named loggers' stream handlers write, and everything
    printed to standard output (CloudWatch takes a Lambda's stdout too: embedded-metric
    lines, stray prints). Print progress to stderr while it is installed."""

    def __init__(self, logger_names: Iterable[str]) -> None:
        self.names = list(logger_names)
        self._bytes = 0
        self._lock = threading.Lock()
        self._saved: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._stdout: Any = None
        #: Every custom metric the EMF lines written so far create.
        self.metrics: set[MetricKey] = set()

    def add(self, count: int) -> None:
        with self._lock:
            self._bytes += count

    def install(self) -> None:
        stream = _CountingStream(self)
        for name in self.names:
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    self._saved.append((handler, handler.setStream(stream)))
        self._stdout, sys.stdout = sys.stdout, stream

    def uninstall(self) -> None:
        for handler, previous in self._saved:
            handler.setStream(previous)
        self._saved.clear()
        if self._stdout is not None:
            sys.stdout, self._stdout = self._stdout, None

    def take(self) -> int:
        with self._lock:
            count, self._bytes = self._bytes, 0
        return count
