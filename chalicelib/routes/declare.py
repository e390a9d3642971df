"""Register a handler with its one declaration (``chalicelib.openapi.declarations``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from chalice.app import Blueprint

from chalicelib.openapi.declarations import DECLARED, Op
from chalicelib.routes.common import requires

F = TypeVar("F", bound=Callable[..., Any])

#: (method, path) -> the handler as written (before the role check wraps it): its return
#: annotation names the response type, held to the declaration's (tests/unit/test_openapi.py).
HANDLERS: dict[tuple[str, str], Callable[..., Any]] = {}


def declare(bp: Blueprint, method: str, path: str, op: Op,
            content_types: list[str] | None = None) -> Callable[[F], F]:
    """Register the handler for `method path` with its one declaration."""
    def register(handler: F) -> F:
        key = (method.upper(), path)
        if key in DECLARED:
            raise ValueError(f"{method} {path} is declared twice")
        DECLARED[key] = op
        HANDLERS[key] = handler
        guarded = handler if op.roles is None else requires(*op.roles)(handler)
        options: dict[str, Any] = {"methods": [key[0]]}
        if content_types is not None:
            options["content_types"] = content_types
        bp.route(path, **options)(guarded)
        return cast(F, guarded)
    return register
