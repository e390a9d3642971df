"""Accounts: registration, login and logout, password resets, the current user, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.auth.cookies import cleared_cookie, session_cookie
from chalicelib.auth.principal import LoggedIn, current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    ADMIN,
    SEE_OTHER,
    USER,
    Op,
)
from chalicelib.openapi.queries import (
    Param,
)
from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import (
    BODY_TYPES,
    Json,
    SeeOther,
    is_form,
    json_response,
    local_path,
    see_other,
)
from chalicelib.platform.ids import is_uuid
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    audit,
    body,
    client,
    query,
    request,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services, settings

if TYPE_CHECKING:
    from chalicelib.auth import schemas as auth_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    auth_schemas = lazy_module("chalicelib.auth.schemas")

bp = Blueprint(__name__)


def check_origin() -> None:
    """Login CSRF: a form post from another site must not log the browser in."""
    services.guard.check_origin(request(), required=False)


def logged_in_response(result: LoggedIn, status: int) -> Json[api.LoggedIn] | SeeOther:
    cookie = session_cookie(result.token, settings.session_ttl_seconds, secure=not settings.local)
    if is_form(request()):
        # a new account with nowhere to go next is led to choose a plan
        default = "/plans?welcome=1" if status == 201 else "/"
        target = local_path(query("next"), default)
        if status == 200 and len(services.profiles.profiles(result.user)) > 1:
            target = f"/profiles?{urlencode({'next': target})}"  # who's watching?
        return see_other(target, {"Set-Cookie": cookie})
    return json_response({"token": result.token, "user": result.user.public()}, status,
                         {"Set-Cookie": cookie})


@declare(bp, "POST", "/api/auth/register", Op(
    "Create an account and log in", "auth", "LoggedIn", 201,
    "chalicelib.auth.schemas:RegisterIn", errors=(403, 409, 422, 429), also=SEE_OTHER),
         content_types=BODY_TYPES)
def register() -> Json[api.LoggedIn] | SeeOther:
    check_origin()
    data = body(auth_schemas.RegisterIn)
    return logged_in_response(
        services.accounts.register(data.email, data.password, data.display_name, client()), 201)


@declare(bp, "POST", "/api/auth/login", Op(
    "Log in with email and password", "auth", "LoggedIn",
    body="chalicelib.auth.schemas:LoginIn", errors=(401, 403, 422, 429), also=SEE_OTHER),
         content_types=BODY_TYPES)
def login() -> Json[api.LoggedIn] | SeeOther:
    check_origin()
    data = body(auth_schemas.LoginIn)
    return logged_in_response(services.accounts.login(data.email, data.password, client()), 200)


@declare(bp, "POST", "/api/auth/logout", Op(
    "End this session", "auth", None, 204, roles=USER, also=SEE_OTHER), content_types=BODY_TYPES)
def logout() -> Response:
    services.accounts.logout(current().token)
    cookie: dict[str, str | list[str]] = {"Set-Cookie": cleared_cookie(secure=not settings.local)}
    if is_form(request()):
        return see_other("/", cookie)
    return Response(body="", status_code=204, headers=cookie)


@declare(bp, "POST", "/api/auth/password-reset", Op(
    "Mail a password-reset link", "auth", "Message", 202,
    "chalicelib.auth.schemas:ResetRequestIn", errors=(403, 429), also=SEE_OTHER),
         content_types=BODY_TYPES)
def password_reset() -> Json[api.Message] | SeeOther:
    check_origin()
    services.accounts.request_reset(body(auth_schemas.ResetRequestIn).email, client())
    if is_form(request()):
        return see_other("/login?reset=sent")
    return json_response({"message": "If an account uses this email, a reset link is on its "
                                     "way; it works once, for 30 minutes."}, 202)


@declare(bp, "POST", "/api/auth/password-reset/confirm", Op(
    "Choose a new password with a reset token", "auth", "Message",
    body="chalicelib.auth.schemas:ResetConfirmIn", errors=(403, 422, 429),
    also=SEE_OTHER), content_types=BODY_TYPES)
def password_reset_confirm() -> Json[api.Message] | SeeOther:
    check_origin()
    data = body(auth_schemas.ResetConfirmIn)
    services.accounts.confirm_reset(data.token, data.new_password)
    if is_form(request()):
        return see_other("/login?reset=done")
    return json_response({"message": "Your password is changed; log in with it."})


@declare(bp, "GET", "/api/me", Op("The logged-in user and their subscription", "me", "Me",
    roles=USER))
def me() -> Json[api.Me]:
    user = current().user
    return json_response({**user.public(), "subscription": services.payments.status(user.id)})


@declare(bp, "PATCH", "/api/me", Op("Change the display name", "me", "User",
    body="chalicelib.auth.schemas:ProfilePatch", roles=USER), content_types=BODY_TYPES)
def update_me() -> Json[api.User]:
    user = services.accounts.update_profile(current().user,
                                            body(auth_schemas.ProfilePatch).display_name)
    return json_response(user.public())


@declare(bp, "POST", "/api/me/password", Op(
    "Change the password (other sessions end)", "me", "User",
    body="chalicelib.auth.schemas:PasswordChangeIn", roles=USER, errors=(403, 422, 429)),
         content_types=BODY_TYPES)
def change_password() -> Json[api.User]:
    data = body(auth_schemas.PasswordChangeIn)
    caller = current()
    user = services.accounts.change_password(caller.user, caller.session,
                                             data.current_password, data.new_password,
                                             client())
    return json_response(user.public())


@declare(bp, "GET", "/api/me/logins", Op("Recent logins to this account", "me", "Logins",
    roles=USER))
def my_logins() -> Json[api.Logins]:
    events = services.accounts.login_history(current().user)
    return json_response({"logins": [e.public() for e in events]})


@declare(bp, "GET", "/api/admin/users", Op(
    "Users, 50 at a time", "admin", "UserPage", roles=ADMIN,
    query=(
        Param("after", "The `next` value of the previous page", format="uuid"),)))
def admin_users() -> Json[api.UserPage]:
    after = query("after")
    if after is not None and not is_uuid(after):
        raise catalogued("bad_cursor")
    users, after = services.users.list(limit=50, after=after)
    return json_response({"users": [u.public() for u in users], "next": after})


@declare(bp, "PUT", "/api/admin/users/{user_id}/roles", Op(
    "Set a user's roles", "admin", "User", body="chalicelib.auth.schemas:RolesIn",
    roles=ADMIN, errors=(404, 422)), content_types=BODY_TYPES)
def admin_set_roles(user_id: str) -> Json[api.User]:
    user = services.accounts.set_roles(user_id, body(auth_schemas.RolesIn).roles)
    audit("user.roles", user_id, roles=sorted(user.roles))
    return json_response(user.public())
