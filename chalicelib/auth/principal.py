"""The caller of a protected view, and the decorator that requires one.

Kept free of Redis and DynamoDB imports so that `app.py` can decorate routes at cold start
without loading them; the guard that resolves a caller is built on first use.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from chalice.app import Request

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.auth.users import User
    from chalicelib.profiles.store import Profile

F = TypeVar("F", bound=Callable[..., Any])
_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal",
                                                                            default=None)


@dataclass(frozen=True)
class Principal:
    user: User
    session: Session
    token: str
    via_cookie: bool
    #: Reads the profile watching, for the pages that show it (None where no profile
    #: store is wired, as in some unit tests). Streams and the API need only the session's
    #: profile id and ceiling, so no request reads the profile unless it shows it.
    load_profile: Callable[[], Profile | None] | None = field(default=None, compare=False)

    @functools.cached_property
    def profile(self) -> Profile | None:
        return self.load_profile() if self.load_profile is not None else None

    @property
    def viewer_id(self) -> str:
        """The id viewing data is kept under: the profile chosen in the session (the main
        profile's id is the account's)."""
        return self.session.profile_id or self.user.id

    @property
    def ceiling(self) -> int | None:
        """The maturity level this caller may see up to; None: no ceiling."""
        return self.session.profile_ceiling


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, as recorded in login history and sessions."""

    ip: str
    user_agent: str


@dataclass(frozen=True)
class LoggedIn:
    user: User
    token: str


class Requirer(Protocol):
    def require(self, request: Request, roles: tuple[str, ...] = ()) -> Principal: ...


def protect(guard_of: Callable[[], Requirer], request_of: Callable[[], Request],
            roles: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorator: the view runs only for a session holding one of `roles` (any if none).

    The guard is looked up per call, so decorating routes costs nothing at cold start.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = _current.set(guard_of().require(request_of(), roles))
            try:
                return view(*args, **kwargs)
            finally:
                _current.reset(token)

        return guarded  # type: ignore[return-value]

    return decorate


def current() -> Principal:
    """The caller of the running protected view."""
    principal = _current.get()
    if principal is None:
        raise RuntimeError("current() called outside a protected view")
    return principal


def current_or_none() -> Principal | None:
    """The caller of the running protected view, None outside one."""
    return _current.get()
