"""Verify and carry out ingest requests.

A request names its webhook (``X-Notflix-Webhook``), when it was signed
(``X-Notflix-Timestamp``, Unix seconds) and the signature
(``X-Notflix-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``). It is refused
when the webhook is unknown or the signature wrong (401), the timestamp is more than five
minutes off (401), the same signature was already used (409: a replay), or the body's actor
is not on the webhook's list (403). An accepted request copies the S3 key to
``uploads/ingest/<id>/<name>`` with the title it plays for: S3's event starts the encoder as
for any upload.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from chalicelib.ingest.models import WebhookModel
from chalicelib.jobs.models import job_id_for
from chalicelib.openapi.responses import Accepted, Webhook, WebhookCreated
from chalicelib.platform.clock import iso
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import catalogued
from chalicelib.uploads.names import safe_file_name

if TYPE_CHECKING:
    import redis

MAX_SKEW_S = 300
HEADER_ID = "x-notflix-webhook"
HEADER_TIME = "x-notflix-timestamp"
HEADER_SIGNATURE = "x-notflix-signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Ingest:
    def __init__(self, s3: Any, bucket: str, client: redis.Redis, prefix: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.redis = client
        self.prefix = prefix
        self.clock = clock

    # -- webhooks ---------------------------------------------------------------------------
    @staticmethod
    def create(name: str, actors: list[str], created_by: str) -> WebhookCreated:
        """A new webhook; its secret is in this answer only."""
        hook = WebhookModel(uuid.uuid4().hex, name=name, secret=secrets.token_urlsafe(32),
                            actors=set(actors), created_by=created_by, created_at=iso())
        hook.save()
        return {**_public(hook), "secret": hook.secret}

    @staticmethod
    def list() -> list[Webhook]:
        return [_public(h) for h in WebhookModel.scan(limit=200)]

    # -- requests ---------------------------------------------------------------------------
    def verify(self, headers: dict[str, str], body: bytes) -> WebhookModel:
        hook_id = headers.get(HEADER_ID, "")
        stamp = headers.get(HEADER_TIME, "")
        given = headers.get(HEADER_SIGNATURE, "")
        try:
            hook = WebhookModel.get(hook_id) if 0 < len(hook_id) <= 64 else None
        except WebhookModel.DoesNotExist:
            hook = None
        if hook is None:
            raise catalogued("webhook_unverified")
        if not is_whole_number(stamp) or abs(self.clock() - int(stamp)) > MAX_SKEW_S:
            raise catalogued("webhook_stale", seconds=MAX_SKEW_S)
        if not hmac.compare_digest(signature(hook.secret, stamp, body), given):
            raise catalogued("webhook_unverified")
        # a signature is good once: the same request sent again is a replay
        fresh = self.redis.set(f"{self.prefix}:ingest:seen:{given}", "1", nx=True,
                               ex=2 * MAX_SKEW_S)
        if not fresh:
            raise catalogued("webhook_replay")
        return hook

    def ingest(self, hook: WebhookModel, actor: str, key: str, title_id: str | None,
               episode: str | None) -> Accepted:
        if actor not in (hook.actors or set()):
            raise catalogued("actor_not_allowed", actor=actor[:64])
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import is_missing

        if not key.startswith("incoming/") and not key.startswith("uploads/"):
            raise catalogued("ingest_key_invalid")
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                raise catalogued("ingest_key_missing", key=key[:200]) from None
            raise
        name = safe_file_name(PurePosixPath(key).name) or "source"
        target = f"uploads/ingest/{uuid.uuid4().hex}/{name}"
        metadata = {"ingest-webhook": hook.id, "ingest-actor": actor}
        if title_id:
            metadata["title-id"] = title_id
        if episode:
            metadata["episode"] = episode
        copied = self.s3.copy_object(Bucket=self.bucket, Key=target,
                                     CopySource={"Bucket": self.bucket, "Key": key},
                                     Metadata=metadata, MetadataDirective="REPLACE")
        etag = str(copied.get("CopyObjectResult", {}).get("ETag", ""))
        return {"accepted": True, "key": target,
                "job_id": job_id_for(self.bucket, target, etag),
                "message": "Accepted: the encoder starts on it within seconds."}


def _public(hook: WebhookModel) -> Webhook:
    return {"id": hook.id, "name": hook.name, "actors": sorted(hook.actors or ()),
            "created_by": hook.created_by, "created_at": hook.created_at}
