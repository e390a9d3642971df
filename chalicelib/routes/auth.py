"""Accounts: registration, login and logout, password resets, the current user, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.cookies import cleared_cookie, session_cookie
from chalicelib.auth.principal import LoggedIn, current
from chalicelib.errors import catalogued
from chalicelib.http import BODY_TYPES, is_form, json_response, local_path, see_other
from chalicelib.ids import is_uuid
from chalicelib.lazy import lazy_module
from chalicelib.routes.common import (
    audit,
    body,
    client,
    query,
    request,
    requires,
)
from chalicelib.routes.root import services, settings

if TYPE_CHECKING:
    from chalicelib.auth import schemas as auth_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    auth_schemas = lazy_module("chalicelib.auth.schemas")

bp = Blueprint(__name__)


def check_origin() -> None:
    """Login CSRF: a form post from another site must not log the browser in."""
    services.guard.check_origin(request(), required=False)


def logged_in_response(result: LoggedIn, status: int) -> Response:
    cookie = session_cookie(result.token, settings.session_ttl_seconds, secure=not settings.local)
    if is_form(request()):
        return see_other(local_path(query("next")), {"Set-Cookie": cookie})
    return json_response({"token": result.token, "user": result.user.public()}, status,
                         {"Set-Cookie": cookie})


@bp.route("/api/auth/register", methods=["POST"], content_types=BODY_TYPES)
def register() -> Response:
    check_origin()
    data = body(auth_schemas.RegisterIn)
    return logged_in_response(
        services.accounts.register(data.email, data.password, data.display_name, client()), 201)


@bp.route("/api/auth/login", methods=["POST"], content_types=BODY_TYPES)
def login() -> Response:
    check_origin()
    data = body(auth_schemas.LoginIn)
    return logged_in_response(services.accounts.login(data.email, data.password, client()), 200)


@bp.route("/api/auth/logout", methods=["POST"], content_types=BODY_TYPES)
@requires()
def logout() -> Response:
    services.accounts.logout(current().token)
    cookie: dict[str, str | list[str]] = {"Set-Cookie": cleared_cookie(secure=not settings.local)}
    if is_form(request()):
        return see_other("/", cookie)
    return Response(body="", status_code=204, headers=cookie)


@bp.route("/api/auth/password-reset", methods=["POST"], content_types=BODY_TYPES)
def password_reset() -> Response:
    check_origin()
    services.accounts.request_reset(body(auth_schemas.ResetRequestIn).email, client())
    if is_form(request()):
        return see_other("/login?reset=sent")
    return json_response({"message": "If an account uses this email, a reset link is on its "
                                     "way; it works once, for 30 minutes."}, 202)


@bp.route("/api/auth/password-reset/confirm", methods=["POST"], content_types=BODY_TYPES)
def password_reset_confirm() -> Response:
    check_origin()
    data = body(auth_schemas.ResetConfirmIn)
    services.accounts.confirm_reset(data.token, data.new_password)
    if is_form(request()):
        return see_other("/login?reset=done")
    return json_response({"message": "Your password is changed; log in with it."})


@bp.route("/api/me", methods=["GET"])
@requires()
def me() -> Response:
    user = current().user
    return json_response({**user.public(), "subscription": services.payments.status(user.id)})


@bp.route("/api/me", methods=["PATCH"], content_types=BODY_TYPES)
@requires()
def update_me() -> Response:
    user = services.accounts.update_profile(current().user,
                                            body(auth_schemas.ProfilePatch).display_name)
    return json_response(user.public())


@bp.route("/api/me/password", methods=["POST"], content_types=BODY_TYPES)
@requires()
def change_password() -> Response:
    data = body(auth_schemas.PasswordChangeIn)
    caller = current()
    user = services.accounts.change_password(caller.user, caller.session,
                                             data.current_password, data.new_password,
                                             client())
    return json_response(user.public())


@bp.route("/api/me/logins", methods=["GET"])
@requires()
def my_logins() -> Response:
    events = services.accounts.login_history(current().user)
    return json_response({"logins": [e.public() for e in events]})


@bp.route("/api/admin/users", methods=["GET"])
@requires("admin")
def admin_users() -> Response:
    after = query("after")
    if after is not None and not is_uuid(after):
        raise catalogued("bad_cursor")
    users, after = services.users.list(limit=50, after=after)
    return json_response({"users": [u.public() for u in users], "next": after})


@bp.route("/api/admin/users/{user_id}/roles", methods=["PUT"], content_types=BODY_TYPES)
@requires("admin")
def admin_set_roles(user_id: str) -> Response:
    user = services.accounts.set_roles(user_id, body(auth_schemas.RolesIn).roles)
    audit("user.roles", user_id, roles=sorted(user.roles))
    return json_response(user.public())
