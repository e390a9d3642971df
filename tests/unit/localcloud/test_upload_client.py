"""The upload client against an in-process fake of the upload API and of S3 (httpx's
MockTransport): parts, resuming, retries, expired URLs, lost answers and stopping."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from chalicelib.uploads.parts import expected_part_bytes as part_bytes
from localcloud.cli import cli
from localcloud.cli import upload as upload_cli
from localcloud.upload_client import (
    ApiError,
    LocalFile,
    PartRejected,
    RetryNotice,
    RetryPolicy,
    UploadClient,
    UploadInterrupted,
    UploadPlan,
    parse_rate,
)

PART = 64 * 1024
API = "http://api.test"


@dataclass
class FakeUpload:
    upload_id: str
    body: dict[str, Any]
    part_size: int
    part_count: int
    state: str = "UPLOADING"
    parts: dict[int, bytes] = field(default_factory=dict)
    completions: int = 0

    def public(self) -> dict[str, Any]:
        return {**self.body, "upload_id": self.upload_id, "state": self.state,
                "key": f"uploads/{self.upload_id}/{self.body['file_name']}",
                "size": self.body["size"], "part_size": self.part_size,
                "part_count": self.part_count, "title_id": self.body.get("title_id"),
                "episode": self.body.get("episode"),
                "status_url": f"/api/admin/uploads/{self.upload_id}"}


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324  (S3's part ETag)


class FakeCloud:
    """The upload API and S3, as the client sees them, with faults to order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 1000.0
        self.uploads: dict[str, FakeUpload] = {}
        self.objects: dict[str, bytes] = {}
        self.sign_calls: list[list[int]] = []
        self.puts: list[int] = []
        self.drop_puts = 0  # the next N PUTs lose their connection
        self.busy_puts = 0  # the next N PUTs get 503 SlowDown
        self.lose_complete_answer = False
        self.lose_start_answer = False
        self.refuse_puts = False
        self.expire_next_put = False  # the clock jumps past the URLs' life before a PUT
        self.job: dict[str, Any] = {"state": "RECEIVED"}  # a completed upload's status

    def error(self, status: int, code: str, message: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": code, "message": message}})

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = urlsplit(str(request.url))
        if url.hostname == "s3.test":
            return self.s3(request)
        with self.lock:
            return self.api(request, url.path)

    def api(self, request: httpx.Request, path: str) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer tok"
        parts = path.strip("/").split("/")  # api admin uploads [id [parts|complete]]
        if path == "/api/admin/uploads" and request.method == "POST":
            body = json.loads(request.content)
            if not body["file_name"].endswith(".mp4"):
                return self.error(422, "bad_upload_name", "Upload a video (.mp4) with its name.")
            upload = FakeUpload(uuid.uuid4().hex, body, PART, max(1, -(-body["size"] // PART)))
            self.uploads[upload.upload_id] = upload
            if self.lose_start_answer:
                self.lose_start_answer = False
                raise httpx.ReadError("connection reset by peer")
            return httpx.Response(201, json={**upload.public(), "parts": []})
        if path == "/api/admin/uploads":
            query = dict(request.url.params)
            found = [u.public() for u in reversed(self.uploads.values())
                     if u.body["file_name"] == query["file_name"]
                     and u.body["size"] == int(query["size"])
                     and u.body["last_modified"] == int(query["last_modified"])
                     and u.state == query["state"]]
            return httpx.Response(200, json={"uploads": found})
        upload = self.uploads[parts[3]]
        if len(parts) == 4 and request.method == "GET":
            status = {"upload_id": upload.upload_id, "upload_state": upload.state,
                      "state": upload.state, "progress": 0,
                      "title_id": upload.body.get("title_id")}
            if upload.state == "COMPLETED":
                status.update(self.job)
            return httpx.Response(200, json=status)
        if parts[4] == "parts" and request.method == "GET":
            listed = [{"part_number": n, "etag": etag_of(d), "size": len(d)}
                      for n, d in sorted(upload.parts.items())]
            return httpx.Response(200, json={**upload.public(), "parts": listed})
        if parts[4] == "parts":
            numbers = json.loads(request.content)["part_numbers"]
            assert 1 <= len(numbers) <= 100 and len(set(numbers)) == len(numbers)
            self.sign_calls.append(numbers)
            urls = [{"part_number": n,
                     "size": part_bytes(upload.body["size"], PART, n),
                     "url": f"http://s3.test/{upload.upload_id}/{n}?expires={self.now + 900}"}
                    for n in numbers]
            return httpx.Response(200, json={"upload_id": upload.upload_id, "expires_in": 900,
                                             "urls": urls})
        assert parts[4] == "complete"
        if upload.state == "COMPLETED":
            return self.error(409, "upload_already_completed", "This upload is already complete.")
        given = json.loads(request.content)["parts"]
        wanted = [{"part_number": n, "etag": etag_of(d)} for n, d in sorted(upload.parts.items())]
        if given != wanted or len(given) != upload.part_count:
            return self.error(422, "upload_parts_mismatch", "These parts cannot complete it.")
        upload.state = "COMPLETED"
        upload.completions += 1
        self.objects[upload.public()["key"]] = b"".join(d for _, d in sorted(upload.parts.items()))
        if self.lose_complete_answer:
            self.lose_complete_answer = False
            raise httpx.ReadTimeout("timed out")
        return httpx.Response(200, json={**upload.public(), "state": "COMPLETED"})

    def s3(self, request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers
        url = urlsplit(str(request.url))
        upload_id, number = url.path.strip("/").split("/")
        with self.lock:
            if self.drop_puts:
                self.drop_puts -= 1
                raise httpx.ConnectError("network is unreachable")
            if self.busy_puts:
                self.busy_puts -= 1
                return httpx.Response(503, text="<Error><Code>SlowDown</Code></Error>")
            if self.expire_next_put:
                self.expire_next_put = False
                self.now += 1000
            if self.refuse_puts:
                return httpx.Response(403, text="<Error><Code>AccessDenied</Code>"
                                                "<Message>Access Denied</Message></Error>")
            if float(parse_qs(url.query)["expires"][0]) < self.now:
                return httpx.Response(403, text="<Error><Code>AccessDenied</Code>"
                                                "<Message>Request has expired</Message></Error>")
        data = request.read()
        assert len(data) == int(request.headers["Content-Length"])
        with self.lock:
            self.uploads[upload_id].parts[int(number)] = data
            self.puts.append(int(number))
        return httpx.Response(200, headers={"ETag": etag_of(data)})


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


def client(cloud: FakeCloud, **kwargs: Any) -> UploadClient:
    transport = httpx.MockTransport(cloud.handler)
    kwargs.setdefault("policy", RetryPolicy(first_delay=0, max_delay=0, max_attempts=6))
    return UploadClient(API, "tok", transport=transport, clock=lambda: cloud.now, **kwargs)


def video(tmp_path: Path, size: int, name: str = "film.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def test_a_file_goes_up_in_parts_and_is_completed_whole(cloud: FakeCloud,
                                                        tmp_path: Path) -> None:
    path = video(tmp_path, 5 * PART + 123)
    progress: list[int] = []
    plans: list[UploadPlan] = []
    with client(cloud, parallel=3) as uploader:
        result = uploader.upload(path, title_id="movie-1", episode="S1E2",
                                 on_progress=progress.append, on_plan=plans.append)
    (upload,) = cloud.uploads.values()
    assert cloud.objects[upload.public()["key"]] == path.read_bytes()
    assert upload.body["last_modified"] == path.stat().st_mtime_ns // 1_000_000
    assert upload.body["title_id"] == "movie-1" and upload.body["episode"] == "S1E2"
    assert upload.body["content_type"] == "video/mp4"
    assert sorted(cloud.puts) == [1, 2, 3, 4, 5, 6]
    assert plans[0].missing == (1, 2, 3, 4, 5, 6) and not plans[0].resumed
    assert sum(progress) == path.stat().st_size
    assert result.sent_bytes == path.stat().st_size and result.sent_parts == 6
    assert result.upload["state"] == "COMPLETED" and result.retries == 0


def test_a_second_run_sends_only_the_parts_s3_lacks(cloud: FakeCloud, tmp_path: Path) -> None:
    path = video(tmp_path, 4 * PART + 10)
    data = path.read_bytes()
    file = LocalFile.of(path)
    with client(cloud) as uploader:
        started = uploader.start(file, "movie-1")
    upload = cloud.uploads[started["upload_id"]]
    upload.parts = {1: data[:PART], 3: data[2 * PART:3 * PART]}
    with client(cloud) as uploader:
        result = uploader.upload(path, title_id="movie-1")
    assert result.plan.upload_id == upload.upload_id
    assert (result.plan.resumed_parts, result.plan.resumed_bytes) == (2, 2 * PART)
    assert sorted(cloud.puts) == [2, 4, 5]
    assert result.sent_bytes == len(data) - 2 * PART
    assert cloud.objects[upload.public()["key"]] == data
    assert len(cloud.uploads) == 1


def test_an_unfinished_upload_of_another_title_is_not_resumed(cloud: FakeCloud,
                                                              tmp_path: Path) -> None:
    path = video(tmp_path, PART + 1)
    with client(cloud) as uploader:
        other = uploader.start(LocalFile.of(path), "movie-2")
        result = uploader.upload(path, title_id="movie-1")
    assert result.plan.upload_id != other["upload_id"] and not result.plan.resumed
    assert cloud.uploads[other["upload_id"]].state == "UPLOADING"


def test_lost_connections_and_5xx_are_retried_and_reported(cloud: FakeCloud,
                                                           tmp_path: Path) -> None:
    path = video(tmp_path, 3 * PART)
    cloud.drop_puts, cloud.busy_puts = 2, 1
    notices: list[RetryNotice] = []
    with client(cloud, parallel=1, on_retry=notices.append) as uploader:
        result = uploader.upload(path)
    assert cloud.objects[result.plan.key] == path.read_bytes()
    assert result.retries == 3
    assert [n.connection_lost for n in notices] == [True, True, False]
    assert all(n.what == "part 1" for n in notices)
    assert "connection lost" in notices[0].error and "503" in notices[2].error


def test_a_part_failing_for_longer_than_the_policy_allows_fails_the_upload(
        cloud: FakeCloud, tmp_path: Path) -> None:
    path = video(tmp_path, PART)
    cloud.drop_puts = 100
    policy = RetryPolicy(first_delay=0, max_delay=0, max_attempts=3)
    with client(cloud, parallel=1, policy=policy) as uploader, pytest.raises(httpx.ConnectError):
        uploader.upload(path)
    assert 100 - cloud.drop_puts == 3


def test_an_expired_url_is_signed_again(cloud: FakeCloud, tmp_path: Path) -> None:
    path = video(tmp_path, 2 * PART)
    cloud.expire_next_put = True
    notices: list[RetryNotice] = []
    with client(cloud, parallel=1, on_retry=notices.append) as uploader:
        result = uploader.upload(path)
    assert cloud.objects[result.plan.key] == path.read_bytes()
    assert len(cloud.sign_calls) == 2 and cloud.sign_calls[0] == [1, 2]
    assert notices == []


def test_a_refused_part_stops_the_upload_with_s3s_message(cloud: FakeCloud,
                                                          tmp_path: Path) -> None:
    path = video(tmp_path, PART)
    cloud.refuse_puts = True
    with client(cloud) as uploader, pytest.raises(PartRejected, match="Access Denied"):
        uploader.upload(path)


def test_a_lost_completion_answer_is_done_when_the_status_says_so(cloud: FakeCloud,
                                                                  tmp_path: Path) -> None:
    path = video(tmp_path, 2 * PART)
    cloud.lose_complete_answer = True
    with client(cloud) as uploader:
        result = uploader.upload(path)
    (upload,) = cloud.uploads.values()
    assert upload.completions == 1 and result.upload["upload_state"] == "COMPLETED"
    assert result.retries == 1


def test_a_lost_start_answer_adopts_the_upload_it_created(cloud: FakeCloud,
                                                          tmp_path: Path) -> None:
    path = video(tmp_path, PART)
    cloud.lose_start_answer = True
    with client(cloud) as uploader:
        result = uploader.upload(path)
    assert len(cloud.uploads) == 1
    assert cloud.objects[result.plan.key] == path.read_bytes()


def test_api_refusals_carry_the_apis_message(cloud: FakeCloud, tmp_path: Path) -> None:
    path = video(tmp_path, PART, name="notes.exe")
    with client(cloud) as uploader, pytest.raises(ApiError) as raised:
        uploader.upload(path)
    assert raised.value.status == 422 and raised.value.code == "bad_upload_name"
    assert "Upload a video" in raised.value.message


def test_stopping_half_way_loses_at_most_the_parts_in_flight(cloud: FakeCloud,
                                                             tmp_path: Path) -> None:
    size = 20 * PART
    path = video(tmp_path, size)
    stop = threading.Event()
    seen = 0

    def progress(amount: int) -> None:
        nonlocal seen
        seen += amount
        if seen >= size // 2:
            stop.set()

    with client(cloud, parallel=4) as uploader:
        with pytest.raises(UploadInterrupted) as raised:
            uploader.upload(path, stop=stop, on_progress=progress)
        first = raised.value
        assert first.plan is not None and 0 < first.parts_done < 20
        result = uploader.upload(path)
    assert result.plan.resumed_parts == first.parts_done
    assert cloud.objects[result.plan.key] == path.read_bytes()
    resent = first.sent_bytes + result.sent_bytes - size
    assert 0 <= resent <= 4 * PART


def test_rates_parse_with_binary_suffixes() -> None:
    assert parse_rate("500K") == 500 * 1024
    assert parse_rate("20M") == 20 * 1024**2
    assert parse_rate("1.5GiB") == 1.5 * 1024**3
    assert parse_rate("100") == 100
    for bad in ("", "fast", "0", "-1M"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_part_sizes_add_up_to_the_file() -> None:
    assert [part_bytes(10, 4, n) for n in (1, 2, 3)] == [4, 4, 2]
    assert part_bytes(8, 4, 2) == 4 and part_bytes(3, 4, 1) == 3


# -- `notflix upload` over the same fake ---------------------------------------------------------
def run_cli(cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    class FakeClient(UploadClient):
        def __init__(self, api_url: str, token: str, **kwargs: Any) -> None:
            super().__init__(api_url, token, transport=httpx.MockTransport(cloud.handler),
                             clock=lambda: cloud.now, **kwargs)

    monkeypatch.setattr(upload_cli, "UploadClient", FakeClient)
    result = CliRunner().invoke(cli, ["upload", *args, "--api", API],
                                env={"NOTFLIX_TOKEN": "tok"})
    return result.exit_code, " ".join(result.output.split())


def test_the_cli_uploads_and_says_what_it_sent(cloud: FakeCloud, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, 3 * PART + 5)
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1", "--no-follow")
    assert code == 0, said
    assert "Uploading film.mp4: 0.2 MB in 4 parts of 0.1 MB" in said
    assert f"this run sent 4 parts, {3 * PART + 5} bytes" in said
    (upload,) = cloud.uploads.values()
    assert f"status: {API}/api/admin/uploads/{upload.upload_id}" in said


def test_the_cli_resumes_and_follows_the_encode_to_its_end(
        cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, 3 * PART)
    with client(cloud) as uploader:
        started = uploader.start(LocalFile.of(path), "movie-1")
    cloud.uploads[started["upload_id"]].parts = {2: path.read_bytes()[PART:2 * PART]}
    cloud.job = {"state": "PUBLISHED", "progress": 1, "job_id": "job-1", "asset_id": "abc"}
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1")
    assert code == 0, said
    assert f"Resuming: 1 of 3 parts already uploaded (0.1 MB, {PART} bytes)" in said
    assert f"this run sent 2 parts, {2 * PART} bytes" in said
    assert "published: movie-1 plays asset abc (job job-1)" in said


def test_the_cli_fails_with_the_reason_of_a_failed_encode(
        cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, PART)
    cloud.job = {"state": "FAILED", "job_id": "job-2", "error": "No video stream [in] it."}
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1")
    assert code == 1
    assert "FAILED: No video stream [in] it. (job job-2)" in said


def test_the_cli_prints_the_apis_refusal(cloud: FakeCloud, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, PART, name="notes.exe")
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1")
    assert code == 1
    assert ("the API refused: Upload a video (.mp4) with its name. (HTTP 422, bad_upload_name)"
            in said)


def test_the_cli_says_when_it_retries_a_lost_connection(
        cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, PART)
    cloud.drop_puts = 1
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1", "--no-follow")
    assert code == 0, said
    assert "connection lost, retrying part 1 in" in said
    assert "(attempt 1: connection lost (ConnectError: network is unreachable))" in said
    # the lost attempt's bytes went out too (the fake reads a body before it drops it)
    assert f"this run sent 1 part, {2 * PART} bytes (0.1 MB) after 1 retry" in said


def test_a_rerun_after_completion_follows_that_upload_unless_told_again(
        cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = video(tmp_path, 2 * PART)
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1", "--no-follow")
    assert code == 0, said
    (first,) = cloud.uploads.values()
    assert first.state == "COMPLETED"
    # killed as S3 joined the parts, run again: nothing is sent, that upload is followed
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1", "--no-follow")
    assert code == 0, said
    assert "already uploaded for movie-1" in said and first.upload_id in said
    assert len(cloud.uploads) == 1 and "this run sent" not in said
    code, said = run_cli(cloud, monkeypatch, str(path), "--title", "movie-1", "--no-follow",
                         "--again")
    assert code == 0 and "this run sent 2 parts" in said, said
    assert len(cloud.uploads) == 2
