"""The event runner against the real moto server: Lambda's SQS event source mapping."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform.resources import Resources
from encoder_lambda.handler import make_handler
from encoder_lambda.s3_events import Upload, parse_body
from localcloud.event_runner import EventRunner, EventSourceMapping, QueuePoller
from tests.fixtures.lambda_handlers import PATH as HANDLERS
from tests.support import eventually, logged_lines, unique

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


# -- time limits and concurrency: handlers in worker processes --------------------------------
def queue_url(resources: Resources, name: str) -> str:
    return str(resources.sqs.get_queue_url(QueueName=name)["QueueUrl"])


def send(resources: Resources, name: str, **body: object) -> None:
    resources.sqs.send_message(QueueUrl=queue_url(resources, name), MessageBody=json.dumps(body))


def queue_counts(resources: Resources, name: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attrs = resources.sqs.get_queue_attributes(
        QueueUrl=queue_url(resources, name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]))


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an orphan's may stay one here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def stamps(out: Path, count: int) -> list[dict[str, Any]]:
    """The `count` stamp handler reports in `out`, by start time."""

    def complete() -> list[dict[str, Any]] | None:
        found = [json.loads(path.read_text()) for path in out.glob("*.json")]
        return found if len(found) == count else None

    return sorted(eventually(complete, timeout=60), key=lambda stamp: stamp["start"])


def test_an_invocation_past_its_timeout_is_killed_with_its_children_and_retried(
    resources: Resources, runner_for: Any, tmp_path: Path
) -> None:
    name, _ = make_queue_pair(resources, visibility=4)
    function = unique("overrun-")
    attempts_file = tmp_path / "attempts.jsonl"

    def attempts() -> list[dict[str, Any]]:
        text = attempts_file.read_text() if attempts_file.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    with logged_lines() as lines:
        runner_for(EventSourceMapping(function, name, f"{HANDLERS}:overrun", timeout_seconds=2))
        send(resources, name, dir=str(tmp_path))
        child = eventually(lambda: read_json(tmp_path / "child.json"), timeout=60)["pid"]
        eventually(lambda: not alive(child), timeout=15, interval=0.05)
        gone_at = time.time()
        eventually(lambda: len(attempts()) == 2 or None, timeout=30)
        eventually(lambda: queue_counts(resources, name) == (0, 0), timeout=15)

    first, second = attempts()
    assert 2000 - 300 <= first["remaining_ms"] <= 2000
    assert 1.8 <= gone_at - first["started"] <= 2 + 2.0  # killed at the limit, ffmpeg too
    assert not alive(first["pid"])
    assert (first["receive_count"], second["receive_count"]) == ("1", "2")
    # Not deleted: back only once the visibility timeout from the first receive had passed.
    assert second["started"] >= first["first_receive_ms"] / 1000 + 4 - 0.5
    assert second["pid"] != first["pid"]  # a fresh worker: the killed one is gone
    (timed_out,) = [line for line in lines if line["message"] == "invocation timed out"]
    assert timed_out["function"] == function
    assert timed_out["timeout_seconds"] == 2
    assert len(timed_out["message_ids"]) == 1
    cold = [line for line in lines if line["message"] == "cold start"
            and line["function"] == function]
    assert [line["pid"] for line in cold] == [first["pid"], second["pid"]]


def test_the_remaining_time_counts_down_inside_the_worker(
    resources: Resources, runner_for: Any, tmp_path: Path
) -> None:
    name, _ = make_queue_pair(resources, visibility=10)
    function = unique("clock-")
    runner_for(EventSourceMapping(function, name, f"{HANDLERS}:clock", timeout_seconds=5,
                                  memory_mb=3008))
    send(resources, name, dir=str(tmp_path))
    seen = eventually(lambda: read_json(tmp_path / "clock.json"), timeout=60)
    assert 4000 <= seen["first"] <= 5000
    assert 900 <= seen["first"] - seen["second"] <= 2500
    assert seen["pid"] != os.getpid()
    assert seen["function_name"] == function
    assert seen["memory_limit_in_mb"] == 3008
    assert seen["aws_request_id"]
    assert seen["invoked_function_arn"].endswith(f":function:{function}")


def test_with_concurrency_two_two_invocations_run_at_once_in_two_processes(
    resources: Resources, runner_for: Any, tmp_path: Path
) -> None:
    name, _ = make_queue_pair(resources, visibility=30)
    for _ in range(2):
        send(resources, name, dir=str(tmp_path), seconds=2)
    runner_for(EventSourceMapping(unique("pair-"), name, f"{HANDLERS}:stamp",
                                  timeout_seconds=20, concurrency=2))
    first, second = stamps(tmp_path, 2)
    assert second["start"] < first["end"]
    assert first["pid"] != second["pid"]


def test_two_queues_of_one_function_with_concurrency_one_take_turns(
    resources: Resources, runner_for: Any, tmp_path: Path
) -> None:
    queues = [make_queue_pair(resources, visibility=30)[0] for _ in range(2)]
    for name in queues:
        send(resources, name, dir=str(tmp_path), seconds=1.5)
    function = unique("serial-")
    runner_for(*(EventSourceMapping(function, name, f"{HANDLERS}:stamp", timeout_seconds=20,
                                    concurrency=1) for name in queues))
    first, second = stamps(tmp_path, 2)
    assert second["start"] >= first["end"]
    assert first["pid"] == second["pid"]  # the warm worker, reused
    assert first["receive_count"] == second["receive_count"] == "1"


def test_a_message_is_not_received_while_no_slot_is_free(
    resources: Resources, runner_for: Any, tmp_path: Path
) -> None:
    name, _ = make_queue_pair(resources, visibility=30)
    for _ in range(2):
        send(resources, name, dir=str(tmp_path), seconds=3)
    runner_for(EventSourceMapping(unique("one-"), name, f"{HANDLERS}:stamp", timeout_seconds=20,
                                  concurrency=1))
    eventually(lambda: list(tmp_path.glob("*.start")), timeout=60, interval=0.05)
    samples = []
    for _ in range(6):  # while the first runs: the second waits, visible, never received
        samples.append(queue_counts(resources, name))
        time.sleep(0.25)
    assert samples == [(1, 1)] * 6
    first, second = stamps(tmp_path, 2)
    assert second["start"] >= first["end"]
    assert first["receive_count"] == second["receive_count"] == "1"
