"""Resumable uploads over the API: an S3 multipart upload the API starts, signs and completes.

The parts go straight to S3 (moto) with the presigned URLs the API hands out, as the upload
page and `notflix upload` send them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.records import Kind, TitleRecord
from chalicelib.jobs.models import JobModel
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import Account, assign_titles, register, register_as
from tests.media_clips import padded_clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


@pytest.fixture
def uploader(api_url: str, catalogue_services: Services) -> Account:
    return register_as(api_url, catalogue_services, "uploader", "viewer")


@pytest.fixture
def title_id(catalogue_services: Services, uploader: Account) -> Iterator[str]:
    """A title the uploader may upload to (an admin assigned it)."""
    record = TitleRecord(id=unique("up-"), kind="film", name="Uploaded", source="generated")
    catalogue_services.catalogue_writer.upsert([record])
    assign_titles(catalogue_services, uploader, record.id)
    yield record.id


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 20 MiB MP4: three parts of 8, 8 and 4 MiB."""
    return padded_clip(tmp_path_factory.mktemp("uploads") / "film.mp4", 20 * MIB)


class Client:
    """The protocol, step by step, as an uploader's program speaks it."""

    def __init__(self, api_url: str, account: Account) -> None:
        self.api = api_url
        self.headers = account.bearer

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", headers=self.headers, timeout=60,
                             **kwargs)

    def start(self, **body: Any) -> httpx.Response:
        return self.call("POST", "/api/admin/uploads", json=body)

    def start_file(self, path: Path, **extra: Any) -> dict[str, Any]:
        started = self.start(file_name=path.name, content_type="video/mp4",
                             size=path.stat().st_size,
                             last_modified=int(path.stat().st_mtime * 1000), **extra)
        assert started.status_code == 201, started.text
        return dict(started.json())

    def sign(self, upload_id: str, numbers: list[int]) -> httpx.Response:
        return self.call("POST", f"/api/admin/uploads/{upload_id}/parts",
                         json={"part_numbers": numbers})

    def send(self, upload: dict[str, Any], path: Path, numbers: list[int]) -> dict[int, str]:
        """PUT the parts to S3 (the URLs are S3's own); their ETags by number."""
        signed = self.sign(upload["upload_id"], numbers)
        assert signed.status_code == 200, signed.text
        etags = {}
        with path.open("rb") as source:
            for part in signed.json()["urls"]:
                source.seek((part["part_number"] - 1) * upload["part_size"])
                put = httpx.put(part["url"], content=source.read(part["size"]), timeout=60)
                assert put.status_code == 200, put.text
                etags[part["part_number"]] = put.headers["etag"]
        return etags

    def complete(self, upload_id: str, etags: dict[int, str]) -> httpx.Response:
        parts = [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
        return self.call("POST", f"/api/admin/uploads/{upload_id}/complete",
                         json={"parts": parts})


def sha256_of_object(resources: Resources, key: str) -> str:
    body = resources.s3.get_object(Bucket=resources.settings.uploads_bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    for block in iter(lambda: body.read(MIB), b""):
        digest.update(block)
    return digest.hexdigest()


def object_exists(resources: Resources, key: str) -> bool:
    listed = resources.s3.list_objects_v2(Bucket=resources.settings.uploads_bucket,
                                          Prefix=key)
    return bool(listed.get("Contents"))


def open_multipart_ids(resources: Resources, key: str) -> set[str]:
    listed = resources.s3.list_multipart_uploads(Bucket=resources.settings.uploads_bucket,
                                                 Prefix=key)
    return {str(u["UploadId"]) for u in listed.get("Uploads", [])}


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def test_parts_sent_in_any_order_complete_into_the_file_which_encodes_once(
        api_url: str, uploader: Account, title_id: str, resources: Resources,
        encoder_worker: None, film: Path) -> None:
    client = Client(api_url, uploader)
    upload = client.start_file(film, title_id=title_id)
    assert (upload["state"], upload["part_size"], upload["part_count"]) == ("UPLOADING",
                                                                           8 * MIB, 3)
    assert upload["key"] == f"uploads/{upload['upload_id']}/film.mp4"
    etags = client.send(upload, film, [3, 1])
    etags |= client.send(upload, film, [2])
    done = client.complete(upload["upload_id"], etags)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "COMPLETED"
    assert sha256_of_object(resources, upload["key"]) == hashlib.sha256(
        film.read_bytes()).hexdigest()
    status_url = f"{api_url}{upload['status_url']}"

    def published() -> dict[str, Any] | None:
        state = httpx.get(status_url, headers=uploader.bearer, timeout=20).json()
        assert state["state"] not in ("FAILED", "CANCELLED"), state
        return state if state["state"] == "PUBLISHED" else None

    final = eventually(published, timeout=180, interval=1.0)
    assert final["upload_state"] == "COMPLETED" and final["asset_id"]
    assert httpx.get(f"{api_url}/api/titles/{title_id}", timeout=20).json()["playable"]
    jobs = list(JobModel.by_key.query(upload["key"]))
    assert len(jobs) == 1, [j.job_id for j in jobs]  # one job for the file, not one per part
    again = client.complete(upload["upload_id"], etags)
    assert (again.status_code, error_code(again)) == (409, "upload_already_completed")
    assert client.sign(upload["upload_id"], [1]).status_code == 409


def test_a_resumed_upload_sends_only_the_parts_s3_lacks(
        api_url: str, uploader: Account, resources: Resources, film: Path) -> None:
    client = Client(api_url, uploader)
    first = client.start_file(film)
    sent = client.send(first, film, [1])
    # ...the connection drops; later the same file is chosen again
    found = client.call("GET", "/api/admin/uploads", params={
        "file_name": film.name, "size": film.stat().st_size,
        "last_modified": int(film.stat().st_mtime * 1000), "state": "UPLOADING"})
    assert found.status_code == 200
    assert [u["upload_id"] for u in found.json()["uploads"]] == [first["upload_id"]]
    listed = client.call("GET", f"/api/admin/uploads/{first['upload_id']}/parts").json()
    assert [(p["part_number"], p["size"]) for p in listed["parts"]] == [(1, 8 * MIB)]
    assert listed["bytes_uploaded"] == 8 * MIB
    sent |= client.send(first, film, [2, 3])
    assert client.complete(first["upload_id"], sent).status_code == 200
    assert sha256_of_object(resources, first["key"]) == hashlib.sha256(
        film.read_bytes()).hexdigest()
    assert client.call("GET", "/api/admin/uploads", params={
        "file_name": film.name, "size": film.stat().st_size, "state": "UPLOADING"}
    ).json()["uploads"] == []


def test_a_part_list_that_does_not_match_is_refused_and_nothing_is_written(
        api_url: str, uploader: Account, resources: Resources, film: Path) -> None:
    client = Client(api_url, uploader)
    upload = client.start_file(film)
    etags = client.send(upload, film, [1, 2, 3])
    wrong: list[tuple[dict[int, str], str]] = [
        ({1: etags[1], 2: etags[2]}, "3 parts"),  # a part missing
        ({1: etags[1], 2: etags[1], 3: etags[3]}, "part 2's ETag"),  # another part's ETag
        ({1: etags[1], 3: etags[3], 4: etags[2]}, "in order"),  # a number out of the list
    ]
    for parts, problem in wrong:
        refused = client.complete(upload["upload_id"], parts)
        assert (refused.status_code, error_code(refused)) == (422, "upload_parts_mismatch")
        assert problem in refused.json()["error"]["message"], refused.text
    assert not object_exists(resources, upload["key"])
    assert client.call("GET", upload["status_url"]).json()["state"] == "UPLOADING"

    # a part of the wrong size: the second part of a file declared as 20 MiB sent short
    other = client.start(file_name="film.mp4", content_type="video/mp4",
                         size=film.stat().st_size).json()
    got = client.send(other, film, [1, 3])
    signed = client.sign(other["upload_id"], [2]).json()["urls"][0]
    got[2] = httpx.put(signed["url"], content=film.read_bytes()[:4 * MIB],
                       timeout=60).headers["etag"]
    refused = client.complete(other["upload_id"], got)
    assert (refused.status_code, error_code(refused)) == (422, "upload_parts_mismatch")
    assert "bytes; it must be" in refused.json()["error"]["message"]
    assert not object_exists(resources, other["key"])

    assert client.complete(upload["upload_id"], etags).status_code == 200


def test_start_and_sign_check_their_input(api_url: str, uploader: Account,
                                          title_id: str) -> None:
    client = Client(api_url, uploader)
    viewer = Client(api_url, register(api_url))
    assert viewer.start(file_name="a.mp4", content_type="video/mp4", size=10
                        ).status_code == 403
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"file_name": "notes.exe", "content_type": "video/mp4", "size": 10}, 422,
         "bad_upload_name"),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 5 * 1024**4 + 1}, 413,
         "upload_too_large"),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 10,
          "title_id": "no-such-title"}, 404, "title_not_found"),
        ({"file_name": "a.mp4", "content_type": "not a type", "size": 10}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 0}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": "10"}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4"}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 10, "episode": "x"},
         422, None),
    ]
    for body, status, code in cases:
        response = client.start(**body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
        if code:
            assert error_code(response) == code
    # the largest allowed file gets parts big enough to stay within S3's 10,000
    biggest = client.start(file_name="long.mkv", content_type="video/x-matroska",
                           size=5 * 1024**4, title_id=title_id).json()
    assert biggest["part_count"] <= 10_000 and biggest["part_size"] <= 5 * 1024**3
    for numbers in ([0], [biggest["part_count"] + 1], list(range(1, 102)), []):
        refused = client.sign(biggest["upload_id"], numbers)
        assert refused.status_code == 422, (numbers, refused.text)
    assert client.call("DELETE", f"/api/admin/uploads/{biggest['upload_id']}"
                       ).status_code == 200
    for path in ("/api/admin/uploads/../../x", f"/api/admin/uploads/{'0' * 32}",
                 "/api/admin/uploads/nope", f"/api/admin/uploads/{'0' * 32}/parts"):
        assert client.call("GET", path).status_code in (403, 404), path


def test_an_upload_is_its_uploaders_alone_and_admins_may_abort_it(
        api_url: str, uploader: Account, resources: Resources, film: Path,
        catalogue_services: Services) -> None:
    client = Client(api_url, uploader)
    upload = client.start_file(film)
    etags = client.send(upload, film, [1])
    upload_id = upload["upload_id"]
    stranger = Client(api_url, register_as(api_url, catalogue_services, "uploader", "viewer"))
    for method, path, body in (
            ("POST", f"/api/admin/uploads/{upload_id}/parts", {"part_numbers": [2]}),
            ("POST", f"/api/admin/uploads/{upload_id}/complete",
             {"parts": [{"part_number": 1, "etag": etags[1]}]}),
            ("GET", f"/api/admin/uploads/{upload_id}/parts", None),
            ("GET", f"/api/admin/uploads/{upload_id}", None),
            ("DELETE", f"/api/admin/uploads/{upload_id}", None)):
        refused = stranger.call(method, path, json=body)
        assert (refused.status_code, error_code(refused)) == (404, "upload_not_found"), path
    assert stranger.call("GET", "/api/admin/uploads").json()["uploads"] == []
    assert upload_id in {u["upload_id"] for u in client.call(
        "GET", "/api/admin/uploads").json()["uploads"]}
    assert stranger.call("GET", "/api/admin/unfinished-uploads").status_code == 403

    admin = Client(api_url, register_as(api_url, catalogue_services, "admin", "viewer"))
    unfinished = {u["upload_id"]: u for u in admin.call(
        "GET", "/api/admin/unfinished-uploads").json()["uploads"]}
    assert unfinished[upload_id]["bytes_uploaded"] == 8 * MIB
    assert unfinished[upload_id]["progress"] == round(8 / 20, 4)
    assert unfinished[upload_id]["owner_email"] == uploader.email
    # an admin may look and abort, never sign parts into someone else's upload
    assert admin.sign(upload_id, [2]).status_code == 404
    s3_upload_ids = open_multipart_ids(resources, upload["key"])
    assert len(s3_upload_ids) == 1
    aborted = admin.call("DELETE", f"/api/admin/uploads/{upload_id}")
    assert aborted.status_code == 200 and aborted.json()["state"] == "ABORTED"
    assert "admin" in aborted.json()["reason"]
    assert open_multipart_ids(resources, upload["key"]) == set()
    assert upload_id not in {u["upload_id"] for u in admin.call(
        "GET", "/api/admin/unfinished-uploads").json()["uploads"]}
    for response in (client.sign(upload_id, [2]), client.complete(upload_id, etags),
                     client.call("DELETE", f"/api/admin/uploads/{upload_id}")):
        assert (response.status_code, error_code(response)) == (409, "upload_aborted")
    status = client.call("GET", f"/api/admin/uploads/{upload_id}").json()
    assert status["state"] == "ABORTED" and "admin" in status["error"]


def test_an_upload_left_completing_by_a_dead_call_ends_in_a_final_state(
        api_url: str, uploader: Account, resources: Resources, film: Path,
        catalogue_services: Services) -> None:
    """The API died after S3 joined the parts but before it recorded so: the next look at
    the upload finds the object and records it COMPLETED; without the object it reopens."""
    from chalicelib.uploads.models import UploadModel

    client = Client(api_url, uploader)
    joined, lost = client.start_file(film), client.start_file(film)
    etags = client.send(joined, film, [1, 2, 3])
    catalogue_services.uploads  # binds the uploads table  # noqa: B018
    record = UploadModel.get(joined["upload_id"], consistent_read=True)
    resources.s3.complete_multipart_upload(
        Bucket=resources.settings.uploads_bucket, Key=record.key, UploadId=record.s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in etags.items()]})
    long_ago = "2026-01-01T00:00:00.000Z"
    for upload_id in (joined["upload_id"], lost["upload_id"]):
        UploadModel.get(upload_id).update(actions=[UploadModel.state.set("COMPLETING"),
                                                   UploadModel.updated_at.set(long_ago)])
    status = client.call("GET", joined["status_url"]).json()
    assert status["upload_state"] == "COMPLETED", status
    reopened = client.call("GET", lost["status_url"]).json()
    assert reopened["upload_state"] == "UPLOADING", reopened


def new_title(services: Services, kind: Kind = "film") -> str:
    """A title nobody has been assigned."""
    record = TitleRecord(id=unique("acl-"), kind=kind,
                         name="Someone else's film", source="generated")
    services.catalogue_writer.upsert([record])
    return record.id


def small_upload(title_id: str) -> dict[str, Any]:
    return {"file_name": "film.mp4", "content_type": "video/mp4", "size": 10,
            "title_id": title_id}


def audited(admin: Client, action: str, target: str) -> list[dict[str, Any]]:
    entries = admin.call("GET", "/api/admin/audit", params={"limit": 200}).json()["entries"]
    return [e for e in entries if e["action"] == action and e["target"] == target]


def test_an_uploader_is_refused_a_title_nobody_assigned_them(
        api_url: str, uploader: Account, catalogue_services: Services) -> None:
    """Issue 18, finding 3: any uploader could replace any title's stream."""
    title = new_title(catalogue_services)
    refused = Client(api_url, uploader).start(**small_upload(title))
    assert (refused.status_code, error_code(refused)) == (403, "upload_title_not_assigned")
    assert title in refused.json()["error"]["message"]
    assert "admin" in refused.json()["error"]["message"]


def test_an_admin_assigns_and_revokes_a_title_and_each_change_is_audited(
        api_url: str, uploader: Account, catalogue_services: Services) -> None:
    title = new_title(catalogue_services)
    client = Client(api_url, uploader)
    admin_account = register_as(api_url, catalogue_services, "admin", "viewer")
    admin = Client(api_url, admin_account)
    user_id = uploader.user["id"]
    access = f"/api/admin/users/{user_id}/upload-access"
    assert client.call("GET", "/api/admin/upload-access").json() == {
        "user_id": user_id, "access": "assigned", "titles": []}
    assert client.start(**small_upload(title)).status_code == 403
    assert admin.start(**small_upload(title)).status_code == 201  # admins: every title
    assert client.call("PUT", f"{access}/{title}").status_code == 403  # admins only

    granted = admin.call("PUT", f"{access}/{title}")
    assert granted.status_code == 201, granted.text
    assert granted.json()["via"] == "assigned"
    assert granted.json()["granted_by_email"] == admin_account.email
    assert admin.call("PUT", f"{access}/{title}").status_code == 200  # already there
    assert admin.call("PUT", f"{access}/no-such-title").status_code == 404
    assert admin.call("PUT", f"/api/admin/users/{'0' * 8}/upload-access/{title}"
                      ).status_code == 404
    listed = admin.call("GET", access).json()
    assert listed["access"] == "assigned"
    assert [(t["title_id"], t["name"], t["via"]) for t in listed["titles"]] == [
        (title, "Someone else's film", "assigned")]
    assert client.call("GET", "/api/admin/upload-access").json()["titles"] == listed["titles"]
    allowed = client.start(**small_upload(title))
    assert allowed.status_code == 201, allowed.text
    # another uploader does not see this upload's status
    stranger = Client(api_url, register_as(api_url, catalogue_services, "uploader", "viewer"))
    hidden = stranger.call("GET", allowed.json()["status_url"])
    assert (hidden.status_code, error_code(hidden)) == (404, "upload_not_found")
    assert stranger.start(**small_upload(title)).status_code == 403

    revoked = admin.call("DELETE", f"{access}/{title}")
    assert revoked.status_code == 200 and revoked.json()["title_id"] == title
    gone = admin.call("DELETE", f"{access}/{title}")
    assert (gone.status_code, error_code(gone)) == (404, "upload_access_not_found")
    again = client.start(**small_upload(title))
    assert (again.status_code, error_code(again)) == (403, "upload_title_not_assigned")
    # nor can the upload started while it was assigned be completed onto the title now
    late = client.complete(allowed.json()["upload_id"], {1: '"0123abcd"'})
    assert (late.status_code, error_code(late)) == (403, "upload_title_not_assigned")
    assert admin.call("GET", access).json()["titles"] == []

    (grant,) = audited(admin, "upload_access.grant", user_id)
    assert grant["details"]["title_id"] == title
    assert grant["actor_email"] == admin_account.email
    (revoke,) = audited(admin, "upload_access.revoke", user_id)
    assert revoke["details"]["title_id"] == title


def test_an_uploader_may_create_a_title_and_upload_to_it(
        api_url: str, uploader: Account, catalogue_services: Services) -> None:
    client = Client(api_url, uploader)
    created = client.call("POST", "/api/admin/titles",
                          json={"kind": "film", "name": "  My first short  ", "year": 2026})
    assert created.status_code == 201, created.text
    title = created.json()["id"]
    assert title.startswith("new-") and created.headers["location"] == f"/api/titles/{title}"
    shown = httpx.get(f"{api_url}/api/titles/{title}", timeout=20).json()
    assert (shown["name"], shown["year"], shown["kind"]) == ("My first short", 2026, "film")
    assert client.start(**small_upload(title)).status_code == 201
    mine = client.call("GET", "/api/admin/upload-access").json()["titles"]
    assert [(t["title_id"], t["via"]) for t in mine] == [(title, "created")]
    other = Client(api_url, register_as(api_url, catalogue_services, "uploader", "viewer"))
    assert other.start(**small_upload(title)).status_code == 403
    viewer = Client(api_url, register(api_url))
    assert viewer.call("POST", "/api/admin/titles",
                       json={"kind": "film", "name": "Not mine"}).status_code == 403
    for bad in ({"kind": "film", "name": "   "}, {"kind": "play", "name": "X"},
                {"kind": "film", "name": "X", "year": "2026"},
                {"kind": "film", "name": "X", "owner": "someone"}):
        refused = client.call("POST", "/api/admin/titles", json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    admin = Client(api_url, register_as(api_url, catalogue_services, "admin", "viewer"))
    (entry,) = audited(admin, "title.create", title)
    assert entry["actor_email"] == uploader.email
    assert admin.call("GET", f"/api/admin/users/{uploader.user['id']}/upload-access"
                      ).json()["titles"][0]["title_id"] == title
    assert admin.call("GET", "/api/admin/upload-access").json()["access"] == "all"
