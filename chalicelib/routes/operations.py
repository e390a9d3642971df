"""Health, encode jobs, retention, the dashboard, ingest webhooks and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.health.checks import check_all
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    ADMIN,
    ANY_STAFF,
    PROGRESS,
    Op,
)
from chalicelib.openapi.queries import (
    LIMIT,
    Param,
)
from chalicelib.platform.http import BODY_TYPES, Json, json_response, page_size
from chalicelib.platform.lazy import lazy_module
from chalicelib.platform.metrics import webhook_delivery
from chalicelib.routes.common import (
    audit,
    body,
    query,
    request,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import resources, services, settings

if TYPE_CHECKING:
    from chalicelib.ingest import schemas as ingest_schemas
    from chalicelib.jobs import schemas as job_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    job_schemas = lazy_module("chalicelib.jobs.schemas")
    ingest_schemas = lazy_module("chalicelib.ingest.schemas")

bp = Blueprint(__name__)


@declare(bp, "GET", "/health", Op("Health of each dependency", "operations", "Health",
    also={503: ("A dependency is down", "Health")}))
def health() -> Json[api.Health]:
    statuses = check_all(resources)
    down = [s.name for s in statuses if not s.ok]
    return json_response({"status": "down" if down else "up", "down": down,
                          "dependencies": {s.name: s.as_dict() for s in statuses}},
                         503 if down else 200)


@declare(bp, "GET", "/api/admin/jobs", Op(
    "Encode jobs by panel, or a title's jobs", "operations", "JobPanel", roles=ANY_STAFF,
    errors=(404,),
    query=(
        Param("panel", "`active`, `queued`, `recent` or `failed`", max_length=16),
        Param("title", "A title id: that title's jobs", max_length=64),
        LIMIT)))
def admin_jobs() -> Json[api.JobPanel]:
    limit = page_size(query("limit"), default=20, maximum=100)
    viewer = current().user
    title = query("title")
    if title:
        return json_response({"title_id": title, "jobs": services.jobs_console.for_title(
            viewer, title, limit)})
    panel = query("panel") or "active"
    return json_response({"panel": panel,
                          "jobs": services.jobs_console.panel(viewer, panel, limit)})


@declare(bp, "GET", "/api/admin/jobs/{job_id}", Op("One encode job", "operations", "Job",
    roles=ANY_STAFF, errors=(404,),
    description=PROGRESS))
def admin_job(job_id: str) -> Json[api.Job]:
    return json_response(services.jobs_console.describe(current().user, job_id))


@declare(bp, "GET", "/api/admin/jobs/{job_id}/log", Op("An encode job's log", "operations", "text",
    roles=ANY_STAFF, errors=(404,)))
def admin_job_log(job_id: str) -> Response:
    text = services.jobs_console.log(current().user, job_id)
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": f'attachment; filename="job-{job_id[:32]}.log"'})


@declare(bp, "POST", "/api/admin/jobs/{job_id}/cancel", Op(
    "Cancel an encode job", "operations", "JobCancelled", 202, roles=ANY_STAFF,
    errors=(404, 409)), content_types=BODY_TYPES)
def admin_cancel_job(job_id: str) -> Json[api.JobCancelled]:
    outcome = services.jobs_console.cancel(current().user, job_id)
    audit("job.cancel", job_id, was=outcome["was"])
    return json_response(outcome, 202)


@declare(bp, "POST", "/api/admin/jobs/{job_id}/retry", Op(
    "Retry a failed or cancelled job", "operations", "Accepted", 202, roles=ANY_STAFF,
    errors=(404, 409)), content_types=BODY_TYPES)
def admin_retry_job(job_id: str) -> Json[api.Accepted]:
    outcome = services.job_actions.retry(current().user, job_id)
    audit("job.retry", job_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@declare(bp, "POST", "/api/admin/titles/{title_id}/reencode", Op(
    "Encode a title's source again", "operations", "Accepted", 202, roles=ANY_STAFF,
    errors=(404, 409)), content_types=BODY_TYPES)
def admin_reencode(title_id: str) -> Json[api.Accepted]:
    outcome = services.job_actions.reencode(current().user, title_id)
    audit("title.reencode", title_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@declare(bp, "PUT", "/api/admin/titles/{title_id}/encode-settings", Op(
    "A title's encode rules: only the latest upload, cooldown", "operations",
    "EncodeSettings", body="chalicelib.jobs.schemas:EncodeSettingsIn", roles=ADMIN,
    errors=(404, 422)), content_types=["application/json"])
def admin_encode_settings(title_id: str) -> Json[api.EncodeSettings]:
    data = body(job_schemas.EncodeSettingsIn)
    saved = services.job_actions.settings(title_id, data.only_latest, data.cooldown_s)
    audit("title.encode_settings", title_id, **{k: v for k, v in saved.items()
                                                if k != "title_id"})
    return json_response(saved)


@declare(bp, "POST", "/api/admin/retention", Op(
    "What the retention cleanup deletes (dry run), or run it", "operations",
    "RetentionReport", body="chalicelib.jobs.schemas:RetentionIn", roles=ADMIN,
    errors=(422,)), content_types=["application/json"])
def admin_retention() -> Json[api.RetentionReport]:
    """What the cleanup deletes (a dry run by default), or the cleanup itself."""
    data = body(job_schemas.RetentionIn)
    days = settings.retention_days if data.days is None else data.days
    keep = settings.retention_keep_monthly if data.keep_monthly is None else data.keep_monthly
    report = services.retention.run(datetime.now(UTC), days, keep, data.dry_run)
    if not data.dry_run:
        audit("retention.run", f"{days} days", deleted=report["deleted_files"])
    return json_response(report)


@declare(bp, "GET", "/api/admin/dashboard", Op(
    "Job panels changed since a cursor", "operations", "Dashboard", roles=ANY_STAFF,
    query=(
        Param("since", "The previous answer's cursor", max_length=512),)))
def admin_dashboard() -> Json[api.Dashboard]:
    """Only the panels that changed since ?since= (empty lists otherwise), and a new cursor."""
    return json_response(services.dashboard.delta(current().user, query("since")),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "POST", "/api/admin/webhooks", Op(
    "Create an ingest webhook (its secret is shown once)", "operations",
    "WebhookCreated", 201, "chalicelib.ingest.schemas:WebhookIn", roles=ADMIN,
    errors=(422,)), content_types=["application/json"])
def create_webhook() -> Json[api.WebhookCreated]:
    data = body(ingest_schemas.WebhookIn)
    created = services.ingest.create(data.name, list(data.actors), current().user.id)
    audit("webhook.create", created["id"], name=data.name, actors=list(data.actors))
    return json_response(created, 201)


@declare(bp, "GET", "/api/admin/webhooks", Op("Ingest webhooks", "operations", "Webhooks",
    roles=ADMIN))
def list_webhooks() -> Json[api.Webhooks]:
    return json_response({"webhooks": services.ingest.list()})


@declare(bp, "POST", "/webhooks/ingest", Op(
    "An external system asks for an ingest (HMAC-signed)", "operations", "Accepted", 202,
    "chalicelib.ingest.schemas:IngestIn", errors=(401, 403, 404, 409, 422)),
         content_types=["application/json"])
def ingest_webhook() -> Json[api.Accepted]:
    """An external system asks for an ingest: signed, fresh, once, by a listed actor."""
    current = request()
    raw = current.raw_body or b""
    payload = raw.encode() if isinstance(raw, str) else raw
    with webhook_delivery("ingest"):
        hook = services.ingest.verify({k.lower(): str(v) for k, v in current.headers.items()},
                                      payload)
        data = body(ingest_schemas.IngestIn)
        accepted = services.ingest.ingest(hook, data.actor, data.key, data.title_id,
                                          data.episode)
    return json_response(accepted, 202)


@declare(bp, "GET", "/api/admin/audit", Op(
    "Recent admin actions", "operations", "AuditLog", roles=ADMIN,
    query=(
        Param("limit", "How many", "integer", minimum=1, maximum=200),)))
def admin_audit() -> Json[api.AuditLog]:
    return json_response({"entries": services.audit.recent(
        page_size(query("limit"), default=50, maximum=200))})
