"""Render templates into HTML responses (one Jinja2 environment per warm function)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.app import Response

if TYPE_CHECKING:
    from jinja2 import Environment

    from chalicelib.auth.principal import Principal

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Built with the first page (Jinja2 stays off the import path of JSON requests)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["minutes"] = _minutes
    env.filters["clock"] = _clock
    return env


def page(name: str, viewer: Principal | None, status: int = 200,
         headers: dict[str, str] | None = None, **context: Any) -> Response:
    """A template as an HTML response; ``viewer`` decides the navigation."""
    user = viewer.user if viewer is not None else None
    roles = user.roles if user is not None else frozenset()
    html = environment().get_template(name).render(
        user=user, profile=viewer.profile if viewer is not None else None,
        is_uploader=bool(roles & {"uploader", "admin"}), is_admin="admin" in roles,
        **context)
    return Response(body=html, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8",
                             "Cache-Control": "private, no-cache", **(headers or {})})


def _minutes(value: Any) -> str:
    if not value:
        return ""
    total = int(value)
    return f"{total // 60} h {total % 60:02d} min" if total >= 60 else f"{total} min"


def _clock(seconds: Any) -> str:
    total = int(float(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
