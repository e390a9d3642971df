"""`notflix upload` as a user runs it: a real process, stopped half-way twice, run again.

A 150 MB MP4 (a 3 s clip and a free box of random bytes; any size through
NOTFLIX_TEST_CLI_UPLOAD_BYTES) goes up through the API's
resumable uploads to moto's S3. The first run is stopped with Ctrl-C (SIGINT) once a quarter
of the file is in S3, the second (logging in with email and password) is killed outright
(SIGKILL) past half-way, and the third finishes: each resumes the same upload and sends only
what S3 lacks, the object in S3 is the file byte for byte, and the title is encoded once.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.paths import PROJECT_ROOT
from tests.integration.auth_client import Account, assign_titles, register_as
from tests.media_clips import padded_clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
NOTFLIX = str(Path(sys.executable).with_name("notflix"))
#: 150 MB: 18 parts of 8 MiB (the acceptance run sets NOTFLIX_TEST_CLI_UPLOAD_BYTES to 1 GiB).
SIZE = int(os.environ.get("NOTFLIX_TEST_CLI_UPLOAD_BYTES", "150000000"))
PARTS = -(-SIZE // (8 * 1024 * 1024))
#: Slow enough (~12 s for the file) that the runs can be stopped where this test means to
#: (the stops are timed from S3's own part list, polled every 0.1 s).
RATE = f"{max(1, SIZE // 12_000_000)}M"


@pytest.fixture
def uploader(api_url: str, catalogue_services: Services) -> Account:
    return register_as(api_url, catalogue_services, "uploader", "viewer")


@pytest.fixture
def title_id(catalogue_services: Services, uploader: Account) -> Iterator[str]:
    record = TitleRecord(id=unique("cli-up-"), kind="film", name="Uploaded by the CLI",
                         source="generated")
    catalogue_services.catalogue_writer.upsert([record])
    assign_titles(catalogue_services, uploader, record.id)
    yield record.id


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTFLIX_TOKEN", "NOTFLIX_EMAIL", "NOTFLIX_PASSWORD", "NOTFLIX_API_URL")}
    return {**env, "COLUMNS": "200", **extra}


def start_cli(args: list[str], env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        return subprocess.Popen([NOTFLIX, "upload", *args], env=env, stdout=sink,
                                stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)


def uploads_of(api_url: str, account: Account, video: Path, state: str) -> list[dict[str, Any]]:
    params: dict[str, str | int] = {"file_name": video.name, "size": video.stat().st_size,
                                    "last_modified": video.stat().st_mtime_ns // 1_000_000,
                                    "state": state}
    response = httpx.get(f"{api_url}/api/admin/uploads", params=params, headers=account.bearer,
                         timeout=20)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["uploads"]
    return found


def held(api_url: str, account: Account, upload_id: str) -> dict[str, Any]:
    response = httpx.get(f"{api_url}/api/admin/uploads/{upload_id}/parts",
                         headers=account.bearer, timeout=20)
    assert response.status_code == 200, response.text
    listed: dict[str, Any] = response.json()
    return listed


def stop_when_held(process: subprocess.Popen[bytes], out: Path, api_url: str, account: Account,
                   video: Path, at_least: int, sig: signal.Signals,
                   resources: Resources) -> str:
    """Send ``sig`` once S3 holds ``at_least`` bytes of the file's upload; its id.

    The API names the upload once; the polling then asks S3 itself, so a loaded API (the
    suite runs in parallel) cannot delay the signal until the run has finished.
    """

    def started() -> dict[str, Any] | None:
        assert process.poll() is None, out.read_text(errors="replace")
        unfinished = uploads_of(api_url, account, video, "UPLOADING")
        return unfinished[0] if unfinished else None

    upload = eventually(started, timeout=240, interval=0.2)
    bucket, key = resources.settings.uploads_bucket, str(upload["key"])
    (s3_upload,) = [u for u in resources.s3.list_multipart_uploads(
        Bucket=bucket, Prefix=key).get("Uploads", []) if u["Key"] == key]

    def enough() -> bool:
        assert process.poll() is None, out.read_text(errors="replace")
        parts = resources.s3.list_parts(Bucket=bucket, Key=key, UploadId=s3_upload["UploadId"],
                                        MaxParts=1000).get("Parts", [])
        return sum(int(part["Size"]) for part in parts) >= at_least

    eventually(enough, timeout=240, interval=0.1)
    process.send_signal(sig)
    process.wait(60)
    return str(upload["upload_id"])


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sha256_of_object(resources: Resources, key: str) -> str:
    digest = hashlib.sha256()
    body = resources.s3.get_object(Bucket=resources.settings.uploads_bucket, Key=key)["Body"]
    for block in body.iter_chunks(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def object_exists(resources: Resources, key: str) -> bool:
    listed = resources.s3.list_objects_v2(Bucket=resources.settings.uploads_bucket, Prefix=key)
    return any(item["Key"] == key for item in listed.get("Contents", []))


def nothing_waiting(resources: Resources, name: str) -> bool:
    """Every message of the queue has been taken by a worker at least once.

    Messages still in flight are not waited for: other tests of this worker may leave one
    that is retried for minutes. A duplicate of this upload's would already have its job
    record (the encoder writes it when it takes the message), which the test counts.
    """
    url = resources.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    counts = resources.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(counts["ApproximateNumberOfMessages"]) == 0


@pytest.mark.timeout(900)  # three runs of the CLI moving 150 MB, then an encode
def test_an_interrupted_upload_resumes_completes_and_is_encoded_once(
        api_url: str, uploader: Account, title_id: str, resources: Resources,
        encoder_worker: None, tmp_path: Path) -> None:
    video = padded_clip(tmp_path / "resumable film.mp4", SIZE)
    args = [str(video), "--title", title_id, "--api", api_url]
    with_token = cli_env(NOTFLIX_TOKEN=uploader.token)

    # 1. Ctrl-C once a quarter of the file is in S3: a clean exit that says how to go on
    first = start_cli([*args, "--limit-rate", RATE], with_token, tmp_path / "first.out")
    upload_id = stop_when_held(first, tmp_path / "first.out", api_url, uploader, video,
                               SIZE // 4, signal.SIGINT, resources)
    said = (tmp_path / "first.out").read_text()
    assert first.returncode == 130, said
    assert "run the same command again to resume" in said and "Traceback" not in said
    after_first = held(api_url, uploader, upload_id)
    assert SIZE // 4 <= after_first["bytes_uploaded"] < SIZE

    # 2. email and password this time; resumes the same upload, then is killed outright
    with_password = cli_env(NOTFLIX_EMAIL=uploader.email, NOTFLIX_PASSWORD=uploader.password)
    second = start_cli([*args, "--limit-rate", RATE], with_password, tmp_path / "second.out")
    assert stop_when_held(second, tmp_path / "second.out", api_url, uploader, video,
                          after_first["bytes_uploaded"] + SIZE // 4,
                          signal.SIGKILL, resources) == upload_id
    assert second.returncode == -signal.SIGKILL
    resumed = re.search(rf"Resuming: (\d+) of {PARTS} parts already uploaded",
                        (tmp_path / "second.out").read_text())
    assert resumed and int(resumed.group(1)) >= len(after_first["parts"])
    after_second = held(api_url, uploader, upload_id)
    assert after_first["bytes_uploaded"] < after_second["bytes_uploaded"] < SIZE

    # 3. the same command again: only the missing parts go, then it follows the encode
    third = subprocess.run([NOTFLIX, "upload", *args], env=with_token, capture_output=True,
                           text=True, timeout=600, cwd=PROJECT_ROOT)
    said = third.stdout + third.stderr
    assert third.returncode == 0, said
    resumed = re.search(rf"Resuming: (\d+) of {PARTS} parts already uploaded \([\d.,]+ MB, "
                        r"(\d+) bytes\)", said)
    sent = re.search(r"this run sent (\d+) parts?, (\d+) bytes", said)
    assert resumed and sent, said
    already, sent_bytes = int(resumed.group(2)), int(sent.group(2))
    assert already >= after_second["bytes_uploaded"]
    retries = re.search(r"after (\d+) retr(?:y|ies)", said)
    allowance = int(retries.group(1)) * 8 * 1024 * 1024 if retries else 0
    assert SIZE - already <= sent_bytes <= SIZE - already + allowance
    assert int(resumed.group(1)) + int(sent.group(1)) == PARTS
    assert "published:" in said and title_id in said

    # one upload of the file, completed, encoded exactly once; the title plays
    assert uploads_of(api_url, uploader, video, "UPLOADING") == []
    (completed,) = uploads_of(api_url, uploader, video, "COMPLETED")
    assert completed["upload_id"] == upload_id
    key = completed["key"]
    settings = resources.settings
    eventually(lambda: nothing_waiting(resources, settings.encode_queue)
               and nothing_waiting(resources, settings.encode_tasks_queue), timeout=300)
    bind_models(settings, JOB_MODELS)
    jobs = list(JobModel.by_key.query(key))
    assert len(jobs) == 1 and jobs[0].status == "PUBLISHED", [j.status for j in jobs]
    assert httpx.get(f"{api_url}/api/titles/{title_id}", timeout=20).json()["playable"] is True

    # what S3 received is the file byte for byte. The encoder archives it under processed/
    # just after it marks the job published: a copy of 150 MB that a loaded machine takes
    # seconds over, so the test waits for the move (the source leaves uploads/ last)
    archived = "processed/" + key.removeprefix("uploads/")
    eventually(lambda: object_exists(resources, archived)
               and not object_exists(resources, key), timeout=120)
    assert sha256_of_object(resources, archived) == sha256_of_file(video)
