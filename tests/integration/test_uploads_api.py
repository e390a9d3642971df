"""Browser uploads: a presigned POST straight to S3, then the encode job's status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.records import TitleRecord
from chalicelib.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import Account, register
from tests.media_clips import clip as make_clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def uploader(api_url: str, catalogue_services: Services) -> Account:
    account = register(api_url)
    catalogue_services.accounts.set_roles(account.user["id"], ["uploader", "viewer"])
    return account


@pytest.fixture
def title_id(catalogue_services: Services) -> Iterator[str]:
    record = TitleRecord(id=unique("up-"), kind="film", name="Uploaded", source="generated")
    catalogue_services.catalogue_writer.upsert([record])
    yield record.id


def start(api_url: str, account: Account, **body: object) -> httpx.Response:
    return httpx.post(f"{api_url}/api/admin/uploads", json=body, headers=account.bearer,
                      timeout=20)


def test_an_uploader_posts_a_clip_to_s3_and_follows_its_job(
        api_url: str, uploader: Account, title_id: str, resources: Resources,
        encoder_worker: None, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "upload.mp4", seconds=2)
    created = start(api_url, uploader, file_name="My Film (final).mp4",
                    content_type="video/mp4", size=clip.stat().st_size, title_id=title_id)
    assert created.status_code == 201, created.text
    upload = created.json()
    assert upload["key"] == f"uploads/{upload['upload_id']}/My Film _final_.mp4"
    status_url = f"{api_url}{upload['status_url']}"
    waiting = httpx.get(status_url, headers=uploader.bearer, timeout=20).json()
    assert waiting["state"] == "WAITING_FOR_FILE"
    with clip.open("rb") as body:  # what the browser's form post does
        posted = httpx.post(upload["url"], data=upload["fields"],
                            files={"file": ("upload.mp4", body, "video/mp4")}, timeout=60)
    assert posted.status_code in (200, 201, 204), posted.text

    def published() -> dict[str, object] | None:
        state = httpx.get(status_url, headers=uploader.bearer, timeout=20).json()
        return state if state["state"] == "PUBLISHED" else None

    done = eventually(published, timeout=180, interval=1.0)
    assert done["title_id"] == title_id and done["asset_id"]
    title = httpx.get(f"{api_url}/api/titles/{title_id}", timeout=20).json()
    assert title["playable"] is True


def test_uploads_are_for_uploaders_and_check_their_input(
        api_url: str, uploader: Account, title_id: str) -> None:
    viewer = register(api_url)
    assert start(api_url, viewer, file_name="a.mp4", content_type="video/mp4",
                 size=10).status_code == 403
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"file_name": "notes.exe", "content_type": "video/mp4", "size": 10}, 422,
         "bad_upload_name"),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 6 * 1024**3}, 413,
         "upload_too_large"),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 10,
          "title_id": "no-such-title"}, 404, "title_not_found"),
        ({"file_name": "a.mp4", "content_type": "not a type", "size": 10}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4", "size": 0}, 422, None),
        ({"file_name": "a.mp4", "content_type": "video/mp4"}, 422, None),
    ]
    for body, status, code in cases:
        response = start(api_url, uploader, **body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
        if code:
            assert response.json()["error"]["code"] == code
    bad_id = httpx.get(f"{api_url}/api/admin/uploads/../../x", headers=uploader.bearer,
                       timeout=20)
    assert bad_id.status_code in (403, 404)
    unknown = httpx.get(f"{api_url}/api/admin/uploads/{'0' * 32}", headers=uploader.bearer,
                        timeout=20)
    assert unknown.json()["state"] == "WAITING_FOR_FILE"
    assert httpx.get(f"{api_url}/api/admin/uploads/nope", headers=uploader.bearer,
                     timeout=20).status_code == 404
