"""The local S3 notifies a completed multipart upload once, as S3 does, and completes it
without copying every part once more for its checksum."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from localcloud.emulator import s3_events as moto_s3_events
from localcloud.isolation import unique
from tests.inprocess import InProcessCloud

REGION = "us-east-1"
BUCKET = unique("s3-events-")


@pytest.fixture
def bucket_and_queue(cloud: InProcessCloud) -> Iterator[tuple[Any, Any, str]]:
    # the session's in-process moto, with a bucket and queue of this test's own: a mock of
    # its own would reset every backend, the in-process cloud's tables with them
    moto_s3_events.install()
    with cloud.active():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName=unique("events-"))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]
                                       )["Attributes"]["QueueArn"]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        sqs.purge_queue(QueueUrl=queue_url)  # the configuration's test event
        yield s3, sqs, queue_url


def events(sqs: Any, queue_url: str) -> list[str]:
    names: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        if not got.get("Messages"):
            return names
        for message in got["Messages"]:
            body = json.loads(message["Body"])
            names += [r["eventName"] for r in body.get("Records", [])]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_a_multipart_upload_is_one_event_and_a_put_still_one(
        bucket_and_queue: tuple[Any, Any, str]) -> None:
    s3, sqs, queue_url = bucket_and_queue
    started = s3.create_multipart_upload(Bucket=BUCKET, Key="uploads/a/film.mp4")
    parts = []
    for number, body in ((1, b"a" * 5 * 1024 * 1024), (2, b"b" * 10)):
        etag = s3.upload_part(Bucket=BUCKET, Key="uploads/a/film.mp4", PartNumber=number,
                              UploadId=started["UploadId"], Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=BUCKET, Key="uploads/a/film.mp4",
                                 UploadId=started["UploadId"],
                                 MultipartUpload={"Parts": parts})
    assert events(sqs, queue_url) == ["ObjectCreated:CompleteMultipartUpload"]
    s3.put_object(Bucket=BUCKET, Key="uploads/b/film.mp4", Body=b"x")
    assert events(sqs, queue_url) == ["ObjectCreated:Put"]


def test_the_running_crc_of_a_completion_is_moto_s_own_value() -> None:
    """localcloud.emulator.speedups keeps the full-object CRC running part by part."""
    from moto.s3.models import MultipartChecksumBuilder

    from localcloud.emulator import speedups as moto_speedups

    parts = [b"a" * 5_000_000, bytes(range(256)) * 999, b"z"]
    results: dict[tuple[str | None, str | None], list[Any]] = {}
    for patched in (False, True):
        if patched:
            moto_speedups.install()
        for algorithm, kind in ((None, None), ("CRC32", "FULL_OBJECT"), ("SHA256", None)):
            builder = MultipartChecksumBuilder(algorithm, kind)
            for part in parts:
                builder.addPart(part)
            results.setdefault((algorithm, kind), []).append(builder.build())
    for key, (before, after) in results.items():
        assert before == after, key
    assert results[(None, None)][0] is not None
