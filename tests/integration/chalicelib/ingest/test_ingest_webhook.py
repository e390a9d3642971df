"""POST /webhooks/ingest: signed requests from listed actors create encode jobs; forgeries,
stale timestamps, replays and unlisted actors are refused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.ingest.service import signature
from chalicelib.jobs.models import JOB_MODELS, JobModel
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import register
from tests.media_clips import clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def hook(api_url: str, catalogue_services: Services) -> dict[str, Any]:
    admin = register(api_url)
    catalogue_services.accounts.set_roles(admin.user["id"], ["admin", "viewer"])
    created = httpx.post(f"{api_url}/api/admin/webhooks", headers=admin.bearer, timeout=20,
                         json={"name": "storage provider", "actors": ["ci@builds"]})
    assert created.status_code == 201, created.text
    listed = httpx.get(f"{api_url}/api/admin/webhooks", headers=admin.bearer,
                       timeout=20).json()["webhooks"]
    assert all("secret" not in h for h in listed)  # shown once, at creation
    return dict(created.json())


def send(api_url: str, hook: dict[str, Any], payload: dict[str, Any], *,
         stamp: int | None = None, secret: str | None = None,
         hook_id: str | None = None) -> tuple[httpx.Response, dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    when = str(stamp if stamp is not None else int(time.time()))
    headers = {"Content-Type": "application/json", "X-Notflix-Webhook": hook_id or hook["id"],
               "X-Notflix-Timestamp": when,
               "X-Notflix-Signature": signature(secret or hook["secret"], when, body)}
    response = httpx.post(f"{api_url}/webhooks/ingest", content=body, headers=headers,
                          timeout=20)
    return response, headers, body


def test_a_listed_actor_ingests_and_the_rest_is_refused(
        api_url: str, hook: dict[str, Any], resources: Resources, encoder_worker: None,
        tmp_path: Path) -> None:
    bucket = resources.settings.uploads_bucket
    key = f"incoming/{unique()}/delivery.mp4"
    resources.s3.upload_file(str(clip(tmp_path / "delivery.mp4", seconds=2)), bucket, key)
    payload = {"actor": "ci@builds", "key": key}
    accepted, headers, body = send(api_url, hook, payload)
    assert accepted.status_code == 202, accepted.text
    answer = accepted.json()
    assert answer["key"].startswith("uploads/ingest/") and "Accepted" in answer["message"]
    bind_models(resources.settings, JOB_MODELS)

    def job() -> JobModel | None:
        try:
            return JobModel.get(answer["job_id"], consistent_read=True)
        except JobModel.DoesNotExist:
            return None

    assert eventually(job, timeout=60).key == answer["key"]
    # the same signed request again: a replay
    replay = httpx.post(f"{api_url}/webhooks/ingest", content=body, headers=headers,
                        timeout=20)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "webhook_replay"
    refusals = [
        (send(api_url, hook, payload, secret="not-the-secret")[0], 401, "webhook_unverified"),
        (send(api_url, hook, payload, stamp=int(time.time()) - 3600)[0], 401, "webhook_stale"),
        (send(api_url, hook, payload, hook_id="no-such-hook")[0], 401, "webhook_unverified"),
        (send(api_url, hook, {"actor": "intruder", "key": key})[0], 403, "actor_not_allowed"),
        (send(api_url, hook, {"actor": "ci@builds", "key": "incoming/none.mp4"})[0], 404,
         "ingest_key_missing"),
        (send(api_url, hook, {"actor": "ci@builds", "key": "media/x"})[0], 422,
         "ingest_key_invalid"),
        (send(api_url, hook, {"actor": "ci@builds"})[0], 422, "validation_failed"),
    ]
    for response, status, code in refusals:
        assert response.status_code == status, (code, response.text)
        assert response.json()["error"]["code"] == code
    unsigned = httpx.post(f"{api_url}/webhooks/ingest", json=payload, timeout=20)
    assert unsigned.status_code == 401
