"""Retention: the dry run lists what the real run deletes; what a title plays always stays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import register
from tests.media_clips import clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


def published(key: str) -> JobModel | None:
    return next((j for j in JobModel.by_key.query(key) if j.status in ("PUBLISHED", "FAILED")),
                None)


def finished(key: str) -> Callable[[], JobModel | None]:
    return lambda: published(key)


def exists(resources: Resources, bucket: str, key: str) -> bool:
    found = resources.s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return bool(found.get("Contents"))


def test_dry_run_then_real_run(api_url: str, resources: Resources,
                               catalogue_services: Services, encoder_worker: None,
                               tmp_path: Path) -> None:
    admin = register(api_url)
    catalogue_services.accounts.set_roles(admin.user["id"], ["admin", "viewer"])
    bind_models(resources.settings, JOB_MODELS)
    title = unique("ret-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(id=title, kind="film",
                                                            name="Kept", source="generated")])
    uploads, media = resources.settings.uploads_bucket, resources.settings.media_bucket
    keys = []
    for n in range(2):  # the second upload replaces the first's stream
        key = f"uploads/{unique()}/take-{n}.mp4"
        resources.s3.upload_file(str(clip(tmp_path / f"take-{n}.mp4", seconds=2)), uploads,
                                 key, ExtraArgs={"Metadata": {"title-id": title}})
        keys.append(eventually(finished(key), timeout=120, interval=0.5))
    old_asset, current_asset = keys[0].asset_id, keys[1].asset_id
    assert old_asset != current_asset

    def retention(**body: Any) -> dict[str, Any]:
        response = httpx.post(f"{api_url}/api/admin/retention", json=body,
                              headers=admin.bearer, timeout=60)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    # days=0: everything is past the period; each month's first and last superseded asset stay
    monthly = retention(dry_run=True, days=0, keep_monthly=True)
    kept = [k["asset_id"] for k in monthly["kept"]]
    assert current_asset not in monthly["assets"] and current_asset not in kept
    assert (old_asset in kept) != (old_asset in monthly["assets"])
    assert 1 <= len(kept) <= 2 and all(k["reason"].startswith(("first of ", "last of "))
                                       for k in monthly["kept"])
    plan = retention(dry_run=True, days=0, keep_monthly=False)
    assert plan["dry_run"] is True and plan["deleted_files"] == 0
    assert old_asset in plan["assets"] and current_asset not in plan["assets"]
    processed = [f"processed/{k.key.removeprefix('uploads/')}" for k in keys]
    assert set(processed) <= set(plan["sources"])
    assert exists(resources, media, f"media/{old_asset}/manifest.mpd")  # a dry run deletes nothing
    # the real run deletes exactly what the dry run listed
    done = retention(dry_run=False, days=0, keep_monthly=False)
    assert set(plan["assets"]) <= set(done["assets"]) and done["deleted_files"] > 0
    assert not exists(resources, media, f"media/{old_asset}/")
    assert not any(exists(resources, uploads, k) for k in processed)
    assert exists(resources, media, f"media/{current_asset}/manifest.mpd")  # still plays
    assert httpx.get(f"{api_url}/api/titles/{title}", timeout=20).json()["playable"] is True
    # the default period (30 days) deletes nothing this young
    assert retention(dry_run=True)["sources"] == []
    viewer = register(api_url)
    assert httpx.post(f"{api_url}/api/admin/retention", json={}, headers=viewer.bearer,
                      timeout=20).status_code == 403
