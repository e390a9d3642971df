"""What every route module shares: the request in flight, its parsed parts, roles, audit.

The Chalice app is bound once by ``app.py`` (:func:`bind`); blueprints registered on it see
the same current request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request

from chalicelib.auth.principal import ClientInfo, Principal, current, current_or_none, protect
from chalicelib.platform.http import M, client_ip, parse_body
from chalicelib.routes.root import services, settings

_bound: list[Chalice] = []


def bind(app: Chalice) -> None:
    """The app whose current request the helpers read (one per process)."""
    _bound[:] = [app]


def the_app() -> Chalice:
    if not _bound:
        raise RuntimeError("chalicelib.routes.common.bind(app) was not called")
    return _bound[0]


def request() -> Request:
    current_request = the_app().current_request
    if current_request is None:
        raise RuntimeError("no request in flight")
    return current_request


def lambda_context() -> Any:
    return the_app().lambda_context


def requires(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return protect(lambda: services.guard, request, roles)


def body(model: type[M]) -> M:
    return parse_body(request(), model, settings.max_body_bytes)


def client() -> ClientInfo:
    current_request = request()
    return ClientInfo(ip=client_ip(current_request),
                      user_agent=str(current_request.headers.get("user-agent", ""))[:512])


def query(name: str) -> str | None:
    params = request().query_params
    return params.get(name) if params is not None else None


def audit(action: str, target: str, **details: object) -> None:
    """Record the caller's action: who, what, when, from where."""
    who, where = current().user, client()
    services.audit.record_or_log(who.id, who.email, action, target, ip=where.ip,
                                 user_agent=where.user_agent, details=details)


def viewer_id_of(who: Principal) -> str:
    """The id that viewing data (resume points, history, lists, ratings, recommendations)
    is kept under for this caller: the profile watching."""
    return who.viewer_id


def viewer_id() -> str:
    """:func:`viewer_id_of` the caller of the running protected view."""
    return viewer_id_of(current())


def caller_ceiling() -> int | None:
    """The maturity ceiling of whoever calls (logged in or not): protected views read the
    guard's caller, public ones the session presented, if any (kept with the profile's
    choice: no account or profile read)."""
    who = current_or_none()
    if who is not None:
        return who.ceiling
    session = services.guard.session_of(request())
    return session.profile_ceiling if session is not None else None
