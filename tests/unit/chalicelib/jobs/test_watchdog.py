"""The encode watchdog in process: silent jobs end FAILED (or CANCELLED) saying where they
stalled, a job heard from meanwhile is left alone, dead letters end their jobs and are kept
beside them, and silent encoding jobs wait while their tasks wait for a worker.

Other tests' jobs share the table: these jobs went silent long ago, and the assertions are
about them, never about everything a sweep found.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.jobs.models import JobModel, panel_versions
from chalicelib.jobs.watchdog import Watchdog, fail_stalled, find_stalled
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.jobs.support import a_job, stamp, stored

SILENCE = 24 * 3600.0  # far beyond any stall period


@pytest.fixture
def watchdog(in_process: Services) -> Watchdog:
    return in_process.encode_watchdog


def silent(services: Services, status: str, heard: float, **fields: Any) -> JobModel:
    stages = {status: {"started_at": stamp(heard - 50)}} if status != "QUEUED" else {}
    job = a_job(services.settings.uploads_bucket, status, created=heard - 60, **fields)
    job.update(actions=[JobModel.stages.set(stages), JobModel.updated_at.set(stamp(heard)),
                        JobModel.heartbeat_at.set(heard)])
    return stored(job)


def read_again(job: JobModel, now: float, after: float) -> JobModel:
    (found,) = [j for j in find_stalled(now, after) if j.job_id == job.job_id]
    return found


def test_a_sweep_fails_silent_jobs_and_leaves_live_ones(in_process: Services,
                                                        watchdog: Watchdog) -> None:
    now = time.time()
    stalled = silent(in_process, "ENCODING", now - SILENCE)
    cancelling = silent(in_process, "PROBING", now - SILENCE, cancel_requested=True)
    alive = silent(in_process, "ENCODING", now - 5)
    # an old heartbeat, but the job changed a moment ago: the newer sign of life counts
    moved = silent(in_process, "PACKAGING", now - 5)
    moved.update(actions=[JobModel.heartbeat_at.set(now - SILENCE)])
    before = panel_versions()

    report = watchdog.sweep(now, budget_s=5)
    assert {stalled.job_id, cancelling.job_id} <= set(report.stalled)
    assert not {alive.job_id, moved.job_id} & set(report.stalled)
    failed = stored(stalled)
    assert failed.status == "FAILED" and failed.lease_until == 0
    assert str(failed.error).startswith("stalled in ENCODING since ")
    assert str(failed.error).endswith("no worker has reported for 1440 minutes")
    assert failed.stages["ENCODING"] == {"started_at": stamp(now - SILENCE - 50),
                                         "ended_at": stamp(now), "outcome": "stalled"}
    assert stored(cancelling).status == "CANCELLED"  # nobody will act on the cancel now
    assert stored(alive).status == "ENCODING" and stored(moved).status == "PACKAGING"
    after = panel_versions()
    assert after["active"] > before["active"] and after["failed"] > before["failed"]


def test_a_job_heard_from_between_the_read_and_the_write_is_left_alone(
        in_process: Services, watchdog: Watchdog) -> None:
    now = time.time()
    beating, moving = (silent(in_process, "ENCODING", now - SILENCE) for _ in range(2))
    read_beating = read_again(beating, now, watchdog.stall_after_s)
    read_moving = read_again(moving, now, watchdog.stall_after_s)
    JobModel(beating.job_id).update(actions=[JobModel.heartbeat_at.set(time.time())])
    JobModel(moving.job_id).update(actions=[JobModel.status.set("PACKAGING")])
    assert fail_stalled(read_beating, now) is False
    assert fail_stalled(read_moving, now) is False
    assert stored(beating).status == "ENCODING" and stored(beating).error is None
    assert "ended_at" not in stored(beating).stages["ENCODING"]
    assert stored(moving).status == "PACKAGING"


def queue_url(services: Services, name: str) -> str:
    return str(services.resources.sqs.get_queue_url(QueueName=name)["QueueUrl"])


def take(services: Services, name: str, message_id: str) -> bool:
    """Delete one message from a queue if it is there (releasing any other at once)."""
    url, sqs = queue_url(services, name), services.resources.sqs
    for _ in range(5):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=0).get("Messages", [])
        for message in batch:
            if message["MessageId"] == message_id:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return True
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
    return False


def send(services: Services, name: str, body: dict[str, Any]) -> str:
    sent = services.resources.sqs.send_message(QueueUrl=queue_url(services, name),
                                               MessageBody=json.dumps(body))
    return str(sent["MessageId"])


def test_a_dead_task_ends_its_job_and_is_kept_beside_it(in_process: Services,
                                                        watchdog: Watchdog) -> None:
    settings, now = in_process.settings, time.time()
    job = silent(in_process, "ENCODING", now - 5)  # alive, yet it can never finish
    task = {"task": "chunk", "job_id": job.job_id, "name": "chunk-0003", "start_s": 180.0,
            "end_s": 240.0}
    message_id = send(in_process, settings.encode_tasks_dlq, task)

    report = watchdog.drainer.drain(queue_url(in_process, settings.encode_tasks_dlq), "task",
                                    now, budget_s=5)
    assert job.job_id in report.failed
    failed = stored(job)
    assert failed.status == "FAILED" and failed.stages["ENCODING"]["outcome"] == "dead_letter"
    assert failed.error == ("task chunk-0003 (180-240 s) failed 3 times and was set aside "
                            "(dead-letter queue)")
    kept = json.loads(in_process.resources.s3.get_object(
        Bucket=settings.data_bucket,
        Key=f"jobs/{job.job_id}/dead-letters/{message_id}.json")["Body"].read())
    assert (kept["queue"], kept["message_id"], kept["body"]) == ("task", message_id, task)
    assert take(in_process, settings.encode_tasks_dlq, message_id) is False  # deleted


def test_a_dead_letter_tied_to_no_job_stays_in_its_queue(in_process: Services,
                                                         watchdog: Watchdog) -> None:
    settings = in_process.settings
    message_id = send(in_process, settings.encode_tasks_dlq,
                      {"task": "chunk", "job_id": unique("nobody-"), "name": "chunk-0000"})
    report = watchdog.drainer.drain(queue_url(in_process, settings.encode_tasks_dlq), "task",
                                    time.time(), budget_s=5)
    assert report.kept >= 1
    assert take(in_process, settings.encode_tasks_dlq, message_id) is True  # visible again


@pytest.fixture
def a_task_waiting(in_process: Services) -> Iterator[None]:
    """A task waiting for a worker in the encode-tasks queue (no worker runs here)."""
    name = in_process.settings.encode_tasks_queue
    message_id = send(in_process, name, {"task": "chunk", "job_id": unique("elsewhere-"),
                                         "name": "chunk-0000"})
    yield
    take(in_process, name, message_id)


def test_silent_encoding_jobs_wait_while_tasks_wait_for_a_worker(
        in_process: Services, watchdog: Watchdog, a_task_waiting: None) -> None:
    now = time.time()
    encoding = silent(in_process, "ENCODING", now - SILENCE)
    probing = silent(in_process, "PROBING", now - SILENCE)
    assert watchdog.tasks_waiting() >= 1
    assert "ENCODING" not in watchdog.judged()

    stalled = watchdog.sweep(now, budget_s=5).stalled
    assert probing.job_id in stalled and encoding.job_id not in stalled
    assert stored(encoding).status == "ENCODING" and stored(probing).status == "FAILED"
