"""Health, encode jobs, retention, the dashboard, ingest webhooks and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.health.checks import check_all
from chalicelib.http import BODY_TYPES, json_response, page_size
from chalicelib.lazy import lazy_module
from chalicelib.metrics import webhook_delivery
from chalicelib.routes.common import (
    audit,
    body,
    query,
    request,
    requires,
)
from chalicelib.routes.root import resources, services, settings

if TYPE_CHECKING:
    from chalicelib.ingest import schemas as ingest_schemas
    from chalicelib.jobs import schemas as job_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    job_schemas = lazy_module("chalicelib.jobs.schemas")
    ingest_schemas = lazy_module("chalicelib.ingest.schemas")

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health() -> Response:
    statuses = check_all(resources)
    down = [s.name for s in statuses if not s.ok]
    return json_response({"status": "down" if down else "up", "down": down,
                          "dependencies": {s.name: s.as_dict() for s in statuses}},
                         503 if down else 200)


@bp.route("/api/admin/jobs", methods=["GET"])
@requires("uploader", "admin")
def admin_jobs() -> Response:
    limit = page_size(query("limit"), default=20, maximum=100)
    viewer = current().user
    title = query("title")
    if title:
        return json_response({"title_id": title, "jobs": services.jobs_console.for_title(
            viewer, title, limit)})
    panel = query("panel") or "active"
    return json_response({"panel": panel,
                          "jobs": services.jobs_console.panel(viewer, panel, limit)})


@bp.route("/api/admin/jobs/{job_id}", methods=["GET"])
@requires("uploader", "admin")
def admin_job(job_id: str) -> Response:
    return json_response(services.jobs_console.describe(current().user, job_id))


@bp.route("/api/admin/jobs/{job_id}/log", methods=["GET"])
@requires("uploader", "admin")
def admin_job_log(job_id: str) -> Response:
    text = services.jobs_console.log(current().user, job_id)
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": f'attachment; filename="job-{job_id[:32]}.log"'})


@bp.route("/api/admin/jobs/{job_id}/cancel", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_cancel_job(job_id: str) -> Response:
    outcome = services.jobs_console.cancel(current().user, job_id)
    audit("job.cancel", job_id, was=outcome["was"])
    return json_response(outcome, 202)


@bp.route("/api/admin/jobs/{job_id}/retry", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_retry_job(job_id: str) -> Response:
    outcome = services.job_actions.retry(current().user, job_id)
    audit("job.retry", job_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@bp.route("/api/admin/titles/{title_id}/reencode", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_reencode(title_id: str) -> Response:
    outcome = services.job_actions.reencode(current().user, title_id)
    audit("title.reencode", title_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@bp.route("/api/admin/titles/{title_id}/encode-settings", methods=["PUT"],
           content_types=["application/json"])
@requires("admin")
def admin_encode_settings(title_id: str) -> Response:
    data = body(job_schemas.EncodeSettingsIn)
    saved = services.job_actions.settings(title_id, data.only_latest, data.cooldown_s)
    audit("title.encode_settings", title_id, **{k: v for k, v in saved.items()
                                                if k != "title_id"})
    return json_response(saved)


@bp.route("/api/admin/retention", methods=["POST"], content_types=["application/json"])
@requires("admin")
def admin_retention() -> Response:
    """What the cleanup deletes (a dry run by default), or the cleanup itself."""
    data = body(job_schemas.RetentionIn)
    days = settings.retention_days if data.days is None else data.days
    keep = settings.retention_keep_monthly if data.keep_monthly is None else data.keep_monthly
    report = services.retention.run(datetime.now(UTC), days, keep, data.dry_run)
    if not data.dry_run:
        audit("retention.run", f"{days} days", deleted=report["deleted_files"])
    return json_response(report)


@bp.route("/api/admin/dashboard", methods=["GET"])
@requires("uploader", "admin")
def admin_dashboard() -> Response:
    """Only the panels that changed since ?since= (empty lists otherwise), and a new cursor."""
    return json_response(services.dashboard.delta(current().user, query("since")),
                         headers={"Cache-Control": "no-store"})


@bp.route("/api/admin/webhooks", methods=["POST"], content_types=["application/json"])
@requires("admin")
def create_webhook() -> Response:
    data = body(ingest_schemas.WebhookIn)
    created = services.ingest.create(data.name, list(data.actors), current().user.id)
    audit("webhook.create", created["id"], name=data.name, actors=list(data.actors))
    return json_response(created, 201)


@bp.route("/api/admin/webhooks", methods=["GET"])
@requires("admin")
def list_webhooks() -> Response:
    return json_response({"webhooks": services.ingest.list()})


@bp.route("/webhooks/ingest", methods=["POST"], content_types=["application/json"])
def ingest_webhook() -> Response:
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


@bp.route("/api/admin/audit", methods=["GET"])
@requires("admin")
def admin_audit() -> Response:
    return json_response({"entries": services.audit.recent(
        page_size(query("limit"), default=50, maximum=200))})
