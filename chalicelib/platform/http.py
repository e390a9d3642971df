"""HTTP plumbing shared by every route: request ids, JSON errors, access logs."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from chalice.app import Chalice, Request, Response

from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import AppError, catalogued, error_body
from chalicelib.platform.json_input import load_json
from chalicelib.platform.logs import logger
from chalicelib.platform.metrics import record_request
from chalicelib.platform.outages import (
    ViewErrorNote,
    forget_view_error,
    named,
    unavailable,
    view_error,
)
from chalicelib.platform.query_checks import check_query
from chalicelib.platform.web_security import SecurityHeaders

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")
#: A JSON body: a response type of ``chalicelib.openapi.responses`` (or any other mapping).
B = TypeVar("B", bound=Mapping[str, object])
FORM = "application/x-www-form-urlencoded"
#: Content types the JSON API and its HTML forms accept (Chalice refuses others with 415).
BODY_TYPES = ["application/json", FORM]

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: What Chalice answers after catching (and logging) an unexpected exception in a view.
_CHALICE_500 = {"Code": "InternalServerError", "Message": "An internal server error occurred."}


class Json(Response, Generic[B]):
    """A JSON answer whose body has the type ``B``.

    A handler annotated ``-> Json[Model]`` has mypy check the body it builds against that
    response type, and the route's declared response model is held to the same type
    (tests/unit/test_openapi.py). At run time it is a plain Chalice response.
    """

    body: B


def json_response(body: B, status: int = 200, headers: dict[str, str] | None = None) -> Json[B]:
    return Json(body=body, status_code=status,
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


def route_template(request: Request) -> str:
    """The matched route (`/api/titles/{title_id}`), never the path with its ids."""
    return str((request.context or {}).get("resourcePath") or request.path)


def requested_target(request: Request) -> str:
    """The path and query the client asked for (`/watch/t1?episode=e2`): the matched route
    with its parameters put back, so it is the same behind API Gateway's stage prefix as in
    the local server (Chalice's ``request.path`` is the route template, `/watch/{title_id}`)."""
    path = route_template(request)
    for name, value in (request.uri_params or {}).items():
        # API Gateway decodes path parameters, Chalice's local server does not: "%" stays
        path = path.replace("{" + name + "}", quote(str(value), safe="%"))
    event = request.to_original_event() or {}
    multi = event.get("multiValueQueryStringParameters") or {}
    pairs = [(k, v) for k, values in multi.items() for v in values]
    if not pairs and request.query_params:
        pairs = list(request.query_params.items())
    return path + ("?" + urlencode(pairs) if pairs else "")


def form_fields(raw: bytes) -> dict[str, str]:
    """A URL-encoded form body's fields (the last value of each, blanks kept)."""
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def is_form(request: Request) -> bool:
    return str(request.headers.get("content-type", "")).split(";")[0].strip().lower() == FORM


def parse_body(request: Request, model: type[M], max_bytes: int) -> M:
    """Validate a JSON or form body into `model`: 400, 413, 415 or 422 with a clear message."""
    from pydantic import ValidationError  # loaded with the models; kept off the import path
    body = request.raw_body or b""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise catalogued("body_too_large", limit=max_bytes)
    data: Any
    if is_form(request):
        data = form_fields(raw)
    else:
        data = load_json(raw or b"null")
        if not isinstance(data, dict):
            raise catalogued("validation_failed", details=[
                {"field": "", "message": "the body must be a JSON object"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                   for err in exc.errors(include_url=False, include_input=False)]
        raise catalogued("validation_failed", details=details) from exc


def page_size(raw: str | None, default: int = 20, maximum: int = 100) -> int:
    """A `limit` query parameter: 1..maximum, or a 400 naming the bounds."""
    if raw is None or raw == "":
        return default
    if not is_whole_number(raw) or not 1 <= int(raw) <= maximum:
        raise AppError(f"limit must be a whole number from 1 to {maximum}", code="bad_limit")
    return int(raw)


def client_ip(request: Request) -> str:
    """The caller's address as API Gateway saw it (never a client-supplied header)."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


class SeeOther(Response):
    """A 303 redirect: a route answering JSON or this is typed ``Json[Model] | SeeOther``
    (not ``| Response``, which any JSON body would satisfy)."""


def see_other(location: str, headers: Mapping[str, str | list[str]] | None = None) -> SeeOther:
    """The answer to an HTML form post: 303 makes the browser GET the next page."""
    return SeeOther(body="", status_code=303, headers={"Location": location, **(headers or {})})


#: What a same-site redirect target may hold: RFC 3986's path, query and fragment characters.
#: No backslash (browsers read `/\\host` as `//host`), no whitespace or control characters
#: (browsers drop tab and newline, so `/\t/host` becomes `//host`), nothing non-ASCII.
_LOCAL_TARGET = re.compile(r"/(?!/)[A-Za-z0-9\-._~!$&'()*+,;=:@/?#%]*")


def local_path(candidate: str | None, default: str = "/") -> str:
    """A redirect target that stays on this site (no open redirects).

    Accepted only if it is a path that every browser resolves against this origin: it
    starts with one `/`, and holds only URL characters, so no normalisation a browser does
    (dropping tabs and newlines, reading `\\` as `/`) can turn it into `//other.site`.
    """
    if candidate and _LOCAL_TARGET.fullmatch(candidate):
        return candidate
    return default


_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type",
                  "MethodNotAllowedError": "method_not_allowed", "BadRequest": "bad_request"}


def _is_chalice_error(response: Response) -> bool:
    body = response.body
    return (response.status_code >= 400 and isinstance(body, dict)
            and set(body) == {"Code", "Message"} and body["Code"] in _CHALICE_CODES)


def _rewrite_chalice_error(response: Response) -> Response:
    """Chalice's own 4xx answers (wrong content type or method) in the API's error shape."""
    body = response.body
    assert isinstance(body, dict)
    message = str(body["Message"])
    if body["Code"] == "UnsupportedMediaType":
        message = f"{message}; this route does not accept that content type."
    return json_response({"error": {"code": _CHALICE_CODES[str(body["Code"])],
                                    "message": message}},
                         response.status_code,
                         {k: str(v) for k, v in (response.headers or {}).items()})


def _error_response(request: Request, exc: AppError,
                    html_errors: Callable[[Request, AppError], Response | None] | None
                    ) -> Response:
    """An AppError as JSON, or as the page ``html_errors`` renders (with the error's headers)."""
    shown = html_errors(request, exc) if html_errors is not None else None
    if shown is None:
        return json_response(exc.body(), exc.status, exc.headers)
    if shown.status_code == exc.status:
        for name, value in exc.headers.items():
            shown.headers.setdefault(name, value)
    return shown


def _unexpected(request: Request, request_id: str, exc: BaseException | None,
                html_errors: Callable[[Request, AppError], Response | None] | None
                ) -> Response:
    """A dependency outage is a 503 naming it (see ``outages``); anything else is a 500."""
    outage = unavailable(exc)
    if outage is None:
        return _internal_error(request_id)
    logger.warning("dependency unavailable", dependency=outage.dependency.name,
                   error=type(exc).__name__)
    return _error_response(request, outage, html_errors)


def install_middleware(app: Chalice, security: SecurityHeaders | None = None,
                       html_errors: Callable[[Request, AppError], Response | None] | None = None
                       ) -> None:
    """Every response carries X-Request-Id; every error is JSON (or, on a page, the page
    ``html_errors`` renders); every request is logged once."""
    app.log.addFilter(ViewErrorNote())  # a view's exception, kept for `_unexpected`

    @app.middleware("http")
    def request_context(request: Request, get_response: Callable[[Request], Response]) -> Response:
        request_id = _request_id(request)
        logger.thread_safe_append_keys(request_id=request_id)  # chalice local is threaded
        started = time.perf_counter()
        forget_view_error()
        try:
            check_query(request.method, route_template(request), request.query_params)
            response = get_response(request)
        except AppError as exc:
            response = _error_response(request, named(exc), html_errors)
        except Exception as exc:
            logger.exception("unhandled error")
            response = _unexpected(request, request_id, exc, html_errors)
        if response.status_code == 500 and response.body == _CHALICE_500:
            response = _unexpected(request, request_id, view_error(), html_errors)
        elif _is_chalice_error(response):
            response = _rewrite_chalice_error(response)
        response.headers["X-Request-Id"] = request_id
        if security is not None:
            security.apply(request, response, request.path)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=duration_ms,
        )
        record_request(route_template(request), request.method, response.status_code,
                       duration_ms)
        logger.thread_safe_remove_keys(["request_id"])
        return response


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this entity tag (weak or strong, or `*`)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
