"""The event runner against the real moto server: Lambda's SQS event source mapping."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.resources import Resources
from encoder_lambda.handler import make_handler
from encoder_lambda.s3_events import Upload, parse_body
from localcloud.event_runner import EventRunner, EventSourceMapping, QueuePoller
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def runner_for(resources: Resources) -> Iterator[Any]:
    runners: list[EventRunner] = []

    def start(*mappings: EventSourceMapping) -> EventRunner:
        runner = EventRunner(resources.sqs, mappings, resources.settings.region)
        runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.stop()


def make_queue_pair(resources: Resources, visibility: int = 1) -> tuple[str, str]:
    sqs = resources.sqs
    name = unique("q-")
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(visibility),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    })
    return name, dlq_url


def test_upload_reaches_the_encoder_handler_with_the_key_decoded(
    resources: Resources, runner_for: Any
) -> None:
    events: list[dict[str, Any]] = []
    uploads: list[Upload] = []
    inner = make_handler(uploads.append)

    def handler(event: dict[str, Any], context: Any) -> Any:
        events.append(event)
        return inner(event, context)

    runner_for(EventSourceMapping("encoder-under-test", resources.settings.encode_queue, handler))
    key = f"uploads/{unique()}/My Film é.mp4"
    resources.s3.put_object(Bucket=resources.settings.uploads_bucket, Key=key, Body=b"\x00" * 64)

    eventually(lambda: [u for u in uploads if u.key == key], timeout=20)
    (upload,) = [u for u in uploads if u.key == key]
    assert upload.bucket == resources.settings.uploads_bucket
    assert upload.size == 64
    record = next(r for e in events for r in e["Records"]
                  if [u.key for u in parse_body(r["body"])] == [key])
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(f":{resources.settings.encode_queue}")
    assert record["awsRegion"] == resources.settings.region
    assert {"messageId", "receiptHandle", "body", "attributes", "md5OfBody"} <= record.keys()
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_objects_outside_uploads_prefix_trigger_nothing(resources: Resources) -> None:
    queue_url = resources.sqs.get_queue_url(QueueName=resources.settings.encode_queue)["QueueUrl"]
    resources.s3.put_object(Bucket=resources.settings.uploads_bucket, Key=f"other/{unique()}.mp4",
                            Body=b"x")
    poller_msgs = resources.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1,
                                                MaxNumberOfMessages=10).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in poller_msgs]
    assert not [b for b in bodies if "Records" in b
                and b["Records"][0]["s3"]["object"]["key"].startswith("other")]


def test_partial_batch_failure_retries_only_the_failed_message(resources: Resources) -> None:
    name, _ = make_queue_pair(resources, visibility=1)
    url = resources.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    for body in ("ok-1", "fail", "ok-2"):
        resources.sqs.send_message(QueueUrl=url, MessageBody=body)
    received: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        received.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if r["body"] == "fail"]}

    mapping = EventSourceMapping("partial", name, handler, batch_size=10)
    poller = QueuePoller(resources.sqs, mapping, resources.settings.region)
    outcome = poller.poll_once()
    while outcome.received < 3:  # SQS may hand out fewer messages than asked at first
        more = poller.poll_once()
        outcome = type(outcome)(outcome.received + more.received, outcome.deleted + more.deleted,
                                outcome.failed + more.failed)
    assert (outcome.deleted, outcome.failed) == (2, 1)
    retried = eventually(lambda: poller.poll_once().received, timeout=10)
    assert retried == 1
    assert received.count("fail") == 2
    assert received.count("ok-1") == received.count("ok-2") == 1


def test_an_invalid_failure_response_fails_the_whole_batch(resources: Resources) -> None:
    name, _ = make_queue_pair(resources, visibility=30)
    url = resources.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    resources.sqs.send_message(QueueUrl=url, MessageBody="x")
    poller = QueuePoller(resources.sqs, EventSourceMapping(
        "invalid", name, lambda e, c: {"batchItemFailures": [{"itemIdentifier": "nope"}]}),
        resources.settings.region)
    outcome = eventually(lambda: poller.poll_once() or None, timeout=5)
    assert (outcome.received, outcome.deleted, outcome.failed) == (1, 0, 1)


def test_a_failing_handler_sends_the_message_to_the_dlq_after_three_receives(
    resources: Resources, runner_for: Any
) -> None:
    name, dlq_url = make_queue_pair(resources, visibility=1)
    url = resources.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attempts: list[str] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], _context: Any) -> None:
        with lock:
            attempts.extend(r["attributes"]["ApproximateReceiveCount"] for r in event["Records"])
        raise RuntimeError("always fails")

    runner_for(EventSourceMapping("doomed", name, handler))
    resources.sqs.send_message(QueueUrl=url, MessageBody="poison")

    def in_dlq() -> list[dict[str, Any]]:
        return list(resources.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1)
                    .get("Messages", []))

    (dead,) = eventually(in_dlq, timeout=30)
    assert dead["Body"] == "poison"
    assert attempts == ["1", "2", "3"]
