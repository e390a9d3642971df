"""Notflix API: routes and event handlers only; the work lives in ``chalicelib``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice, CORSConfig, Request, Response

from chalicelib import logs
from chalicelib.auth.cookies import cleared_cookie, session_cookie
from chalicelib.auth.principal import ClientInfo, LoggedIn, current, protect
from chalicelib.config import Settings
from chalicelib.errors import catalogued
from chalicelib.health.checks import check_all
from chalicelib.http import (
    BODY_TYPES,
    M,
    client_ip,
    install_middleware,
    is_form,
    is_uuid,
    json_response,
    local_path,
    page_size,
    parse_body,
    see_other,
)
from chalicelib.lazy import lazy_module
from chalicelib.resources import Resources
from chalicelib.services import Services
from chalicelib.web_security import SecurityHeaders, content_security_policy

if TYPE_CHECKING:
    from chalicelib.auth import schemas as auth_schemas
    from chalicelib.payments import schemas as payment_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    auth_schemas = lazy_module("chalicelib.auth.schemas")
    payment_schemas = lazy_module("chalicelib.payments.schemas")

app = Chalice(app_name="notflix", configure_logs=False)
settings = Settings.from_env()
logs.use_for(app, settings.log_level)
resources = Resources(settings)
services = Services(resources)
if settings.cors_origins:
    # Preflights (answered by API Gateway) name the first origin; the middleware then echoes
    # whichever allowlisted origin made the actual request.
    app.api.cors = CORSConfig(allow_origin=settings.cors_origins[0], allow_credentials=True,
                              allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                              max_age=600)
install_middleware(app, SecurityHeaders(
    csp=content_security_policy([settings.aws_endpoint_url or "https://*.amazonaws.com"]),
    cors_origins=settings.cors_origins, https=not settings.local))


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
    services.accounts.request_reset(body(auth_schemas.ResetRequestIn).email)
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
                                             data.current_password, data.new_password)
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
    return json_response(user.public())

