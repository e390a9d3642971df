"""Notflix API: routes and event handlers only; the work lives in ``chalicelib``."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import (
    Chalice,
    CloudWatchEvent,
    CORSConfig,
    Cron,
    Rate,
    Request,
    Response,
    SQSEvent,
)

from chalicelib import logs
from chalicelib.auth.cookies import cleared_cookie, session_cookie
from chalicelib.auth.principal import ClientInfo, LoggedIn, Principal, current, protect
from chalicelib.catalogue.export_day import latest_export_day
from chalicelib.catalogue.filters import Filters
from chalicelib.catalogue.imdb_upload import ACCEPTED_TYPES, parse_imdb_csv
from chalicelib.catalogue.posters import placeholder_svg
from chalicelib.config import Settings
from chalicelib.digits import is_whole_number
from chalicelib.errors import catalogued
from chalicelib.health.checks import check_all
from chalicelib.http import (
    BODY_TYPES,
    M,
    client_ip,
    install_middleware,
    is_form,
    json_response,
    local_path,
    page_size,
    parse_body,
    see_other,
)
from chalicelib.ids import is_uuid
from chalicelib.lazy import lazy_module
from chalicelib.metrics import record_worker, webhook_delivery
from chalicelib.recommendations.queued import QueuedMessage
from chalicelib.resources import Resources
from chalicelib.services import Services
from chalicelib.usage.updates import Progress
from chalicelib.web.country import viewer_country
from chalicelib.web.errors import page_error
from chalicelib.web.render import page
from chalicelib.web.static import static_file
from chalicelib.web_security import (
    PAYPAL_PAGES,
    SecurityHeaders,
    content_security_policy,
    origin_of,
)

if TYPE_CHECKING:
    from chalicelib.auth import schemas as auth_schemas
    from chalicelib.auth.users import User
    from chalicelib.catalogue import schemas as catalogue_schemas
    from chalicelib.ingest import schemas as ingest_schemas
    from chalicelib.jobs import schemas as job_schemas
    from chalicelib.openapi import document as openapi_document
    from chalicelib.openapi import reference as openapi_reference
    from chalicelib.payments import schemas as payment_schemas
    from chalicelib.uploads import schemas as upload_schemas
    from chalicelib.usage import schemas as usage_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    auth_schemas = lazy_module("chalicelib.auth.schemas")
    catalogue_schemas = lazy_module("chalicelib.catalogue.schemas")
    job_schemas = lazy_module("chalicelib.jobs.schemas")
    ingest_schemas = lazy_module("chalicelib.ingest.schemas")
    payment_schemas = lazy_module("chalicelib.payments.schemas")
    usage_schemas = lazy_module("chalicelib.usage.schemas")
    upload_schemas = lazy_module("chalicelib.uploads.schemas")
    openapi_document = lazy_module("chalicelib.openapi.document")
    openapi_reference = lazy_module("chalicelib.openapi.reference")

app = Chalice(app_name="notflix", configure_logs=False)
settings = Settings.from_env()
logs.use_for(app, settings.log_level)
logs.install_event_ids(app)
resources = Resources(settings)
services = Services(resources)
if settings.cors_origins:
    # Preflights (answered by API Gateway) name the first origin; the middleware then echoes
    # whichever allowlisted origin made the actual request.
    app.api.cors = CORSConfig(allow_origin=settings.cors_origins[0], allow_credentials=True,
                              allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                              max_age=600)
install_middleware(app, SecurityHeaders(
    csp=content_security_policy([settings.aws_endpoint_url or "https://*.amazonaws.com",
                                 origin_of(settings.image_base_url)],
                                [*PAYPAL_PAGES, origin_of(settings.paypal_base_url)]),
    cors_origins=settings.cors_origins, https=not settings.local), html_errors=page_error)


def request() -> Request:
    current = app.current_request
    if current is None:
        raise RuntimeError("no request in flight")
    return current


def requires(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return protect(lambda: services.guard, request, roles)


def body(model: type[M]) -> M:
    return parse_body(request(), model, settings.max_body_bytes)


def client() -> ClientInfo:
    current = request()
    return ClientInfo(ip=client_ip(current),
                      user_agent=str(current.headers.get("user-agent", ""))[:512])


def query(name: str) -> str | None:
    params = request().query_params
    return params.get(name) if params is not None else None


def check_origin() -> None:
    """Login CSRF: a form post from another site must not log the browser in."""
    services.guard.check_origin(request(), required=False)


def logged_in_response(result: LoggedIn, status: int) -> Response:
    cookie = session_cookie(result.token, settings.session_ttl_seconds, secure=not settings.local)
    if is_form(request()):
        return see_other(local_path(query("next")), {"Set-Cookie": cookie})
    return json_response({"token": result.token, "user": result.user.public()}, status,
                         {"Set-Cookie": cookie})


@app.route("/health", methods=["GET"])
def health() -> Response:
    statuses = check_all(resources)
    down = [s.name for s in statuses if not s.ok]
    return json_response({"status": "down" if down else "up", "down": down,
                          "dependencies": {s.name: s.as_dict() for s in statuses}},
                         503 if down else 200)


# -- auth -----------------------------------------------------------------------------------
@app.route("/api/auth/register", methods=["POST"], content_types=BODY_TYPES)
def register() -> Response:
    check_origin()
    data = body(auth_schemas.RegisterIn)
    return logged_in_response(
        services.accounts.register(data.email, data.password, data.display_name, client()), 201)


@app.route("/api/auth/login", methods=["POST"], content_types=BODY_TYPES)
def login() -> Response:
    check_origin()
    data = body(auth_schemas.LoginIn)
    return logged_in_response(services.accounts.login(data.email, data.password, client()), 200)


@app.route("/api/auth/logout", methods=["POST"], content_types=BODY_TYPES)
@requires()
def logout() -> Response:
    services.accounts.logout(current().token)
    cookie: dict[str, str | list[str]] = {"Set-Cookie": cleared_cookie(secure=not settings.local)}
    if is_form(request()):
        return see_other("/", cookie)
    return Response(body="", status_code=204, headers=cookie)


@app.route("/api/auth/password-reset", methods=["POST"], content_types=BODY_TYPES)
def password_reset() -> Response:
    check_origin()
    services.accounts.request_reset(body(auth_schemas.ResetRequestIn).email, client())
    if is_form(request()):
        return see_other("/login?reset=sent")
    return json_response({"message": "If an account uses this email, a reset link is on its "
                                     "way; it works once, for 30 minutes."}, 202)


@app.route("/api/auth/password-reset/confirm", methods=["POST"], content_types=BODY_TYPES)
def password_reset_confirm() -> Response:
    check_origin()
    data = body(auth_schemas.ResetConfirmIn)
    services.accounts.confirm_reset(data.token, data.new_password)
    if is_form(request()):
        return see_other("/login?reset=done")
    return json_response({"message": "Your password is changed; log in with it."})


@app.on_sqs_message(queue=settings.reset_queue, batch_size=10)
def send_reset_mails(event: SQSEvent) -> None:
    """The reset worker: looks each requested email up and mails the link if it has an
    account, out of the request's path (its timing must not reveal accounts)."""
    from chalicelib.auth.reset_requests import ResetRequests

    for record in event:
        services.accounts.send_reset(ResetRequests.email_of(record.body))


# -- the current user -------------------------------------------------------------------------
@app.route("/api/me", methods=["GET"])
@requires()
def me() -> Response:
    user = current().user
    return json_response({**user.public(), "subscription": services.payments.status(user.id)})


@app.route("/api/me", methods=["PATCH"], content_types=BODY_TYPES)
@requires()
def update_me() -> Response:
    user = services.accounts.update_profile(current().user,
                                            body(auth_schemas.ProfilePatch).display_name)
    return json_response(user.public())


@app.route("/api/me/password", methods=["POST"], content_types=BODY_TYPES)
@requires()
def change_password() -> Response:
    data = body(auth_schemas.PasswordChangeIn)
    caller = current()
    user = services.accounts.change_password(caller.user, caller.session,
                                             data.current_password, data.new_password,
                                             client())
    return json_response(user.public())


@app.route("/api/me/logins", methods=["GET"])
@requires()
def my_logins() -> Response:
    events = services.accounts.login_history(current().user)
    return json_response({"logins": [e.public() for e in events]})


# -- payments ---------------------------------------------------------------------------------
@app.route("/api/plans", methods=["GET"])
def plans() -> Response:
    return json_response({"plans": [p.public() for p in services.payments.all_plans()]})


@app.route("/api/subscriptions", methods=["POST"], content_types=BODY_TYPES)
@requires()
def subscribe() -> Response:
    user = current().user
    idempotency_key = str(request().headers.get("idempotency-key") or uuid.uuid4())[:100]
    plan = body(payment_schemas.SubscribeIn).plan
    created = services.payments.subscribe(user.id, user.email, plan,
                                          f"{user.id}:{idempotency_key}")
    if is_form(request()):
        return see_other(created["approve_url"])
    return json_response(created, 201)


@app.route("/api/subscriptions/cancel", methods=["POST"], content_types=BODY_TYPES)
@requires()
def cancel_subscription() -> Response:
    subscription = services.payments.cancel(current().user.id)
    if is_form(request()):
        return see_other("/account")
    return json_response(subscription.public())


@app.route("/api/me/payments", methods=["GET"])
@requires()
def my_payments() -> Response:
    limit = page_size(query("limit"))
    payments, cursor = services.payments.payments(current().user.id, query("cursor"),
                                                  limit)
    return json_response({"payments": [p.public() for p in payments], "next": cursor})


@app.route("/webhooks/paypal", methods=["POST"])
def paypal_webhook() -> Response:
    current = request()
    raw = current.raw_body or b""
    outcome = services.payments.receive_webhook(
        {k: str(v) for k, v in current.headers.items()},
        raw.encode() if isinstance(raw, str) else raw, app.lambda_context)
    return json_response({"status": outcome})


# -- catalogue ----------------------------------------------------------------------------------
@app.route("/api/titles", methods=["GET"])
def titles() -> Response:
    filters = Filters.parse(query("type"), query("genre"), query("year"), query("country"))
    found, cursor = services.catalogue.browse(filters, page_size(query("limit")), query("cursor"))
    return json_response({"titles": found, "next": cursor})


@app.route("/api/titles/{title_id}", methods=["GET"])
def title(title_id: str) -> Response:
    return json_response(services.catalogue.details(title_id))


@app.route("/api/titles/{title_id}/seasons/{number}", methods=["GET"])
def season(title_id: str, number: str) -> Response:
    if not is_whole_number(number) or len(number) > 4:
        raise catalogued("season_not_found", season=number[:8])
    return json_response(services.catalogue.season(title_id, int(number)))


@app.route("/api/search", methods=["GET"])
def search() -> Response:
    q = query("q")
    results = services.search.search(q, page_size(query("limit"), default=10, maximum=50))
    return json_response({"query": q, "results": results})


@app.route("/api/rankings/countries/{country}", methods=["GET"])
def country_ranking(country: str) -> Response:
    limit = page_size(query("limit"), default=10, maximum=100)
    return json_response(services.catalogue.ranking(country, limit))


@app.route("/posters/placeholder.svg", methods=["GET"])
def poster_placeholder() -> Response:
    return Response(body=placeholder_svg(), status_code=200,
                    headers={"Content-Type": "image/svg+xml",
                             "Cache-Control": "public, max-age=86400"})


@app.route("/api/me/imports/imdb", methods=["POST"], content_types=ACCEPTED_TYPES)
@requires()
def import_imdb_list() -> Response:
    rows = parse_imdb_csv(request(), settings.max_body_bytes)
    return json_response(services.imdb_import.run(current().user.id, rows))


@app.route("/api/admin/imports/tmdb", methods=["POST"], content_types=["application/json"])
@requires("admin")
def start_tmdb_import() -> Response:
    data = body(catalogue_schemas.TmdbImportIn)
    day = data.date or latest_export_day(datetime.now(UTC))
    run = services.imports.start(list(data.kinds), day, data.limit, current().user.id)
    audit("import.start", str(run["id"]), kinds=list(data.kinds), day=str(day))
    return json_response(run, 202, {"Location": f"/api/admin/imports/{run['id']}"})


@app.route("/api/admin/imports", methods=["GET"])
@requires("admin")
def import_runs() -> Response:
    return json_response({"runs": services.imports.recent()})


@app.route("/api/admin/imports/{run_id}", methods=["GET"])
@requires("admin")
def import_run(run_id: str) -> Response:
    if not is_uuid(run_id):
        raise catalogued("import_not_found")
    return json_response(services.imports.status(run_id))


@app.on_sqs_message(queue=settings.import_queue, batch_size=1)
def run_catalogue_import(event: SQSEvent) -> None:
    """The import worker: advances one run within this invocation's time budget."""
    context: Any = event.context
    for record in event:
        run_id = str(json.loads(record.body)["run_id"])
        with logs.log_keys(run_id=run_id):
            status = services.imports.work(run_id, remaining=lambda: (
                context.get_remaining_time_in_millis() / 1000 if context else float("inf")))
        record_worker("catalogue_import", processed=int(status != "FAILED"),
                      failed=int(status == "FAILED"))


@app.schedule(Cron(0, 9, "*", "*", "?", "*"))
def daily_tmdb_import(event: Any) -> None:
    """Every day at 09:00 UTC, after TMDB publishes the day's export."""
    services.imports.start(["movie", "tv"], latest_export_day(datetime.now(UTC)), None,
                           "schedule")


# -- viewing and recommendations ----------------------------------------------------------------
@app.route("/api/me/progress", methods=["POST"], content_types=["application/json", "text/plain"])
@requires()
def post_progress() -> Response:
    data = body(usage_schemas.ProgressIn)
    return json_response(services.progress.record(current().user.id, Progress(
        data.title_id, data.position_s, data.duration_s, data.play_id, data.episode)))


@app.route("/api/titles/{title_id}/play", methods=["GET"])
@requires()
def play(title_id: str) -> Response:
    return json_response(services.playback.play(current().user.id, title_id, query("episode")),
                         headers={"Cache-Control": "no-store"})


@app.route("/stream/{asset_id}/{name}", methods=["GET"])
@requires()
def stream(asset_id: str, name: str) -> Response:
    found = services.playback.stream(current().user.id, asset_id, name)
    if found.url is not None:
        return Response(body="", status_code=302,
                        headers={"Location": found.url, "Cache-Control": "private, max-age=60"})
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type,
                             "Cache-Control": "private, max-age=5"})


@app.route("/api/me/continue-watching", methods=["GET"])
@requires()
def continue_watching() -> Response:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response({"titles": services.continue_watching.titles(current().user.id,
                                                                        limit)})


@app.route("/api/me/history", methods=["GET"])
@requires()
def viewing_history() -> Response:
    return json_response(services.history.page(current().user.id, page_size(query("limit")),
                                               query("cursor")))


@app.route("/api/me/recommendations", methods=["GET"])
@requires()
def recommendations() -> Response:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response(services.recommender.for_user(current().user.id, limit))


@app.route("/api/titles/{title_id}/similar", methods=["GET"])
def similar_titles(title_id: str) -> Response:
    title = services.catalogue.details(title_id)
    genres = title.get("genres") or []
    limit = page_size(query("limit"), default=12, maximum=50)
    return json_response(services.recommender.similar(title["id"], genres[0] if genres else None,
                                                      limit))


@app.on_sqs_message(queue=settings.graph_queue, batch_size=10)
def sync_graph(event: SQSEvent) -> None:
    """Graph updates into Neo4j; while it is down the batch comes back later (no loss)."""
    services.graph_worker.handle([QueuedMessage.from_record(r.to_dict()) for r in event])


# -- uploads ----------------------------------------------------------------------------------
def require_upload_id(upload_id: str) -> None:
    from chalicelib.uploads.names import UPLOAD_ID

    if not UPLOAD_ID.match(upload_id):
        raise catalogued("upload_not_found")


@app.route("/api/admin/uploads", methods=["POST"], content_types=["application/json"])
@requires("uploader", "admin")
def start_upload() -> Response:
    from chalicelib.uploads.service import Declared

    data = body(upload_schemas.UploadIn)
    started = services.uploads.start(current().user, Declared(
        file_name=data.file_name, size=data.size, content_type=data.content_type,
        title_id=data.title_id, episode=data.episode, last_modified=data.last_modified))
    audit("upload.start", started["key"], title_id=data.title_id, size=data.size)
    return json_response(started, 201)


@app.route("/api/admin/uploads", methods=["GET"])
@requires("uploader", "admin")
def my_uploads() -> Response:
    """The caller's uploads; with file_name, size and last_modified, that file's unfinished
    ones (what the upload page resumes)."""
    size, modified = query("size"), query("last_modified")
    for name, value, least in (("size", size, 1), ("last_modified", modified, 0)):
        if value is not None and not (is_whole_number(value) and int(value) >= least):
            raise catalogued("bad_filter", name=name,
                             problem=f"must be a whole number from {least}")
    if len(query("file_name") or "") > 255:
        raise catalogued("bad_filter", name="file_name", problem="is at most 255 characters")
    state = query("state")
    if state is not None and state not in ("UPLOADING", "COMPLETING", "COMPLETED", "ABORTED"):
        raise catalogued("bad_filter", name="state",
                         problem="is one of UPLOADING, COMPLETING, COMPLETED, ABORTED")
    found = services.upload_listing.mine(
        current().user, page_size(query("limit"), default=20, maximum=100),
        file_name=query("file_name"), size=int(size) if size else None,
        last_modified=int(modified) if modified else None, state=state)
    return json_response({"uploads": found}, headers={"Cache-Control": "no-store"})


@app.route("/api/admin/uploads/{upload_id}", methods=["GET"])
@requires("uploader", "admin")
def upload_status(upload_id: str) -> Response:
    return json_response(services.upload_listing.status(current().user, upload_id),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/uploads/{upload_id}/parts", methods=["GET"])
@requires("uploader", "admin")
def upload_parts(upload_id: str) -> Response:
    return json_response(services.uploads.parts(current().user, upload_id),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/uploads/{upload_id}/parts", methods=["POST"],
           content_types=["application/json"])
@requires("uploader", "admin")
def sign_upload_parts(upload_id: str) -> Response:
    require_upload_id(upload_id)  # an unknown id is a 404 whatever the body
    data = body(upload_schemas.SignIn)
    return json_response(services.uploads.sign(current().user, upload_id, data.part_numbers),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/uploads/{upload_id}/complete", methods=["POST"],
           content_types=["application/json"])
@requires("uploader", "admin")
def complete_upload(upload_id: str) -> Response:
    require_upload_id(upload_id)  # an unknown id is a 404 whatever the body
    data = body(upload_schemas.CompleteIn)
    done = services.uploads.complete(current().user, upload_id,
                                     [(p.part_number, p.etag) for p in data.parts])
    audit("upload.complete", done["key"], title_id=done["title_id"], size=done["size"])
    return json_response(done)


@app.route("/api/admin/uploads/{upload_id}", methods=["DELETE"])
@requires("uploader", "admin")
def abort_upload(upload_id: str) -> Response:
    aborted = services.uploads.abort(current().user, upload_id)
    audit("upload.abort", aborted["key"], owner=aborted["owner"], size=aborted["size"])
    return json_response(aborted)


@app.route("/api/admin/upload-access", methods=["GET"])
@requires("uploader", "admin")
def my_upload_access() -> Response:
    """The caller's access level and the titles they may upload to."""
    return json_response(services.upload_access.of(current().user),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/titles", methods=["POST"], content_types=["application/json"])
@requires("uploader", "admin")
def create_title() -> Response:
    data = body(upload_schemas.NewTitleIn)
    created = services.new_titles.create(current().user, data.kind, data.name, data.year,
                                         data.overview)
    audit("title.create", created["id"], kind=data.kind, name=data.name)
    return json_response(created, 201, {"Location": f"/api/titles/{created['id']}"})


@app.route("/api/admin/unfinished-uploads", methods=["GET"])
@requires("admin")
def unfinished_uploads() -> Response:
    limit = page_size(query("limit"), default=50, maximum=100)
    return json_response({"uploads": services.upload_listing.unfinished(limit)},
                         headers={"Cache-Control": "no-store"})


# -- operations -------------------------------------------------------------------------------
def audit(action: str, target: str, **details: object) -> None:
    """Record an admin action: who, what, when, from where (the action has happened: if the
    table refuses the entry, it goes to the error log whole instead of failing the answer)."""
    who, where = current().user, client()
    try:
        services.audit.record(who.id, who.email, action, target, ip=where.ip,
                              user_agent=where.user_agent, details=details)
    except Exception:
        logs.logger.exception("audit entry not stored", action=action, target=target,
                              actor_id=who.id, ip=where.ip, details=str(details)[:500])


@app.route("/api/admin/jobs", methods=["GET"])
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


@app.route("/api/admin/jobs/{job_id}", methods=["GET"])
@requires("uploader", "admin")
def admin_job(job_id: str) -> Response:
    return json_response(services.jobs_console.describe(current().user, job_id))


@app.route("/api/admin/jobs/{job_id}/log", methods=["GET"])
@requires("uploader", "admin")
def admin_job_log(job_id: str) -> Response:
    text = services.jobs_console.log(current().user, job_id)
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": f'attachment; filename="job-{job_id[:32]}.log"'})


@app.route("/api/admin/jobs/{job_id}/cancel", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_cancel_job(job_id: str) -> Response:
    outcome = services.jobs_console.cancel(current().user, job_id)
    audit("job.cancel", job_id, was=outcome["was"])
    return json_response(outcome, 202)


@app.route("/api/admin/jobs/{job_id}/retry", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_retry_job(job_id: str) -> Response:
    outcome = services.job_actions.retry(current().user, job_id)
    audit("job.retry", job_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@app.route("/api/admin/titles/{title_id}/reencode", methods=["POST"], content_types=BODY_TYPES)
@requires("uploader", "admin")
def admin_reencode(title_id: str) -> Response:
    outcome = services.job_actions.reencode(current().user, title_id)
    audit("title.reencode", title_id, new_key=outcome["key"])
    return json_response(outcome, 202)


@app.route("/api/admin/titles/{title_id}/encode-settings", methods=["PUT"],
           content_types=["application/json"])
@requires("admin")
def admin_encode_settings(title_id: str) -> Response:
    services.catalogue.details(title_id)  # 404 for an unknown title
    data = body(job_schemas.EncodeSettingsIn)
    saved = services.job_actions.settings(title_id, data.only_latest, data.cooldown_s)
    audit("title.encode_settings", title_id, **{k: v for k, v in saved.items()
                                                if k != "title_id"})
    return json_response(saved)


@app.route("/api/admin/retention", methods=["POST"], content_types=["application/json"])
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


@app.schedule(Cron(0, 4, "*", "*", "?", "*"))
def retention_cleanup(event: Any) -> None:
    """Every day at 04:00 UTC: sources and superseded encodes past the retention period."""
    services.retention.run(datetime.now(UTC), settings.retention_days,
                           settings.retention_keep_monthly, dry_run=False)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def encode_watchdog(event: CloudWatchEvent) -> None:
    """Every minute: encode jobs no worker reports on any more end FAILED with the reason,
    and each message of the encode DLQs ends its job and is stored beside it."""
    context: Any = event.context
    budget = context.get_remaining_time_in_millis() / 1000 - 5 if context else 50.0
    report = services.encode_watchdog.sweep(time.time(), budget_s=budget)
    logs.logger.info("encode watchdog swept", **report.as_dict())


@app.route("/api/admin/dashboard", methods=["GET"])
@requires("uploader", "admin")
def admin_dashboard() -> Response:
    """Only the panels that changed since ?since= (empty lists otherwise), and a new cursor."""
    return json_response(services.dashboard.delta(current().user, query("since")),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/webhooks", methods=["POST"], content_types=["application/json"])
@requires("admin")
def create_webhook() -> Response:
    data = body(ingest_schemas.WebhookIn)
    created = services.ingest.create(data.name, list(data.actors), current().user.id)
    audit("webhook.create", created["id"], name=data.name, actors=list(data.actors))
    return json_response(created, 201)


@app.route("/api/admin/webhooks", methods=["GET"])
@requires("admin")
def list_webhooks() -> Response:
    return json_response({"webhooks": services.ingest.list()})


@app.route("/webhooks/ingest", methods=["POST"], content_types=["application/json"])
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


@app.route("/api/admin/audit", methods=["GET"])
@requires("admin")
def admin_audit() -> Response:
    return json_response({"entries": services.audit.recent(
        page_size(query("limit"), default=50, maximum=200))})


# -- admin ------------------------------------------------------------------------------------
@app.route("/api/admin/users", methods=["GET"])
@requires("admin")
def admin_users() -> Response:
    after = query("after")
    if after is not None and not is_uuid(after):
        raise catalogued("bad_cursor")
    users, after = services.users.list(limit=50, after=after)
    return json_response({"users": [u.public() for u in users], "next": after})


@app.route("/api/admin/users/{user_id}/roles", methods=["PUT"], content_types=BODY_TYPES)
@requires("admin")
def admin_set_roles(user_id: str) -> Response:
    if not is_uuid(user_id) or services.users.get(user_id) is None:
        raise catalogued("user_not_found")
    user = services.accounts.set_roles(user_id, body(auth_schemas.RolesIn).roles)
    audit("user.roles", user_id, roles=sorted(user.roles))
    return json_response(user.public())


def upload_access_user(user_id: str) -> User:
    found = services.users.get(user_id) if is_uuid(user_id) else None
    if found is None:
        raise catalogued("user_not_found")
    return found


@app.route("/api/admin/users/{user_id}/upload-access", methods=["GET"])
@requires("admin")
def admin_upload_access(user_id: str) -> Response:
    return json_response(services.upload_access.of(upload_access_user(user_id)),
                         headers={"Cache-Control": "no-store"})


@app.route("/api/admin/users/{user_id}/upload-access/{title_id}", methods=["PUT"],
           content_types=BODY_TYPES)
@requires("admin")
def admin_grant_upload_access(user_id: str, title_id: str) -> Response:
    user = upload_access_user(user_id)
    entry, new = services.upload_access.grant(user.id, title_id, current().user)
    if new:
        audit("upload_access.grant", user.id, title_id=title_id, user_email=user.email)
    return json_response(entry, 201 if new else 200)


@app.route("/api/admin/users/{user_id}/upload-access/{title_id}", methods=["DELETE"])
@requires("admin")
def admin_revoke_upload_access(user_id: str, title_id: str) -> Response:
    user = upload_access_user(user_id)
    revoked = services.upload_access.revoke(user.id, title_id)
    audit("upload_access.revoke", user.id, title_id=title_id, user_email=user.email,
          via=revoked["via"])
    return json_response(revoked)


# -- pages ------------------------------------------------------------------------------------
def viewer() -> Principal | None:
    return services.guard.authenticate(request())


def headers() -> dict[str, str]:
    return {k.lower(): str(v) for k, v in request().headers.items()}


@app.route("/", methods=["GET"])
def home_page() -> Response:
    who = viewer()
    return page("home.html", who, **services.pages.home(who.user if who else None,
                                                        viewer_country(headers())))


@app.route("/browse", methods=["GET"])
def browse_page() -> Response:
    return page("browse.html", viewer(), **services.pages.browse(
        query("type"), query("genre"), query("year"), query("country"), query("cursor")))


@app.route("/search", methods=["GET"])
def search_page() -> Response:
    return page("search.html", viewer(), **services.pages.search(query("q")))


@app.route("/titles/{title_id}", methods=["GET"])
def title_page(title_id: str) -> Response:
    who = viewer()
    return page("title.html", who, **services.pages.title(who.user if who else None, title_id,
                                                          query("season")))


@app.route("/watch/{title_id}", methods=["GET"])
@requires()
def watch_page(title_id: str) -> Response:
    who = current()
    return page("watch.html", who, play=services.playback.play(who.user.id, title_id,
                                                               query("episode")))


@app.route("/register", methods=["GET"])
def register_page() -> Response:
    return page("register.html", viewer(), next=local_path(query("next")))


@app.route("/login", methods=["GET"])
def login_page() -> Response:
    notices = {"sent": "If an account uses that email, a reset link is on its way.",
               "done": "Your password is changed; log in with it."}
    return page("login.html", viewer(), next=local_path(query("next")),
                notice=notices.get(query("reset") or ""))


@app.route("/reset", methods=["GET"])
def reset_page() -> Response:
    """Ask for a reset link, or (with ?token= from the mail) choose the new password."""
    return page("reset.html", viewer(), token=query("token"))


@app.route("/reset-password", methods=["GET"])
def reset_password_page() -> Response:
    """Where the reset mail's link points: the same page."""
    return page("reset.html", viewer(), token=query("token"))


@app.route("/plans", methods=["GET"])
def plans_page() -> Response:
    who = viewer()
    return page("plans.html", who, **services.pages.plans(who.user if who else None))


@app.route("/account", methods=["GET"])
@requires()
def account_page() -> Response:
    who = current()
    notice = "Thank you: your subscription is active." if query("subscribed") else None
    return page("account.html", who, notice=notice, **services.pages.account(who.user))


@app.route("/history", methods=["GET"])
@requires()
def history_page() -> Response:
    who = current()
    return page("history.html", who, **services.pages.history(who.user, query("cursor")))


@app.route("/upload", methods=["GET"])
@requires("uploader", "admin")
def upload_page() -> Response:
    return page("upload.html", current(), title_id=query("title"))


@app.route("/admin", methods=["GET"])
@requires("admin")
def admin_page() -> Response:
    return page("admin.html", current(), **services.pages.admin())


@app.route("/console", methods=["GET"])
@requires("uploader", "admin")
def console_page() -> Response:
    who = current()
    audit_entries = services.audit.recent(30) if "admin" in who.user.roles else None
    return page("console.html", who, audit=audit_entries,
                panels=[("active", "Active"), ("queued", "Queued"), ("recent", "Published"),
                        ("failed", "Failed or cancelled")])


def api_document() -> dict[str, Any]:
    return openapi_document.document_for(
        tuple((method, path) for path, methods in app.routes.items() for method in methods))


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return json_response(api_document(), headers={"Cache-Control": "public, max-age=300"})


@app.route("/docs", methods=["GET"])
def docs_page() -> Response:
    return page("docs.html", viewer(),
                tags=openapi_reference.operations_by_tag(api_document()))


@app.route("/static/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    return static_file(None, name)


@app.route("/static/{folder}/{name}", methods=["GET"])
def static_asset_in(folder: str, name: str) -> Response:
    return static_file(folder, name)
