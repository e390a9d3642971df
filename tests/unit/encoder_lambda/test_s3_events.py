from __future__ import annotations

import json

import pytest

from encoder_lambda.s3_events import MalformedEvent, parse_body


def s3_body(key: str, bucket: str = "uploads-bucket") -> str:
    return json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-22T10:00:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 42, "eTag": "abc",
                                                      "sequencer": "0A"}},
    }]})


def test_aws_style_key_is_decoded() -> None:
    (upload,) = parse_body(s3_body("uploads/My+Film+%C3%A9.mp4"))
    assert upload.key == "uploads/My Film é.mp4"
    assert upload.bucket == "uploads-bucket"
    assert upload.size == 42


def test_moto_style_key_with_encoded_slash_is_decoded() -> None:
    (upload,) = parse_body(s3_body("uploads%2FMy+Film+%C3%A9.mp4"))
    assert upload.key == "uploads/My Film é.mp4"


def test_a_literal_plus_survives_decoding() -> None:
    (upload,) = parse_body(s3_body("uploads/a%2Bb.mp4"))
    assert upload.key == "uploads/a+b.mp4"


def test_s3_test_event_yields_no_upload() -> None:
    body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b",
                       "Time": "2026-11-22T10:00:00.000Z"})
    assert parse_body(body) == []


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"Records": [{"s3": {}}]}),
                                  json.dumps({"something": "else"})])
def test_malformed_bodies_are_rejected(body: str) -> None:
    with pytest.raises(MalformedEvent):
        parse_body(body)
