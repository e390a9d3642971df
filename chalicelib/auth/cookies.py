"""The session cookie: HttpOnly, SameSite=Lax, Secure outside local mode."""

from __future__ import annotations

COOKIE_NAME = "notflix_session"


def session_cookie(token: str, max_age: int, *, secure: bool) -> str:
    parts = [f"{COOKIE_NAME}={token}", "Path=/", f"Max-Age={max_age}", "HttpOnly",
             "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def cleared_cookie(*, secure: bool) -> str:
    return session_cookie("", 0, secure=secure)
