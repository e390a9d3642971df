"""The jobs console and its live dashboard in process: panels per role, newest first, a
title's job index, a job's log, and polls that send only the panels that changed."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import pytest

from chalicelib.jobs.dashboard import encode_cursor
from chalicelib.jobs.models import JobModel, panel_versions
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from encoder_lambda.jobs import JobStore
from localcloud.isolation import unique
from tests.unit.chalicelib.jobs.support import a_job
from tests.unit.chalicelib.people import person


@pytest.fixture
def services(in_process: Services) -> Services:
    """The composition root with its tables bound (building a service binds them)."""
    assert in_process.jobs_console is not None
    return in_process


def ids(jobs: Sequence[Mapping[str, object]]) -> list[object]:
    return [job["job_id"] for job in jobs]


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def test_an_uploader_sees_their_own_jobs_of_a_panel_newest_first(services: Services) -> None:
    bucket, alice, bob = services.settings.uploads_bucket, person("uploader"), person("uploader")
    now = time.time()
    oldest = a_job(bucket, "FAILED", uploader=alice.id, created=now - 30)
    newest = a_job(bucket, "CANCELLED", uploader=alice.id, created=now - 10)
    middle = a_job(bucket, "FAILED", uploader=alice.id, created=now - 20)
    a_job(bucket, "QUEUED", uploader=alice.id)
    bobs = a_job(bucket, "FAILED", uploader=bob.id)
    console = services.jobs_console

    assert ids(console.panel(alice, "failed", 10)) == [newest.job_id, middle.job_id,
                                                       oldest.job_id]
    assert ids(console.panel(alice, "failed", 2)) == [newest.job_id, middle.job_id]
    assert ids(console.panel(bob, "failed", 10)) == [bobs.job_id]
    everyone = ids(console.panel(person("admin"), "failed", 1000))
    assert {newest.job_id, middle.job_id, oldest.job_id, bobs.job_id} <= set(everyone)
    with pytest.raises(AppError) as unknown:
        console.panel(alice, "everything", 10)
    assert refusal(unknown) == (400, "unknown_panel")


def test_a_titles_jobs_are_numbered_and_listed_newest_first(services: Services) -> None:
    bucket, alice, bob = services.settings.uploads_bucket, person("uploader"), person("uploader")
    title_id, store = unique("jt-"), JobStore()
    first = store.open(bucket, f"uploads/{unique()}/a.mp4", unique("e"), 10, title_id, None,
                       alice.id)
    time.sleep(0.002)
    second = store.open(bucket, f"uploads/{unique()}/b.mp4", unique("e"), 10, title_id, None,
                        bob.id)
    admin_view = services.jobs_console.for_title(person("admin"), title_id, 10)
    assert [(j["job_id"], j["number"]) for j in admin_view] == [(second.job_id, 2),
                                                               (first.job_id, 1)]
    assert ids(services.jobs_console.for_title(alice, title_id, 10)) == [first.job_id]
    with pytest.raises(AppError) as too_long:
        services.jobs_console.for_title(alice, "x" * 65, 10)
    assert refusal(too_long) == (404, "title_not_found")


def test_a_jobs_log_is_read_from_the_data_bucket(services: Services) -> None:
    bucket, owner = services.settings.uploads_bucket, person("uploader")
    job = a_job(bucket, "FAILED", uploader=owner.id)
    with pytest.raises(AppError) as none_yet:
        services.jobs_console.log(owner, job.job_id)
    assert refusal(none_yet) == (404, "job_log_missing")
    log_key = f"jobs/{job.job_id}/log.txt"
    services.resources.s3.put_object(Bucket=services.settings.data_bucket, Key=log_key,
                                     Body=b"ffmpeg said: moov atom not found\n")
    job.update(actions=[JobModel.log_key.set(log_key)])
    assert services.jobs_console.log(owner, job.job_id) == "ffmpeg said: moov atom not found\n"
    assert services.jobs_console.describe(owner, job.job_id)["log_url"] == (
        f"/api/admin/jobs/{job.job_id}/log")


def test_the_dashboard_sends_only_the_panels_that_changed(services: Services) -> None:
    bucket, admin, uploader = (services.settings.uploads_bucket, person("admin"),
                               person("uploader"))
    store = JobStore()
    job = store.open(bucket, f"uploads/{unique()}/c.mp4", unique("e"), 10, None, None,
                     uploader.id)
    dashboard = services.dashboard

    first = dashboard.delta(admin, None, limit=1000)
    assert sorted(first["changed"]) == ["active", "failed", "queued", "recent"]
    assert job.job_id in ids(first["panels"]["queued"])
    assert first["cursor"] == encode_cursor(panel_versions())

    idle = dashboard.delta(admin, first["cursor"])
    assert (idle["changed"], idle["cursor"]) == ([], first["cursor"])
    assert all(panel == [] for panel in idle["panels"].values())

    store.move(job, "PROBING")  # leaves the queued panel for the active one
    moved = dashboard.delta(admin, first["cursor"], limit=1000)
    assert sorted(moved["changed"]) == ["active", "queued"]
    assert job.job_id in ids(moved["panels"]["active"])
    assert job.job_id not in ids(moved["panels"]["queued"])
    assert moved["panels"]["recent"] == moved["panels"]["failed"] == []

    mine = dashboard.delta(uploader, None)  # an uploader polls their own jobs
    assert ids(mine["panels"]["active"]) == [job.job_id] and mine["panels"]["queued"] == []


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor({}) + "x",
                                    "WzEsMl0", "eyJhY3RpdmUiOiAiMSJ9"])
def test_a_garbled_dashboard_cursor_is_refused(services: Services, cursor: str) -> None:
    with pytest.raises(AppError) as bad:
        services.dashboard.delta(person("admin"), cursor)
    assert refusal(bad) == (400, "bad_cursor")
