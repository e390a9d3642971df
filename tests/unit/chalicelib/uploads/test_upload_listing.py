"""Which uploads a person sees, in process: their own (to resume one), every unfinished one
with how much S3 holds, and an upload's state from its first part to its encode job."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chalicelib.auth.users import User
from chalicelib.openapi.responses import UploadParts
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.uploads.parts import MIN_PART_BYTES
from chalicelib.uploads.service import Declared
from encoder_lambda.jobs import JobStore
from tests.unit.chalicelib.people import person
from tests.unit.chalicelib.uploads.parts import send


def start(services: Services, who: User, name: str = "film.mp4", size: int = 10,
          last_modified: int = 1_700_000_000_000) -> UploadParts:
    upload = services.uploads.start(who, Declared(file_name=name, size=size,
                                                  content_type="video/mp4",
                                                  last_modified=last_modified))
    time.sleep(0.002)  # created_at orders them to the millisecond
    return upload


def ids(uploads: Sequence[Mapping[str, Any]]) -> list[str]:
    return [u["upload_id"] for u in uploads]


def test_my_uploads_come_newest_first_and_a_file_finds_the_one_to_resume(
        in_process: Services) -> None:
    me, someone = person("uploader"), person("uploader")
    older = start(in_process, me, "film.mp4", 10)
    other_file = start(in_process, me, "other.mp4", 10)
    same_name_other_size = start(in_process, me, "film.mp4", 11)
    resumable = start(in_process, me, "film.mp4", 10)
    start(in_process, someone, "film.mp4", 10)
    in_process.uploads.abort(me, older["upload_id"])
    listing = in_process.upload_listing

    assert ids(listing.mine(me, 10)) == [resumable["upload_id"],
                                         same_name_other_size["upload_id"],
                                         other_file["upload_id"], older["upload_id"]]
    assert ids(listing.mine(me, 2)) == [resumable["upload_id"],
                                        same_name_other_size["upload_id"]]
    assert ids(listing.mine(me, 10, file_name="film.mp4", size=10,
                            last_modified=1_700_000_000_000, state="UPLOADING")) == [
        resumable["upload_id"]]
    assert ids(listing.mine(me, 10, file_name="film.mp4", size=10,
                            last_modified=1_600_000_000_000)) == []
    assert ids(listing.mine(me, 10, state="ABORTED")) == [older["upload_id"]]
    assert ids(listing.mine(person("uploader"), 10)) == []


def test_unfinished_uploads_show_how_much_s3_holds(in_process: Services) -> None:
    owner = person("uploader")
    size = MIN_PART_BYTES + 10
    halfway = start(in_process, owner, size=size)
    send(in_process, halfway, 2, b"0123456789")
    untouched = start(in_process, owner)
    cancelled = start(in_process, owner)
    in_process.uploads.abort(owner, cancelled["upload_id"])

    listed = {u["upload_id"]: u for u in in_process.upload_listing.unfinished(1000)}
    assert cancelled["upload_id"] not in listed
    assert (listed[halfway["upload_id"]]["bytes_uploaded"],
            listed[halfway["upload_id"]]["parts_uploaded"],
            listed[halfway["upload_id"]]["progress"]) == (10, 1, round(10 / size, 4))
    assert listed[untouched["upload_id"]]["progress"] == 0
    assert listed[halfway["upload_id"]]["owner_email"] == owner.email


def test_an_uploads_status_follows_it_to_its_encode_job(in_process: Services) -> None:
    owner = person("uploader")
    upload = start(in_process, owner)
    listing = in_process.upload_listing
    assert listing.status(owner, upload["upload_id"])["state"] == "UPLOADING"

    etag = send(in_process, upload, 1, b"0123456789")
    in_process.uploads.complete(owner, upload["upload_id"], [(1, etag)])
    received = listing.status(owner, upload["upload_id"])
    assert (received["upload_state"], received["state"], received["progress"]) == (
        "COMPLETED", "RECEIVED", 0)  # no job yet: the encoder has not picked it up

    job = JobStore().open(in_process.settings.uploads_bucket, upload["key"], etag, 10, None,
                          None, owner.id)
    queued = listing.status(owner, upload["upload_id"])
    assert (queued["state"], queued["job_id"], queued["upload_state"]) == (
        "QUEUED", job.job_id, "COMPLETED")
    detail = queued["progress_detail"]
    assert detail is not None and detail["summary"] == "Queued"


def test_an_aborted_uploads_status_says_why_and_strangers_see_nothing(
        in_process: Services) -> None:
    owner, admin = person("uploader"), person("admin")
    upload = start(in_process, owner)
    in_process.uploads.abort(admin, upload["upload_id"])
    status = in_process.upload_listing.status(owner, upload["upload_id"])
    assert status["state"] == "ABORTED" and admin.email in (status.get("error") or "")
    assert in_process.upload_listing.status(admin, upload["upload_id"])["state"] == "ABORTED"
    with pytest.raises(AppError) as hidden:
        in_process.upload_listing.status(person("uploader"), upload["upload_id"])
    assert (hidden.value.status, hidden.value.code) == (404, "upload_not_found")
