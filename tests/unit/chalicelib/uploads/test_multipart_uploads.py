"""Multipart uploads in process: start, sign, the parts S3 holds, complete and abort, with the
rules on who may do what and the states an upload moves through.

The browser's part PUTs go to presigned AWS URLs, which moto intercepts only through boto3,
so the tests send each part with ``s3.upload_part`` as the URL's parameters say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.auth.users import User
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.uploads.models import ABORTED, COMPLETED, COMPLETING, UPLOADING, UploadModel
from chalicelib.uploads.parts import MIN_PART_BYTES
from chalicelib.uploads.service import Declared
from localcloud.isolation import unique
from tests.unit.chalicelib.people import person
from tests.unit.chalicelib.uploads.parts import send

MIB = 1024 * 1024


def a_title(services: Services) -> str:
    title_id = unique("up-")
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind="film", name="Uploaded",
                                                  source="generated")])
    return title_id


def declared(size: int, title_id: str | None = None, name: str = "film.mp4") -> Declared:
    return Declared(file_name=name, size=size, content_type="video/mp4", title_id=title_id,
                    last_modified=1_700_000_000_000)


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def open_in_s3(services: Services, key: str) -> int:
    listed = services.resources.s3.list_multipart_uploads(
        Bucket=services.settings.uploads_bucket, Prefix=key)
    return len(listed.get("Uploads", []))


def stored(upload: Mapping[str, Any]) -> UploadModel:
    return UploadModel.get(upload["upload_id"], consistent_read=True)


def test_start_fixes_the_key_and_the_parts_from_the_declared_size(
        in_process: Services) -> None:
    uploader = person("uploader")
    upload = in_process.uploads.start(uploader, declared(20 * MIB, name="../../holiday?.mp4"))
    assert upload["key"] == f"uploads/{upload['upload_id']}/holiday_.mp4"
    assert (upload["state"], upload["part_size"], upload["part_count"]) == (UPLOADING,
                                                                           8 * MIB, 3)
    assert (upload["owner"], upload["bytes_uploaded"], upload["parts"]) == (uploader.id, 0, [])
    assert open_in_s3(in_process, upload["key"]) == 1
    # the largest object S3 takes still fits in its 10,000 parts
    biggest = in_process.uploads.start(uploader, declared(5 * 1024**4, name="long.mkv"))
    assert biggest["part_count"] <= 10_000 and biggest["part_size"] <= 5 * 1024**3


def test_start_refuses_what_cannot_be_uploaded(in_process: Services) -> None:
    uploader, admin = person("uploader"), person("admin")
    title_id = a_title(in_process)
    cases: list[tuple[User, Declared, tuple[int, str]]] = [
        (uploader, declared(10, name="notes.exe"), (422, "bad_upload_name")),
        (uploader, declared(10, name="../"), (422, "bad_upload_name")),
        (uploader, declared(in_process.settings.upload_max_bytes + 1),
         (413, "upload_too_large")),
        (admin, declared(10, unique("no-title-")), (404, "title_not_found")),
        (uploader, declared(10, title_id), (403, "upload_title_not_assigned")),  # not on list
        (person("viewer"), declared(10), (403, "upload_title_not_assigned")),
    ]
    for who, what, expected in cases:
        with pytest.raises(AppError) as refused:
            in_process.uploads.start(who, what)
        assert refusal(refused) == expected, what
    assert in_process.uploads.start(admin, declared(10, title_id))["title_id"] == title_id


def test_signing_gives_each_part_its_size_and_checks_the_numbers(in_process: Services) -> None:
    uploader = person("uploader")
    upload = in_process.uploads.start(uploader, declared(20 * MIB))
    signed = in_process.uploads.sign(uploader, upload["upload_id"], [3, 1, 3])
    assert [(u["part_number"], u["size"]) for u in signed["urls"]] == [(1, 8 * MIB),
                                                                      (3, 4 * MIB)]
    query = parse_qs(urlsplit(signed["urls"][1]["url"]).query)
    assert query["partNumber"] == ["3"]
    assert query["uploadId"] == [stored(upload).s3_upload_id]
    assert signed["expires_in"] == in_process.settings.upload_part_url_seconds
    for numbers in ([], [0], [4], list(range(1, 102))):
        with pytest.raises(AppError) as refused:
            in_process.uploads.sign(uploader, upload["upload_id"], numbers)
        assert refusal(refused) == (422, "bad_part_numbers"), numbers


def test_an_upload_is_its_uploaders_alone_though_an_admin_may_look(
        in_process: Services) -> None:
    owner, stranger, admin = person("uploader"), person("uploader"), person("admin")
    upload = in_process.uploads.start(owner, declared(10))
    upload_id = upload["upload_id"]
    calls: list[Callable[[User], object]] = [
        lambda who: in_process.uploads.sign(who, upload_id, [1]),
        lambda who: in_process.uploads.complete(who, upload_id, [(1, '"x"')]),
        lambda who: in_process.uploads.parts(who, upload_id),
        lambda who: in_process.uploads.abort(who, upload_id)]
    for call in calls:
        with pytest.raises(AppError) as hidden:
            call(stranger)
        assert refusal(hidden) == (404, "upload_not_found")
    for call in calls[:2]:  # an admin never writes parts into someone else's upload
        with pytest.raises(AppError) as hidden:
            call(admin)
        assert refusal(hidden) == (404, "upload_not_found")
    assert in_process.uploads.parts(admin, upload_id)["upload_id"] == upload_id
    for bad_id in ("0" * 32, "../../x", "UPPER" * 6 + "AB"):
        with pytest.raises(AppError) as missing:
            in_process.uploads.parts(owner, bad_id)
        assert refusal(missing) == (404, "upload_not_found")


def test_parts_sent_in_any_order_complete_into_the_whole_file(in_process: Services) -> None:
    uploader, title_id = person("uploader"), a_title(in_process)
    in_process.upload_access.grant(uploader.id, title_id, person("admin"))
    size = MIN_PART_BYTES + 100
    upload = in_process.uploads.start(uploader, declared(size, title_id))
    assert upload["part_count"] == 2
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    etags = {2: send(in_process, upload, 2, body[MIN_PART_BYTES:])}
    listed = in_process.uploads.parts(uploader, upload["upload_id"])
    assert [(p["part_number"], p["size"]) for p in listed["parts"]] == [(2, 100)]
    assert listed["bytes_uploaded"] == 100
    etags[1] = send(in_process, upload, 1, body[:MIN_PART_BYTES])

    done = in_process.uploads.complete(uploader, upload["upload_id"], sorted(etags.items()))
    assert done["state"] == COMPLETED and done["completed_at"]
    assert stored(upload).etag
    got = in_process.resources.s3.get_object(Bucket=in_process.settings.uploads_bucket,
                                             Key=upload["key"])
    assert got["Body"].read() == body
    assert got["Metadata"] == {"uploader": uploader.id, "upload-id": upload["upload_id"],
                               "title-id": title_id}
    again_calls: list[Callable[[], object]] = [
        lambda: in_process.uploads.complete(uploader, upload["upload_id"],
                                            sorted(etags.items())),
        lambda: in_process.uploads.sign(uploader, upload["upload_id"], [1]),
        lambda: in_process.uploads.abort(uploader, upload["upload_id"])]
    for again in again_calls:
        with pytest.raises(AppError) as refused:
            again()
        assert refusal(refused) == (409, "upload_already_completed")
    assert in_process.uploads.parts(uploader, upload["upload_id"])["parts"] == []


def test_a_part_list_that_does_not_match_is_refused_and_nothing_is_joined(
        in_process: Services) -> None:
    uploader = person("uploader")
    upload = in_process.uploads.start(uploader, declared(MIN_PART_BYTES + 10))
    short = send(in_process, upload, 1, b"x" * 10)  # the first part sent short
    last = send(in_process, upload, 2, b"y" * 10)
    wrong: list[tuple[list[tuple[int, str]], str]] = [
        ([(1, short)], "2 parts"),
        ([(2, last), (1, short)], "in order"),
        ([(1, last), (2, last)], "part 1's ETag"),
        ([(1, short), (2, last)], "part 1 is 10 bytes"),
    ]
    for parts, problem in wrong:
        with pytest.raises(AppError) as refused:
            in_process.uploads.complete(uploader, upload["upload_id"], parts)
        assert refusal(refused) == (422, "upload_parts_mismatch")
        assert problem in refused.value.message
    assert stored(upload).state == UPLOADING
    assert open_in_s3(in_process, upload["key"]) == 1


def test_an_aborted_upload_drops_its_parts_and_stays_closed(in_process: Services) -> None:
    owner, admin = person("uploader"), person("admin")
    mine, theirs = (in_process.uploads.start(owner, declared(10)) for _ in range(2))
    etag = send(in_process, mine, 1, b"0123456789")

    assert in_process.uploads.abort(owner, mine["upload_id"])["reason"] == (
        "cancelled by its uploader")
    assert in_process.uploads.abort(admin, theirs["upload_id"])["reason"] == (
        f"cancelled by an admin ({admin.email})")
    assert open_in_s3(in_process, mine["key"]) == open_in_s3(in_process, theirs["key"]) == 0
    closed_calls: list[Callable[[], object]] = [
        lambda: in_process.uploads.sign(owner, mine["upload_id"], [1]),
        lambda: in_process.uploads.complete(owner, mine["upload_id"], [(1, etag)]),
        lambda: in_process.uploads.abort(owner, mine["upload_id"])]
    for closed in closed_calls:
        with pytest.raises(AppError) as refused:
            closed()
        assert refusal(refused) == (409, "upload_aborted")
        assert "its uploader" in refused.value.message
    assert stored(mine).state == ABORTED


def test_an_upload_s3_has_expired_is_recorded_aborted(in_process: Services) -> None:
    uploader = person("uploader")
    upload = in_process.uploads.start(uploader, declared(10))
    in_process.resources.s3.abort_multipart_upload(  # the bucket's lifecycle rule
        Bucket=in_process.settings.uploads_bucket, Key=upload["key"],
        UploadId=stored(upload).s3_upload_id)
    with pytest.raises(AppError) as gone:
        in_process.uploads.parts(uploader, upload["upload_id"])
    assert refusal(gone) == (409, "upload_aborted")
    assert stored(upload).state == ABORTED
    assert "expire after 7 days" in str(stored(upload).reason)


def test_the_title_must_still_be_the_uploaders_to_complete(in_process: Services) -> None:
    uploader, admin, title_id = person("uploader"), person("admin"), a_title(in_process)
    in_process.upload_access.grant(uploader.id, title_id, admin)
    upload = in_process.uploads.start(uploader, declared(10, title_id))
    etag = send(in_process, upload, 1, b"0123456789")
    in_process.upload_access.revoke(uploader.id, title_id)
    with pytest.raises(AppError) as refused:
        in_process.uploads.complete(uploader, upload["upload_id"], [(1, etag)])
    assert refusal(refused) == (403, "upload_title_not_assigned")
    assert stored(upload).state == UPLOADING


def test_an_upload_being_completed_refuses_a_second_completion(in_process: Services) -> None:
    uploader = person("uploader")
    upload = in_process.uploads.start(uploader, declared(10))
    etag = send(in_process, upload, 1, b"0123456789")
    stored(upload).update(actions=[UploadModel.state.set(COMPLETING)])  # another call's
    with pytest.raises(AppError) as busy:
        in_process.uploads.complete(uploader, upload["upload_id"], [(1, etag)])
    assert refusal(busy) == (409, "upload_completing")


def test_an_upload_left_completing_by_a_dead_call_settles(in_process: Services) -> None:
    """After a while without word, S3's object decides: COMPLETED if joined, else reopened."""
    uploader = person("uploader")
    joined, lost = (in_process.uploads.start(uploader, declared(10)) for _ in range(2))
    etags = {name: send(in_process, upload, 1, b"0123456789")
             for name, upload in (("joined", joined), ("lost", lost))}
    in_process.resources.s3.complete_multipart_upload(
        Bucket=in_process.settings.uploads_bucket, Key=joined["key"],
        UploadId=stored(joined).s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags["joined"]}]})
    for upload in (joined, lost):
        stored(upload).update(actions=[UploadModel.state.set(COMPLETING),
                                       UploadModel.updated_at.set("2020-01-01T00:00:00.000Z")])
    assert in_process.uploads.settle(stored(joined)).state == COMPLETED
    assert in_process.uploads.settle(stored(lost)).state == UPLOADING
    assert stored(joined).state == COMPLETED and stored(lost).state == UPLOADING
    # reopened, it completes as any upload does
    done = in_process.uploads.complete(uploader, lost["upload_id"], [(1, etags["lost"])])
    assert done["state"] == COMPLETED
