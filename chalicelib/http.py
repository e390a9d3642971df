"""HTTP plumbing shared by every route: request ids, JSON errors, access logs."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.errors import AppError, error_body
from chalicelib.logs import logger

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: What Chalice answers after catching (and logging) an unexpected exception in a view.
_CHALICE_500 = {"Code": "InternalServerError", "Message": "An internal server error occurred."}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def _request_id(request: Request) -> str:
    supplied = str(request.headers.get("x-request-id", ""))
    if _SAFE_REQUEST_ID.match(supplied):
        return supplied
    context = request.context or {}
    return str(context.get("requestId") or uuid.uuid4())


def _internal_error(request_id: str) -> Response:
    return json_response(
        error_body("internal_error", "Something went wrong on our side; it was logged.",
                   request_id=request_id),
        500,
    )


def install_middleware(app: Chalice) -> None:
    """Every response carries X-Request-Id; every error is JSON; every request is logged once."""

    @app.middleware("http")
    def request_context(request: Request, get_response: Callable[[Request], Response]) -> Response:
        request_id = _request_id(request)
        logger.append_keys(request_id=request_id)
        started = time.perf_counter()
        try:
            response = get_response(request)
        except AppError as exc:
            response = json_response(exc.body(), exc.status, exc.headers)
        except Exception:
            logger.exception("unhandled error")
            response = _internal_error(request_id)
        if response.status_code == 500 and response.body == _CHALICE_500:
            response = _internal_error(request_id)
        response.headers["X-Request-Id"] = request_id
        logger.info(
            "request",
            method=request.method,
            path=request.context.get("resourcePath", "") if request.context else "",
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        logger.remove_keys(["request_id"])
        return response
