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
        self.details: list[dict[str, Any]] | None = None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class NotFound(AppError):
    status = 404
    code = "not_found"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


def catalogued(code: str, *, headers: dict[str, str] | None = None,
               details: list[dict[str, Any]] | None = None, **values: object) -> AppError:
    """An AppError whose status and message come from the message catalogue."""
    from chalicelib.platform.messages import message

    status, text = message(code, **values)
    error = AppError(text, code=code, status=status, headers=headers)
    error.details = details
    return error


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
