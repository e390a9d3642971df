from __future__ import annotations

import json

from encoder_lambda.handler import make_handler
from encoder_lambda.s3_events import Upload


def record(message_id: str, key: str) -> dict[str, object]:
    body = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": "b"}, "object": {"key": key, "size": 1}}}]}
    return {"messageId": message_id, "body": json.dumps(body), "eventSource": "aws:sqs"}


def test_only_the_failed_record_is_reported() -> None:
    seen: list[str] = []

    def process(upload: Upload) -> None:
        if "bad" in upload.key:
            raise RuntimeError("ffmpeg crashed")
        seen.append(upload.key)

    handler = make_handler(process)
    result = handler({"Records": [record("m1", "uploads/good.mp4"),
                                  record("m2", "uploads/bad.mp4"),
                                  record("m3", "uploads/also+good.mp4")]}, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert seen == ["uploads/good.mp4", "uploads/also good.mp4"]


def test_malformed_and_test_events_are_not_retried() -> None:
    seen: list[Upload] = []
    handler = make_handler(seen.append)
    test_event = {"messageId": "t", "body": json.dumps({"Event": "s3:TestEvent"})}
    garbage = {"messageId": "g", "body": "{{{"}
    assert handler({"Records": [test_event, garbage]}, None) == {"batchItemFailures": []}
    assert seen == []
