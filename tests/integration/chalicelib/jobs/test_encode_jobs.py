"""Encode job records: created once per upload, moved only along allowed transitions."""

from __future__ import annotations

import time

import pytest

from chalicelib.jobs.models import JOB_MODELS, JobModel
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from encoder_lambda.jobs import JobStore, TransitionRefused
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def jobs(resources: Resources) -> JobStore:
    bind_models(resources.settings, JOB_MODELS)
    return JobStore(lease_seconds=0.5)


def test_a_redelivered_upload_finds_its_job_and_stages_are_recorded(jobs: JobStore) -> None:
    key = f"uploads/{unique()}/film one.mp4"
    job = jobs.open("b", key, '"etag-1"', 1234, "movie-1")
    again = jobs.open("b", key, '"etag-1"', 1234, "movie-1")
    assert again.job_id == job.job_id and again.status == "QUEUED"
    assert jobs.open("b", key, '"etag-2"', 1234, "movie-1").job_id != job.job_id

    jobs.move(job, "PROBING")
    jobs.move(job, "ENCODING", source_info={"width": 640})
    jobs.progress(job, 0.5)
    jobs.move(job, "PACKAGING")
    jobs.move(job, "PUBLISHED", asset_id="a" * 16)
    stored = JobModel.get(job.job_id)
    assert stored.status == "PUBLISHED" and stored.asset_id == "a" * 16
    assert stored.attempts == 1 and stored.progress == 0.5
    assert set(stored.stages) == {"PROBING", "ENCODING", "PACKAGING"}
    assert all(s["outcome"] == "ok" and s["ended_at"] >= s["started_at"]
               for s in stored.stages.values())
    with pytest.raises(TransitionRefused):
        jobs.move(stored, "PROBING")  # a published job is never worked again


def test_a_crashed_job_restarts_at_probing_and_a_stale_copy_cannot_move_it(
        jobs: JobStore) -> None:
    # a lease long enough that a loaded machine cannot outlive it between two calls
    store = JobStore(lease_seconds=4.0)
    job = store.open("b", f"uploads/{unique()}.mp4", "e", 1, None)
    store.move(job, "PROBING")
    taken = time.monotonic()
    store.move(job, "ENCODING")
    stale = JobModel.get(job.job_id)
    redelivered = store.open("b", job.key, "e", 1, None)
    with pytest.raises(TransitionRefused):
        store.move(redelivered, "PROBING")  # the first worker's lease has not run out
    assert time.monotonic() - taken < 4.0, "too slow to have tested the lease"
    time.sleep(max(0.0, 4.2 - (time.monotonic() - taken)))
    store.move(redelivered, "PROBING")  # the worker died mid-encode: start over
    assert JobModel.get(job.job_id).attempts == 2
    with pytest.raises(TransitionRefused):
        store.move(stale, "PACKAGING")  # the first worker's view is out of date


def test_a_lease_ends_with_the_invocation_that_took_it(jobs: JobStore) -> None:
    store = JobStore(lease_seconds=900)
    job = store.open("b", f"uploads/{unique()}.mp4", "e", 1, None)
    store.move(job, "PROBING", lease_for=3.0)  # the invocation had three seconds left
    taken = time.monotonic()
    redelivered = store.open("b", job.key, "e", 1, None)
    with pytest.raises(TransitionRefused):
        store.move(redelivered, "PROBING")
    assert time.monotonic() - taken < 3.0, "too slow to have tested the lease"
    time.sleep(max(0.0, 3.2 - (time.monotonic() - taken)))  # not 900 s: it ended with the call
    store.move(redelivered, "PROBING", lease_for=3600.0)
    stored = JobModel.get(job.job_id)
    assert stored.attempts == 2
    assert stored.lease_until <= time.time() + 900  # never longer than lease_seconds


def test_a_cancel_request_stops_every_move_but_cancelling(jobs: JobStore) -> None:
    job = jobs.open("b", f"uploads/{unique()}.mp4", "e", 1, None)
    jobs.cancel(job.job_id)
    assert jobs.cancel_requested(job.job_id)
    with pytest.raises(TransitionRefused):
        jobs.move(job, "PROBING")
    jobs.move(job, "CANCELLED")
    assert JobModel.get(job.job_id).status == "CANCELLED"
    assert jobs.cancel(job.job_id).status == "CANCELLED"  # final: nothing to do
