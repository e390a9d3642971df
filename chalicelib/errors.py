"""Errors that reach a client, with the JSON shape of the API contract."""

from __future__ import annotations

from typing import Any

from chalice.app import ChaliceUnhandledError


class AppError(ChaliceUnhandledError):
    """An error with an HTTP status, a stable machine code and a human message.

    It derives from Chalice's ``ChaliceUnhandledError`` so that Chalice lets it through to
    our HTTP middleware, which renders it in the API's error shape.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class NotFound(AppError):
    status = 404
    code = "not_found"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
