"""Ingest webhooks in process: a secret shown once, signed requests verified (unknown hook,
wrong signature, stale time, replay), listed actors only, and the S3 copy that starts an
encode."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from chalicelib.ingest.service import signature
from chalicelib.jobs.models import job_id_for
from chalicelib.openapi.responses import WebhookCreated
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique


def signed(hook: dict[str, Any], payload: dict[str, Any], *, stamp: int | None = None,
           secret: str | None = None, hook_id: str | None = None) -> tuple[dict[str, str],
                                                                          bytes]:
    body = json.dumps(payload).encode()
    when = str(int(time.time()) if stamp is None else stamp)
    return {"x-notflix-webhook": hook["id"] if hook_id is None else hook_id,
            "x-notflix-timestamp": when,
            "x-notflix-signature": signature(secret or hook["secret"], when, body)}, body


def refusal(services: Services, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    with pytest.raises(AppError) as refused:
        services.ingest.verify(headers, body)
    return refused.value.status, refused.value.code


@pytest.fixture
def hook(in_process: Services) -> WebhookCreated:
    return in_process.ingest.create("storage provider", ["ci@builds", "ops@builds"],
                                    unique("admin-"))


def test_a_webhooks_secret_is_shown_once(in_process: Services, hook: dict[str, Any]) -> None:
    assert len(hook["secret"]) >= 32
    (listed,) = [h for h in in_process.ingest.list() if h["id"] == hook["id"]]
    assert "secret" not in listed
    assert listed == {k: hook[k] for k in ("id", "name", "actors", "created_by",
                                          "created_at")}
    assert listed["actors"] == ["ci@builds", "ops@builds"]


def test_a_signed_request_is_accepted_once(in_process: Services, hook: dict[str, Any]) -> None:
    headers, body = signed(hook, {"actor": "ci@builds", "key": "incoming/a.mp4"})
    assert in_process.ingest.verify(headers, body).id == hook["id"]
    assert refusal(in_process, headers, body) == (409, "webhook_replay")
    # signed again a moment later, the same request is a new one
    fresh, same_body = signed(hook, {"actor": "ci@builds", "key": "incoming/a.mp4"},
                              stamp=int(time.time()) - 10)
    assert in_process.ingest.verify(fresh, same_body).id == hook["id"]


def test_forged_unknown_and_stale_requests_are_refused(in_process: Services,
                                                       hook: dict[str, Any]) -> None:
    payload = {"actor": "ci@builds", "key": "incoming/a.mp4"}
    headers, body = signed(hook, payload)
    cases = [
        (signed(hook, payload, secret="not-the-secret"), (401, "webhook_unverified")),
        (signed(hook, payload, hook_id=unique("no-such-hook-")), (401, "webhook_unverified")),
        (signed(hook, payload, hook_id="h" * 65), (401, "webhook_unverified")),
        (signed(hook, payload, hook_id=""), (401, "webhook_unverified")),
        ((headers, body.replace(b"ci@builds", b"ops@builds")), (401, "webhook_unverified")),
        (signed(hook, payload, stamp=int(time.time()) - 301), (401, "webhook_stale")),
        (signed(hook, payload, stamp=int(time.time()) + 3600), (401, "webhook_stale")),
        (({**headers, "x-notflix-timestamp": "soon"}, body), (401, "webhook_stale")),
    ]
    assert [refusal(in_process, h, b) for (h, b), _ in cases] == [want for _, want in cases]
    # none of the refusals used up the genuine request
    assert in_process.ingest.verify(headers, body).id == hook["id"]


def put_source(services: Services, key: str) -> None:
    services.resources.s3.put_object(Bucket=services.settings.uploads_bucket, Key=key,
                                     Body=b"\x00\x00\x00\x18ftypmp42")


def test_a_listed_actor_gets_the_key_copied_for_the_encoder(in_process: Services,
                                                            hook: dict[str, Any]) -> None:
    s3, bucket = in_process.resources.s3, in_process.settings.uploads_bucket
    key = f"incoming/{unique()}/My Show?.mp4"
    put_source(in_process, key)
    headers, body = signed(hook, {"actor": "ops@builds", "key": key})
    verified = in_process.ingest.verify(headers, body)

    accepted = in_process.ingest.ingest(verified, "ops@builds", key, "series-1", "S1E2")

    assert accepted["accepted"] is True
    target = accepted["key"]
    assert target.startswith("uploads/ingest/") and target.endswith("/My Show_.mp4")
    copy = s3.head_object(Bucket=bucket, Key=target)
    assert copy["Metadata"] == {"ingest-webhook": hook["id"], "ingest-actor": "ops@builds",
                                "title-id": "series-1", "episode": "S1E2"}
    assert accepted["job_id"] == job_id_for(bucket, target, copy["ETag"])
    again = in_process.ingest.ingest(verified, "ops@builds", key, None, None)
    assert again["key"] != target  # each request is its own upload
    assert s3.head_object(Bucket=bucket, Key=again["key"])["Metadata"] == {
        "ingest-webhook": hook["id"], "ingest-actor": "ops@builds"}


def test_unlisted_actors_and_bad_keys_are_refused(in_process: Services,
                                                  hook: dict[str, Any]) -> None:
    key = f"uploads/{unique()}/source.mp4"
    put_source(in_process, key)
    headers, body = signed(hook, {"actor": "ci@builds", "key": key})
    verified = in_process.ingest.verify(headers, body)
    cases = [("intruder", key, (403, "actor_not_allowed")),
             ("ci@builds", "media/x/manifest.mpd", (422, "ingest_key_invalid")),
             ("ci@builds", f"incoming/{unique()}.mp4", (404, "ingest_key_missing"))]
    answers = []
    for actor, source, _ in cases:
        with pytest.raises(AppError) as refused:
            in_process.ingest.ingest(verified, actor, source, None, None)
        answers.append((refused.value.status, refused.value.code))
    assert answers == [want for _, _, want in cases]
