"""An SQS message as the graph-sync worker needs it (free of SDK imports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueuedMessage:
    body: str
    receipt_handle: str
    receive_count: int

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> QueuedMessage:
        """From one record of a Lambda SQS event."""
        attributes = record.get("attributes") or {}
        return cls(str(record["body"]), str(record["receiptHandle"]),
                   int(attributes.get("ApproximateReceiveCount") or 1))
