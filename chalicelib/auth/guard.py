"""Who is calling: one guard, used by every protected route.

A caller authenticates with `Authorization: Bearer <token>` (API clients) or the session
cookie (browsers). Cookie-authenticated state changes must carry an allowed `Origin` (or
`Referer`): with SameSite=Lax this closes cross-site request forgery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import redis
from chalice.app import Request

from chalicelib.auth.cookies import COOKIE_NAME
from chalicelib.auth.principal import Principal
from chalicelib.auth.sessions import Session, SessionStore
from chalicelib.auth.users import User, UserRepository
from chalicelib.platform.errors import catalogued
from chalicelib.platform.web_security import origin_of

if TYPE_CHECKING:
    from chalicelib.profiles.store import Profile

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_token(request: Request) -> str | None:
    for part in str(request.headers.get("cookie", "")).split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME and value:
            return value
    return None


def bearer_token(request: Request) -> str | None:
    scheme, _, token = str(request.headers.get("authorization", "")).partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class Guard:
    def __init__(self, sessions: SessionStore, users: UserRepository,
                 allowed_origins: frozenset[str],
                 profile_of: Callable[[User, Session], Profile] | None = None) -> None:
        self.sessions = sessions
        self.users = users
        #: The session's profile (ProfileService.current).
        self.profile_of = profile_of
        self.allowed_origins = frozenset(o.lower().rstrip("/") for o in allowed_origins)

    def check_origin(self, request: Request, *, required: bool) -> None:
        """Refuse a state change whose Origin (or Referer) is not one of ours."""
        if request.method in SAFE_METHODS:
            return
        origin = request.headers.get("origin") or origin_of(request.headers.get("referer", ""))
        if not origin:
            if required:
                raise catalogued("csrf_rejected")
            return
        if origin.lower().rstrip("/") not in self.allowed_origins:
            raise catalogued("csrf_rejected")

    def _session(self, request: Request) -> tuple[Session, str, bool] | None:
        """The request's session, its token and whether it came in the cookie."""
        token, via_cookie = bearer_token(request), False
        if token is None:
            token, via_cookie = cookie_token(request), True
        if not token:
            return None
        try:
            session = self.sessions.lookup(token)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc
        return (session, token, via_cookie) if session is not None else None

    def session_of(self, request: Request) -> Session | None:
        """The request's session alone (one Redis read, no account read): what a public
        route needs to know of a caller, such as the maturity ceiling of its profile."""
        found = self._session(request)
        return found[0] if found is not None else None

    def authenticate(self, request: Request) -> Principal | None:
        found = self._session(request)
        if found is None:
            return None
        session, token, via_cookie = found
        user = self.users.get(session.user_id)
        if user is None:
            return None
        profile_of = self.profile_of
        return Principal(user, session, token, via_cookie,
                         (lambda: profile_of(user, session)) if profile_of is not None
                         else None)

    def require(self, request: Request, roles: tuple[str, ...] = ()) -> Principal:
        principal = self.authenticate(request)
        if principal is None:
            raise catalogued("not_authenticated")
        if principal.via_cookie:
            self.check_origin(request, required=True)
        if roles and not principal.user.roles.intersection(roles):
            raise catalogued("forbidden")
        return principal
