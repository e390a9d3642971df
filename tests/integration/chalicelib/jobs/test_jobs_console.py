"""The jobs console's API: panels, the per-title index, logs, cancel, roles and the audit log."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel, title_settings
from chalicelib.openapi import responses
from chalicelib.platform.clock import iso
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from chalicelib.uploads.models import COMPLETED, UPLOAD_MODELS, UploadModel
from encoder_lambda.jobs import JobStore
from tests.integration.auth_client import Account, assign_titles, register
from tests.media_clips import clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def people(api_url: str, catalogue_services: Services) -> dict[str, Account]:
    accounts = {name: register(api_url) for name in ("admin", "alice", "bob", "viewer")}
    roles = {"admin": ["admin", "viewer"], "alice": ["uploader", "viewer"],
             "bob": ["uploader", "viewer"]}
    for name, granted in roles.items():
        catalogue_services.accounts.set_roles(accounts[name].user["id"], granted)
    return accounts


@pytest.fixture
def jobs(people: dict[str, Account], resources: Resources) -> dict[str, JobModel]:
    bind_models(resources.settings, JOB_MODELS)
    store = JobStore()
    bucket = resources.settings.uploads_bucket
    title = unique("jt-")
    alice, bob = people["alice"].user["id"], people["bob"].user["id"]
    first = store.open(bucket, f"uploads/{unique()}/a.mp4", unique("e"), 10, title, None, alice)
    second = store.open(bucket, f"uploads/{unique()}/b.mp4", unique("e"), 10, title, None, alice)
    other = store.open(bucket, f"uploads/{unique()}/c.mp4", unique("e"), 10, None, None, bob)
    log_key = f"jobs/{first.job_id}/log.txt"
    resources.s3.put_object(Bucket=resources.settings.data_bucket, Key=log_key,
                            Body=b"ffmpeg said: all good\n")
    first.update(actions=[JobModel.log_key.set(log_key)])
    return {"first": first, "second": second, "other": other, "title": title}  # type: ignore[dict-item]


def get(api_url: str, account: Account | None, path: str) -> httpx.Response:
    return httpx.get(f"{api_url}{path}", headers=account.bearer if account else {},
                     timeout=20)


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {j["job_id"] for j in response.json()["jobs"]}


def test_each_role_sees_what_it_may(api_url: str, people: dict[str, Account],
                                    jobs: dict[str, JobModel]) -> None:
    first, second, other = jobs["first"].job_id, jobs["second"].job_id, jobs["other"].job_id
    queued = "/api/admin/jobs?panel=queued&limit=100"
    assert ids(get(api_url, people["alice"], queued)) >= {first, second}
    assert other not in ids(get(api_url, people["alice"], queued))
    assert ids(get(api_url, people["bob"], queued)) == {other}
    assert ids(get(api_url, people["admin"], queued)) >= {first, second, other}
    assert get(api_url, people["viewer"], queued).status_code == 403
    assert get(api_url, None, queued).status_code == 401
    # another uploader's job does not exist for you
    assert get(api_url, people["bob"], f"/api/admin/jobs/{first}").status_code == 404
    assert get(api_url, people["bob"], f"/api/admin/jobs/{first}/log").status_code == 404
    mine = get(api_url, people["alice"], f"/api/admin/jobs/{first}").json()
    assert mine["status"] == "QUEUED" and mine["number"] == 1
    assert mine["progress"] == 0 and mine["progress_detail"]["summary"] == "Queued"
    assert mine["log_url"] == f"/api/admin/jobs/{first}/log"
    log = get(api_url, people["admin"], mine["log_url"])
    assert log.status_code == 200 and log.text == "ffmpeg said: all good\n"
    assert "attachment" in log.headers["content-disposition"]
    # the title's job index: job 2, then job 1
    index = get(api_url, people["admin"], f"/api/admin/jobs?title={jobs['title']}").json()
    assert [(j["job_id"], j["number"]) for j in index["jobs"]] == [(second, 2), (first, 1)]
    too_long = get(api_url, people["admin"], f"/api/admin/jobs?title={'x' * 3000}")
    assert too_long.status_code == 400  # the documented limit: 64 characters
    assert too_long.json()["error"]["code"] == "bad_query_param"
    bad = get(api_url, people["admin"], "/api/admin/jobs?panel=everything")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_panel"


def test_cancel_is_audited_and_a_finished_job_says_so(
        api_url: str, people: dict[str, Account], jobs: dict[str, JobModel]) -> None:
    first, other = jobs["first"], jobs["other"]
    alice = people["alice"]
    refused = httpx.post(f"{api_url}/api/admin/jobs/{other.job_id}/cancel",
                         headers=alice.bearer, timeout=20)
    assert refused.status_code == 404  # bob's
    accepted = httpx.post(f"{api_url}/api/admin/jobs/{first.job_id}/cancel",
                          headers=alice.bearer, timeout=20)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["was"] == "queued" and "will not start" in accepted.json()["message"]
    assert JobModel.get(first.job_id, consistent_read=True).cancel_requested is True
    JobStore().move(JobModel.get(other.job_id), "CANCELLED")
    finished = httpx.post(f"{api_url}/api/admin/jobs/{other.job_id}/cancel",
                          headers=people["bob"].bearer, timeout=20)
    assert finished.status_code == 409
    assert finished.json()["error"]["code"] == "job_finished"
    entries = get(api_url, people["admin"], "/api/admin/audit").json()["entries"]
    cancel = next(e for e in entries if e["target"] == first.job_id)
    assert cancel["action"] == "job.cancel" and cancel["actor_email"] == alice.email
    assert cancel["ip"] and cancel["details"] == {"was": "queued"}
    assert get(api_url, alice, "/api/admin/audit").status_code == 403


def dashboard(api_url: str, account: Account, since: str | None = None) -> dict[str, Any]:
    params = {"since": since} if since else {}
    response = httpx.get(f"{api_url}/api/admin/dashboard", params=params,
                         headers=account.bearer, timeout=20)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_dashboard_sends_only_what_changed(api_url: str, people: dict[str, Account],
                                               jobs: dict[str, JobModel]) -> None:
    admin = people["admin"]
    first = dashboard(api_url, admin)
    assert set(first["changed"]) == {"active", "queued", "recent", "failed"}
    panels = first["panels"]
    assert jobs["first"].job_id in {j["job_id"] for j in panels["queued"]}
    # nothing changed: every panel empty, the same cursor
    idle = dashboard(api_url, admin, str(first["cursor"]))
    assert idle["changed"] == [] and idle["cursor"] == first["cursor"]
    assert all(v == [] for v in idle["panels"].values())
    # a job starts: the queued and active panels change, the others stay empty
    store = JobStore()
    store.move(JobModel.get(jobs["second"].job_id), "PROBING")
    moved = dashboard(api_url, admin, str(first["cursor"]))
    assert sorted(moved["changed"]) == ["active", "queued"]
    assert jobs["second"].job_id in {
        j["job_id"] for j in moved["panels"]["active"]}
    assert moved["panels"]["recent"] == [] and moved["panels"]["failed"] == []
    # uploaders poll it too, seeing their own jobs only
    bob = dashboard(api_url, people["bob"])
    assert {j["job_id"] for j in bob["panels"]["queued"]} == {
        jobs["other"].job_id}
    bad = httpx.get(f"{api_url}/api/admin/dashboard", params={"since": "%%%"},
                    headers=admin.bearer, timeout=20)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"


def test_retry_reencode_and_settings(api_url: str, people: dict[str, Account],
                                     resources: Resources, catalogue_services: Services,
                                     encoder_worker: None, tmp_path: Path) -> None:
    admin = people["admin"]
    bind_models(resources.settings, JOB_MODELS)
    title = unique("rt-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(id=title, kind="film",
                                                            name="Retried",
                                                            source="generated")])
    bucket = resources.settings.uploads_bucket
    broken = f"uploads/{unique()}/broken.mp4"
    resources.s3.put_object(Bucket=bucket, Key=broken, Body=b"not a video at all",
                            Metadata={"title-id": title})
    failed = wait_for(lambda: next((j for j in JobModel.by_key.query(broken)
                                    if j.status == "FAILED"), None))
    retried = httpx.post(f"{api_url}/api/admin/jobs/{failed.job_id}/retry",
                         headers=admin.bearer, timeout=20)
    assert retried.status_code == 202, retried.text
    assert retried.json()["key"].startswith("uploads/retry/")
    again = wait_for(lambda: job_if_final(retried.json()["job_id"]))
    assert again.status == "FAILED" and again.title_id == title  # a new job, same file
    good = f"uploads/{unique()}/good.mp4"
    resources.s3.upload_file(str(clip(tmp_path / "good.mp4", seconds=2)), bucket, good,
                             ExtraArgs={"Metadata": {"title-id": title}})
    published = wait_for(lambda: next((j for j in JobModel.by_key.query(good)
                                       if j.status == "PUBLISHED"), None))
    not_again = httpx.post(f"{api_url}/api/admin/jobs/{published.job_id}/retry",
                           headers=admin.bearer, timeout=20)
    assert not_again.status_code == 409 and not_again.json()["error"]["code"] == "job_published"
    reencoded = httpx.post(f"{api_url}/api/admin/titles/{title}/reencode",
                           headers=admin.bearer, timeout=20)
    assert reencoded.status_code == 202, reencoded.text
    redone = wait_for(lambda: job_if_final(reencoded.json()["job_id"]))
    assert redone.status == "PUBLISHED"
    assert redone.stages["ENCODING"]["outcome"] == "ok"  # encoded again, not linked
    # per-title settings
    settings = httpx.put(f"{api_url}/api/admin/titles/{title}/encode-settings",
                         headers=admin.bearer, timeout=20,
                         json={"only_latest": False, "cooldown_s": 0})
    assert settings.status_code == 200 and settings.json()["only_latest"] is False
    assert title_settings(title) == (False, 0)
    assert httpx.put(f"{api_url}/api/admin/titles/{title}/encode-settings",
                     headers=admin.bearer, timeout=20,
                     json={"only_latest": True, "cooldown_s": -1}).status_code == 422
    assert httpx.put(f"{api_url}/api/admin/titles/nope/encode-settings",
                     headers=admin.bearer, timeout=20,
                     json={"only_latest": True, "cooldown_s": 5}).status_code == 404
    assert httpx.put(f"{api_url}/api/admin/titles/{title}/encode-settings",
                     headers=people["alice"].bearer, timeout=20,
                     json={"only_latest": True, "cooldown_s": 5}).status_code == 403


def test_an_uploader_retries_and_reencodes_only_titles_they_may_upload_to(
        api_url: str, people: dict[str, Account], resources: Resources,
        catalogue_services: Services) -> None:
    """A retry or a re-encode puts media onto the title as an upload does: same rule."""
    bind_models(resources.settings, JOB_MODELS)
    alice = people["alice"]
    title = unique("acl-job-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(id=title, kind="film",
                                                            name="Guarded", source="generated")])
    bucket = resources.settings.uploads_bucket
    rest = f"{unique()}/broken.mp4"
    job = JobStore().open(bucket, f"uploads/{rest}", unique("e"), 10, title, None,
                          alice.user["id"])
    job.update(actions=[JobModel.status.set("FAILED")])
    resources.s3.put_object(Bucket=bucket, Key=f"failed/{rest}", Body=b"x",
                            Metadata={"title-id": title})
    retry = f"{api_url}/api/admin/jobs/{job.job_id}/retry"
    reencode = f"{api_url}/api/admin/titles/{title}/reencode"
    for url in (retry, reencode):
        refused = httpx.post(url, headers=alice.bearer, timeout=20)
        assert refused.status_code == 403, (url, refused.text)
        assert refused.json()["error"]["code"] == "upload_title_not_assigned"
    assign_titles(catalogue_services, alice, title)
    assert httpx.post(retry, headers=alice.bearer, timeout=20).status_code == 202
    nothing = httpx.post(reencode, headers=alice.bearer, timeout=20)  # allowed; none published
    assert nothing.json()["error"]["code"] == "nothing_to_reencode"


def wait_for(probe: Any) -> Any:
    return eventually(probe, timeout=120, interval=0.5)


def job_if_final(job_id: str) -> JobModel | None:
    try:
        job = JobModel.get(job_id, consistent_read=True)
    except JobModel.DoesNotExist:
        return None
    return job if job.status in ("PUBLISHED", "FAILED", "CANCELLED") else None


def test_cancel_racing_completion_ends_in_one_consistent_state(
        people: dict[str, Account], resources: Resources,
        catalogue_services: Services) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.jobs.console import JobsConsole
    from chalicelib.platform.errors import AppError
    from encoder_lambda.jobs import TransitionRefused

    bind_models(resources.settings, JOB_MODELS)
    store, console = JobStore(), JobsConsole(resources.s3, resources.settings.data_bucket)
    viewer = catalogue_services.users.get(people["admin"].user["id"])
    assert viewer is not None
    outcomes: list[tuple[str, str]] = []
    for _ in range(8):
        job = store.open(resources.settings.uploads_bucket, f"uploads/{unique()}/r.mp4",
                         unique("e"), 10, None)
        store.move(job, "PROBING")
        store.move(job, "ENCODING")
        store.move(job, "PACKAGING")

        def publish(job: JobModel = job) -> str:
            try:
                store.move(job, "PUBLISHED")
                return "published"
            except TransitionRefused:
                store.move(JobModel.get(job.job_id, consistent_read=True), "CANCELLED")
                return "cancelled"

        def cancel(job_id: str = job.job_id) -> str:
            try:
                console.cancel(viewer, job_id)
                return "accepted"
            except AppError as exc:
                return exc.code

        with ThreadPoolExecutor(2) as pool:
            published, cancelled = pool.submit(publish), pool.submit(cancel)
            outcome = (published.result(), cancelled.result())
        final = JobModel.get(job.job_id, consistent_read=True).status
        assert outcome in {("published", "job_finished"), ("cancelled", "accepted")}, outcome
        assert final == outcome[0].upper()
        outcomes.append(outcome)
    assert outcomes


def ago(seconds: float) -> str:
    return iso(datetime.fromtimestamp(time.time() - seconds, UTC))


def test_a_running_job_shows_chunks_percent_elapsed_and_time_left(
        api_url: str, people: dict[str, Account], resources: Resources) -> None:
    """On the console (panels, the job) and on the uploader's status API alike."""
    bind_models(resources.settings, JOB_MODELS)
    upload_id = uuid.uuid4().hex
    key = f"uploads/{upload_id}/film.mp4"
    # the file as the encoder leaves it (outside uploads/, so no S3 event starts an encode)
    resources.s3.put_object(Bucket=resources.settings.uploads_bucket,
                            Key=f"processed/{upload_id}/film.mp4", Body=b"x")
    chunks = [f"chunk-{i:04d}" for i in range(20)]
    job = JobModel(unique("pj-"), status="ENCODING", bucket=resources.settings.uploads_bucket,
                   key=key, uploader=people["alice"].user["id"], created_at=ago(90),
                   updated_at=ago(1), heartbeat_at=time.time() - 1,
                   plan={"tasks": chunks, "chunks": 20, "chunk_seconds": 60,
                         "segment_seconds": 4, "duration_s": 1200},
                   tasks_total=20, tasks_done=set(chunks[:7]),
                   task_progress={"chunk-0007": 0.5, "chunk-0008": 0.1},
                   stages={"PROBING": {"started_at": ago(82), "ended_at": ago(72),
                                       "outcome": "ok"},
                           "ENCODING": {"started_at": ago(72)}})
    job.save()
    # the upload record the browser's completed upload left (alice's own)
    bind_models(resources.settings, UPLOAD_MODELS)
    UploadModel(upload_id, owner=people["alice"].user["id"], file_name="film.mp4", key=key,
                size=1, content_type="video/mp4", s3_upload_id="s3-upload", part_size=8 << 20,
                part_count=1, state=COMPLETED, created_at=ago(95), updated_at=ago(90)).save()
    line = re.compile(r"^Encoding: 7 of 20 chunks · 38% · 1:1\d elapsed · about \d:\d\d left$")
    shown = get(api_url, people["alice"], f"/api/admin/jobs/{job.job_id}").json()
    detail = shown["progress_detail"]
    assert line.match(detail["summary"]), detail["summary"]
    assert (detail["chunks_done"], detail["chunks_total"], detail["percent"]) == (7, 20, 38)
    assert shown["progress"] == 0.38 and detail["eta_seconds"] > 0
    assert detail["heartbeat_age_s"] < 60
    assert shown["stages"]["PROBING"]["seconds"] == shown["stages"]["PROBING"]["elapsed_s"] == 10
    assert shown["stages"]["ENCODING"]["running"] is True
    assert shown["stages"]["ENCODING"]["seconds"] is None
    assert shown["stages"]["ENCODING"]["elapsed_s"] >= 72
    active = get(api_url, people["alice"], "/api/admin/jobs?panel=active&limit=100").json()
    (listed,) = [j for j in active["jobs"] if j["job_id"] == job.job_id]
    assert line.match(listed["progress_detail"]["summary"])
    status = get(api_url, people["alice"], f"/api/admin/uploads/{upload_id}").json()
    assert status["state"] == "ENCODING" and status["job_id"] == job.job_id
    assert status["progress"] == 0.38 and line.match(status["progress_detail"]["summary"])
    assert [s["name"] for s in status["progress_detail"]["stages"]] == ["PROBING", "ENCODING"]
    # the answers keep the document's promises (the contract fuzzer's stack has no jobs)
    TypeAdapter(responses.Job).validate_python(shown)
    TypeAdapter(responses.JobPanel).validate_python(active)
    TypeAdapter(responses.UploadStatus).validate_python(status)
    TypeAdapter(responses.Dashboard).validate_python(dashboard(api_url, people["alice"]))
    assert TypeAdapter(responses.UploadStatus).validate_python(status).get(
        "progress_detail") is not None
