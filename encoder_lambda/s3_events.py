"""Parse S3 event notifications delivered through SQS into typed uploads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


class MalformedEvent(ValueError):
    """A message body that is not an S3 notification; retrying cannot fix it."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    size: int
    etag: str
    event_name: str
    event_time: str
    sequencer: str


def is_test_event(body: dict[str, Any]) -> bool:
    """S3 sends `s3:TestEvent` when a notification configuration is set: not an upload."""
    return body.get("Event") == "s3:TestEvent"


def parse_body(raw_body: str) -> list[Upload]:
    """Uploads in one SQS message body; empty for S3 test events.

    Keys arrive URL-encoded with `+` for spaces (AWS), and moto also encodes `/`: decoding
    with ``unquote_plus`` gives the real key in both cases.
    """
    try:
        body = json.loads(raw_body)
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"message body is not JSON: {exc.msg}") from exc
    if not isinstance(body, dict):
        raise MalformedEvent("message body is not a JSON object")
    if is_test_event(body):
        return []
    records = body.get("Records")
    if not isinstance(records, list):
        raise MalformedEvent("message body has no Records list")
    uploads = []
    for record in records:
        try:
            s3 = record["s3"]
            obj = s3["object"]
            uploads.append(
                Upload(
                    bucket=s3["bucket"]["name"],
                    key=unquote_plus(obj["key"]),
                    size=int(obj.get("size", 0)),
                    etag=str(obj.get("eTag", "")),
                    event_name=str(record.get("eventName", "")),
                    event_time=str(record.get("eventTime", "")),
                    sequencer=str(obj.get("sequencer", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"S3 record is missing {exc}") from exc
    return uploads
