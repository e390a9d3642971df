"""The encode watchdog on the real (moto) table, queues and bucket: silent jobs end FAILED
with a reason a person can read, a job that comes back to life is left alone, and every
dead letter is tied to its job, stored beside it and deleted (or kept, tied to none)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import pytest

from chalicelib.jobs import watchdog
from chalicelib.jobs.models import JOB_MODELS, JobModel, job_id_for, panel_versions
from chalicelib.jobs.watchdog import (
    drain_dead_letters,
    fail_stalled,
    find_stalled,
    stall_after,
)
from chalicelib.platform.clock import iso
from chalicelib.platform.config import Settings
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.support import unique

pytestmark = pytest.mark.integration

STALL_AFTER_S = 300.0


@pytest.fixture(autouse=True)
def bound(resources: Resources) -> None:
    bind_models(resources.settings, JOB_MODELS)


def stamp(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def minute(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def running_job(last_heard: float, status: str = "ENCODING", *, job_id: str | None = None,
                key: str | None = None, **fields: Any) -> JobModel:
    """A job a worker last reported on at `last_heard` (heartbeat and last change)."""
    stages = {"PROBING": {"started_at": stamp(last_heard - 60),
                          "ended_at": stamp(last_heard - 50), "outcome": "ok"},
              status: {"started_at": stamp(last_heard - 50)}} if status != "QUEUED" else {}
    job = JobModel(job_id or unique("wd-"), status=status, bucket="uploads",
                   key=key or f"uploads/{unique()}/film.mp4", created_at=stamp(last_heard - 60),
                   updated_at=stamp(last_heard), stages=stages,
                   **{"heartbeat_at": last_heard, **fields})
    job.save()
    return job


def stored(job: JobModel) -> JobModel:
    return JobModel.get(job.job_id, consistent_read=True)


def test_a_silent_job_fails_with_the_stage_and_time_it_stalled(resources: Resources) -> None:
    now = time.time()
    silent = running_job(now - 600)
    fresh = running_job(now - 10)
    found = {j.job_id for j in find_stalled(now, STALL_AFTER_S)}
    assert silent.job_id in found and fresh.job_id not in found
    (read,) = [j for j in find_stalled(now, STALL_AFTER_S) if j.job_id == silent.job_id]
    before = panel_versions()
    assert fail_stalled(read, now) is True
    failed = stored(silent)
    assert failed.status == "FAILED"
    assert failed.error == (f"stalled in ENCODING since {minute(now - 600)}: no worker has "
                            "reported for 10 minutes")
    assert failed.stages["ENCODING"]["outcome"] == "stalled"
    assert failed.stages["ENCODING"]["ended_at"] == stamp(now)
    assert failed.stages["PROBING"]["outcome"] == "ok"  # finished stages stay as they were
    after = panel_versions()
    assert after["active"] > before["active"] and after["failed"] > before["failed"]
    assert stored(fresh).status == "ENCODING" and stored(fresh).error is None


def test_the_last_sign_of_life_is_the_newer_of_the_heartbeat_and_the_last_change() -> None:
    now = time.time()
    # an old heartbeat, but the job changed a minute ago (a stage moved on): not stalled
    moved = running_job(now - 60, heartbeat_at=now - 3600)
    # a job with no heartbeat at all, queued long ago
    queued = running_job(now - 900, "QUEUED", heartbeat_at=0)
    found = {j.job_id for j in find_stalled(now, STALL_AFTER_S)}
    assert moved.job_id not in found and queued.job_id in found
    (read,) = [j for j in find_stalled(now, STALL_AFTER_S) if j.job_id == queued.job_id]
    assert fail_stalled(read, now) is True
    assert stored(queued).error == (f"stalled in QUEUED since {minute(now - 900)}: no worker "
                                    "has reported for 15 minutes")


def test_a_heartbeat_between_the_read_and_the_write_wins() -> None:
    now = time.time()
    job = running_job(now - 600)
    (read,) = [j for j in find_stalled(now, STALL_AFTER_S) if j.job_id == job.job_id]
    JobModel(job.job_id).update(actions=[JobModel.heartbeat_at.set(time.time())])  # a worker
    assert fail_stalled(read, now) is False
    alive = stored(job)
    assert alive.status == "ENCODING" and alive.error is None
    assert "ended_at" not in alive.stages["ENCODING"]


def test_a_job_that_moved_on_meanwhile_is_left_alone() -> None:
    now = time.time()
    job = running_job(now - 600)
    (read,) = [j for j in find_stalled(now, STALL_AFTER_S) if j.job_id == job.job_id]
    JobModel(job.job_id).update(actions=[JobModel.status.set("PACKAGING")])
    assert fail_stalled(read, now) is False
    assert stored(job).status == "PACKAGING"


def test_a_silent_job_with_a_cancel_pending_ends_cancelled() -> None:
    now = time.time()
    job = running_job(now - 600, cancel_requested=True)
    (read,) = [j for j in find_stalled(now, STALL_AFTER_S) if j.job_id == job.job_id]
    assert fail_stalled(read, now) is True
    assert stored(job).status == "CANCELLED"
    assert str(stored(job).error).startswith("stalled in ENCODING since ")


# -- dead letters ------------------------------------------------------------------------------
def queue_url(resources: Resources, name: str) -> str:
    return str(resources.sqs.get_queue_url(QueueName=name)["QueueUrl"])


def send(resources: Resources, name: str, body: dict[str, Any]) -> str:
    sent = resources.sqs.send_message(QueueUrl=queue_url(resources, name),
                                      MessageBody=json.dumps(body))
    return str(sent["MessageId"])


def s3_event(bucket: str, key: str, etag: str) -> dict[str, Any]:
    return {"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket},
        "object": {"key": quote_plus(key), "size": 10, "eTag": etag}}}]}


def in_queue(resources: Resources, name: str) -> set[str]:
    """Ids of the messages visible in a queue now (received, then released)."""
    url = queue_url(resources, name)
    ids: set[str] = set()
    while True:
        batch = resources.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=1, VisibilityTimeout=5
                                              ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in ids]
        if not fresh:
            break
        ids |= {m["MessageId"] for m in fresh}
    return ids


def dead_letter(resources: Resources, job_id: str, message_id: str) -> dict[str, Any]:
    found = resources.s3.get_object(Bucket=resources.settings.data_bucket,
                                    Key=f"jobs/{job_id}/dead-letters/{message_id}.json")
    loaded: dict[str, Any] = json.loads(found["Body"].read())
    return loaded


def drain(resources: Resources, name: str, kind: watchdog.Kind) -> watchdog.DrainReport:
    return drain_dead_letters(resources.sqs, queue_url(resources, name), kind,
                              s3=resources.s3, data_bucket=resources.settings.data_bucket)


def test_a_dead_task_ends_its_job_and_is_kept_beside_it(resources: Resources,
                                                        settings: Settings) -> None:
    now = time.time()
    job = running_job(now - 5)  # alive: other tasks still report, yet it cannot finish
    task = {"task": "chunk", "job_id": job.job_id, "name": "chunk-0003", "start_s": 180.0,
            "end_s": 240.0}
    message_id = send(resources, settings.encode_tasks_dlq, task)
    report = drain(resources, settings.encode_tasks_dlq, "task")
    assert job.job_id in report.failed and report.stored >= 1
    failed = stored(job)
    assert failed.status == "FAILED"
    assert failed.error == ("task chunk-0003 (180-240 s) failed 3 times and was set aside "
                            "(dead-letter queue)")
    assert failed.stages["ENCODING"]["outcome"] == "dead_letter"
    kept = dead_letter(resources, job.job_id, message_id)
    assert kept["body"] == task and kept["queue"] == "task"
    assert message_id not in in_queue(resources, settings.encode_tasks_dlq)


def test_a_dead_upload_event_ends_its_job(resources: Resources, settings: Settings) -> None:
    now = time.time()
    bucket, key, etag = settings.uploads_bucket, f"uploads/{unique()}/my film (1).mp4", "abc123"
    job = running_job(now - 5, "PROBING", job_id=job_id_for(bucket, key, etag), key=key)
    message_id = send(resources, settings.encode_dlq, s3_event(bucket, key, etag))
    report = drain(resources, settings.encode_dlq, "upload")
    assert report.failed == [job.job_id]
    failed = stored(job)
    assert failed.status == "FAILED"
    assert failed.error == "the upload could not be processed after 3 tries (dead-letter queue)"
    assert dead_letter(resources, job.job_id, message_id)["body"]["Records"]
    assert message_id not in in_queue(resources, settings.encode_dlq)


def test_a_dead_letter_of_a_finished_job_is_kept_and_the_job_left_as_it_is(
        resources: Resources, settings: Settings) -> None:
    job = running_job(time.time() - 5, "PUBLISHED")
    message_id = send(resources, settings.encode_tasks_dlq,
                      {"task": "text", "job_id": job.job_id, "name": "text"})
    report = drain(resources, settings.encode_tasks_dlq, "task")
    assert job.job_id not in report.failed
    assert stored(job).status == "PUBLISHED" and stored(job).error is None
    assert dead_letter(resources, job.job_id, message_id)["body"]["name"] == "text"
    assert message_id not in in_queue(resources, settings.encode_tasks_dlq)


@pytest.fixture
def orphan(resources: Resources, settings: Settings) -> Iterator[str]:
    message_id = send(resources, settings.encode_tasks_dlq,
                      {"task": "chunk", "job_id": unique("nobody-"), "name": "chunk-0000"})
    yield message_id
    url = queue_url(resources, settings.encode_tasks_dlq)
    for _ in range(5):  # tidy up: later drains need not keep stepping over it
        for message in resources.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                     WaitTimeSeconds=1).get("Messages", []):
            if message["MessageId"] == message_id:
                resources.sqs.delete_message(QueueUrl=url,
                                             ReceiptHandle=message["ReceiptHandle"])
                return


def test_a_dead_letter_tied_to_no_job_stays_in_its_queue(
        resources: Resources, settings: Settings, orphan: str) -> None:
    report = drain(resources, settings.encode_tasks_dlq, "task")
    assert report.kept >= 1
    assert orphan in in_queue(resources, settings.encode_tasks_dlq)  # visible again at once


def test_the_sweep_does_both_and_the_service_is_wired_from_the_settings(
        resources: Resources, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    service = Services(resources).encode_watchdog
    assert service.stall_after_s == stall_after(settings.encoder_timeout_seconds) == (
        settings.encoder_timeout_seconds + 120)
    assert service.queues == {"upload": settings.encode_dlq, "task": settings.encode_tasks_dlq}
    assert service.tasks_queue == settings.encode_tasks_queue
    now = time.time()
    silent = running_job(now - 2 * service.stall_after_s)
    dead = running_job(now - 5)
    send(resources, settings.encode_tasks_dlq,
         {"task": "audio", "job_id": dead.job_id, "name": "audio-0", "start_s": 0.0,
          "end_s": 1200.0})
    every = watchdog.find_stalled
    # other tests' encodes may have tasks waiting in the shared queue, which holds back
    # judging silent ENCODING jobs (a rule tested on its own below): not this test's subject
    monkeypatch.setattr(service, "tasks_waiting", lambda: 0)
    # only this test's silent job: other tests' jobs in this session are theirs to end
    monkeypatch.setattr(watchdog, "find_stalled", lambda now, after, statuses: [
        j for j in every(now, after, statuses) if j.job_id == silent.job_id])
    report = service.sweep(now, budget_s=20)
    assert report.stalled == [silent.job_id]
    assert dead.job_id in report.dead_letters["task"].failed
    assert stored(silent).status == stored(dead).status == "FAILED"
    assert stored(dead).error == ("task audio-0 failed 3 times and was set aside "
                                  "(dead-letter queue)")
    assert report.as_dict()["stalled"] == [silent.job_id]


@contextmanager
def a_task_waiting(resources: Resources, settings: Settings) -> Iterator[None]:
    """A task message waiting for a worker in the encode-tasks queue (none runs here)."""
    url = queue_url(resources, settings.encode_tasks_queue)
    message_id = send(resources, settings.encode_tasks_queue,
                      {"task": "chunk", "job_id": unique("elsewhere-"), "name": "chunk-0000"})
    try:
        yield
    finally:
        for _ in range(10):
            batch = resources.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                  WaitTimeSeconds=1).get("Messages", [])
            mine = [m for m in batch if m["MessageId"] == message_id]
            for message in batch:
                if message not in mine:  # not ours: back at once
                    resources.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0)
            if mine:
                resources.sqs.delete_message(QueueUrl=url, ReceiptHandle=mine[0]["ReceiptHandle"])
                break


def test_silent_encoding_jobs_are_not_judged_while_tasks_wait_for_a_worker(
        resources: Resources, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another job's fan-out ahead of its tasks is not a stall; planning alone is."""
    service = Services(resources).encode_watchdog
    now = time.time()
    encoding = running_job(now - 2 * service.stall_after_s)
    probing = running_job(now - 2 * service.stall_after_s, "PROBING")
    mine = {encoding.job_id, probing.job_id}
    every = watchdog.find_stalled
    monkeypatch.setattr(watchdog, "find_stalled", lambda now, after, statuses: [
        j for j in every(now, after, statuses) if j.job_id in mine])
    with a_task_waiting(resources, settings):
        assert service.tasks_waiting() >= 1
        assert service.sweep(now, budget_s=20).stalled == [probing.job_id]
        assert stored(encoding).status == "ENCODING"
    # the queue has drained (of other tests' tasks too, however many this session left)
    monkeypatch.setattr(service, "tasks_waiting", lambda: 0)
    assert service.sweep(now, budget_s=20).stalled == [encoding.job_id]
    assert stored(encoding).status == "FAILED"
