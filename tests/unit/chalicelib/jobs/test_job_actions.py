"""Steering encode jobs in process: cancel, retry and re-encode, which states allow which,
who may, and the conditional write that keeps a cancel from landing on a finished job."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JobModel, job_id_for, panel_versions, title_settings
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.jobs.support import a_job, stored
from tests.unit.chalicelib.people import person


@pytest.fixture
def services(in_process: Services) -> Services:
    """The composition root with its tables bound (building a service binds them)."""
    assert in_process.jobs_console is not None
    return in_process


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def a_title(services: Services) -> str:
    title_id = unique("jt-")
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind="film", name="Steered",
                                                  source="generated")])
    return title_id


def put(services: Services, key: str, title_id: str | None) -> None:
    services.resources.s3.put_object(Bucket=services.settings.uploads_bucket, Key=key,
                                     Body=b"the source",
                                     Metadata={"title-id": title_id} if title_id else {})


def test_a_queued_or_running_job_may_be_cancelled_a_finished_one_not(
        services: Services) -> None:
    bucket, admin = services.settings.uploads_bucket, person("admin")
    queued, running = a_job(bucket, "QUEUED"), a_job(bucket, "ENCODING")
    before = panel_versions()

    accepted = services.jobs_console.cancel(admin, queued.job_id)
    assert accepted["was"] == "queued" and "will not start" in accepted["message"]
    assert stored(queued).cancel_requested is True and stored(queued).status == "QUEUED"
    assert services.jobs_console.cancel(admin, running.job_id)["was"] == "running"
    after = panel_versions()
    assert after["queued"] == before["queued"] + 1 and after["active"] == before["active"] + 1
    for status in ("PUBLISHED", "FAILED", "CANCELLED"):
        with pytest.raises(AppError) as finished:
            services.jobs_console.cancel(admin, a_job(bucket, status).job_id)
        assert refusal(finished) == (409, "job_finished")
        assert status.lower() in finished.value.message


def test_a_cancel_racing_the_jobs_end_says_how_it_ended(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket, admin = services.settings.uploads_bucket, person("admin")
    job = a_job(bucket, "PACKAGING")
    console = services.jobs_console
    read = console.job(admin, job.job_id)  # the console reads it while still packaging...
    JobModel(job.job_id).update(actions=[JobModel.status.set("PUBLISHED")])  # ...it publishes
    monkeypatch.setattr(console, "job", lambda viewer, job_id: read)
    with pytest.raises(AppError) as late:
        console.cancel(admin, job.job_id)
    assert refusal(late) == (409, "job_finished") and "published" in late.value.message
    assert stored(job).cancel_requested is False


def test_only_the_uploader_or_an_admin_sees_and_steers_a_job(services: Services) -> None:
    bucket = services.settings.uploads_bucket
    owner, stranger, admin = person("uploader"), person("uploader"), person("admin")
    job = a_job(bucket, "FAILED", uploader=owner.id)
    for call in (services.jobs_console.describe, services.jobs_console.cancel,
                 services.job_actions.retry):
        with pytest.raises(AppError) as hidden:
            call(stranger, job.job_id)
        assert refusal(hidden) == (404, "job_not_found")
    assert services.jobs_console.describe(owner, job.job_id)["uploader"] == owner.id
    assert services.jobs_console.describe(admin, job.job_id)["status"] == "FAILED"
    for impossible in ("", "x" * 65, f"counter#{unique()}"):
        with pytest.raises(AppError) as missing:
            services.jobs_console.describe(admin, impossible)
        assert refusal(missing) == (404, "job_not_found")


def test_a_failed_job_is_retried_from_its_kept_source(services: Services) -> None:
    bucket, admin, title_id = services.settings.uploads_bucket, person("admin"), a_title(
        services)
    rest = f"{unique()}/broken.mp4"
    job = a_job(bucket, "FAILED", title_id=title_id, key=f"uploads/{rest}")
    put(services, f"failed/{rest}", title_id)  # where the encoder moved it

    answer = services.job_actions.retry(admin, job.job_id)
    assert answer["accepted"] is True and answer["key"].startswith("uploads/retry/")
    assert answer["key"].endswith("/broken.mp4")
    copy = services.resources.s3.head_object(Bucket=bucket, Key=answer["key"])
    assert copy["Metadata"] == {"title-id": title_id}  # no force: a plain retry
    assert answer["job_id"] == job_id_for(bucket, answer["key"], copy["ETag"])


def test_a_retry_needs_a_finished_unpublished_job_whose_source_is_kept(
        services: Services) -> None:
    bucket, admin = services.settings.uploads_bucket, person("admin")
    cases = [(a_job(bucket, "ENCODING"), (409, "job_running")),
             (a_job(bucket, "QUEUED"), (409, "job_running")),
             (a_job(bucket, "PUBLISHED"), (409, "job_published")),
             (a_job(bucket, "CANCELLED"), (410, "job_source_gone"))]  # retention removed it
    for job, expected in cases:
        with pytest.raises(AppError) as refused:
            services.job_actions.retry(admin, job.job_id)
        assert refusal(refused) == expected, job.status
    rest = f"{unique()}/never-moved.mp4"
    left = a_job(bucket, "CANCELLED", key=f"uploads/{rest}")
    put(services, f"uploads/{rest}", None)  # cancelled before the encoder moved it
    assert services.job_actions.retry(admin, left.job_id)["accepted"] is True


def test_an_uploader_retries_and_reencodes_only_titles_they_hold(services: Services) -> None:
    bucket, uploader, admin = (services.settings.uploads_bucket, person("uploader"),
                               person("admin"))
    title_id = a_title(services)
    rest = f"{unique()}/broken.mp4"
    job = a_job(bucket, "FAILED", title_id=title_id, uploader=uploader.id,
                key=f"uploads/{rest}")
    put(services, f"failed/{rest}", title_id)
    acts: list[Callable[[], object]] = [
        lambda: services.job_actions.retry(uploader, job.job_id),
        lambda: services.job_actions.reencode(uploader, title_id)]
    for act in acts:
        with pytest.raises(AppError) as refused:
            act()
        assert refusal(refused) == (403, "upload_title_not_assigned")
    services.upload_access.grant(uploader.id, title_id, admin)
    assert services.job_actions.retry(uploader, job.job_id)["accepted"] is True
    with pytest.raises(AppError) as nothing:  # allowed now, but nothing was published
        services.job_actions.reencode(uploader, title_id)
    assert refusal(nothing) == (404, "nothing_to_reencode")


def test_a_reencode_forces_the_latest_published_source_again(services: Services) -> None:
    bucket, admin, title_id = services.settings.uploads_bucket, person("admin"), a_title(
        services)
    older, newer = f"{unique()}/take-1.mp4", f"{unique()}/take-2.mp4"
    a_job(bucket, "PUBLISHED", title_id=title_id, key=f"uploads/{older}", created=1_000)
    a_job(bucket, "PUBLISHED", title_id=title_id, key=f"uploads/{newer}", created=2_000)
    a_job(bucket, "FAILED", title_id=title_id, created=3_000)  # not a published one
    for rest in (older, newer):
        put(services, f"processed/{rest}", title_id)

    answer = services.job_actions.reencode(admin, title_id)
    assert answer["key"].startswith("uploads/reencode/") and answer["key"].endswith(
        "/take-2.mp4")
    copy = services.resources.s3.head_object(Bucket=bucket, Key=answer["key"])
    assert copy["Metadata"] == {"title-id": title_id, "force": "1"}
    for nothing in (a_title(services), "x" * 65, ""):
        with pytest.raises(AppError) as refused:
            services.job_actions.reencode(admin, nothing)
        assert refusal(refused) == (404, "nothing_to_reencode")


def test_a_titles_encode_settings_need_the_title(services: Services) -> None:
    title_id = a_title(services)
    assert title_settings(title_id) == (True, 10.0)  # the defaults
    saved = services.job_actions.settings(title_id, only_latest=False, cooldown_s=0)
    assert saved == {"title_id": title_id, "only_latest": False, "cooldown_s": 0}
    assert title_settings(title_id) == (False, 0.0)
    with pytest.raises(AppError) as missing:
        services.job_actions.settings(unique("no-title-"), True, 5)
    assert refusal(missing) == (404, "title_not_found")


def test_a_reencode_just_after_publishing_finds_the_source_not_yet_archived(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoder marks a job published, then archives its source (a copy under processed/,
    then a delete): a re-encode in between finds it under uploads/, or, moved while it was
    being copied, under processed/ on a second look."""
    bucket, admin, s3 = (services.settings.uploads_bucket, person("admin"),
                         services.resources.s3)
    title_id = a_title(services)
    rest = f"{unique()}/fresh.mp4"
    a_job(bucket, "PUBLISHED", title_id=title_id, key=f"uploads/{rest}")
    put(services, f"uploads/{rest}", title_id)
    answer = services.job_actions.reencode(admin, title_id)
    assert answer["accepted"] is True and answer["key"].endswith("/fresh.mp4")

    real_head = s3.head_object

    def archived_meanwhile(**kwargs: object) -> object:
        if kwargs.get("Key") == f"uploads/{rest}":  # the encoder's archive lands now
            s3.copy_object(Bucket=bucket, Key=f"processed/{rest}",
                           CopySource={"Bucket": bucket, "Key": f"uploads/{rest}"})
            s3.delete_object(Bucket=bucket, Key=f"uploads/{rest}")
        return real_head(**kwargs)

    monkeypatch.setattr(s3, "head_object", archived_meanwhile)
    again = services.job_actions.reencode(admin, title_id)
    copy = real_head(Bucket=bucket, Key=again["key"])
    assert copy["Metadata"] == {"title-id": title_id, "force": "1"}
    monkeypatch.undo()
    s3.delete_object(Bucket=bucket, Key=f"processed/{rest}")  # retention removed it
    with pytest.raises(AppError) as gone:
        services.job_actions.reencode(admin, title_id)
    assert refusal(gone) == (410, "job_source_gone")
