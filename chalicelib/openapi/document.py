"""Build the OpenAPI 3.1 document from the operations table and the pydantic models."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from typing_extensions import is_typeddict

from chalicelib.auth.cookies import COOKIE_NAME
from chalicelib.openapi import responses
from chalicelib.openapi.declarations import DECLARED, MEDIA_KINDS, Body, Op
from chalicelib.openapi.queries import PATH_PARAM_MAX_LENGTH, Param
from chalicelib.openapi.responses import Error

PATH_PARAM = re.compile(r"{([a-z_]+)}")
REF = "#/components/schemas/{model}"
REQUEST_ID = {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}
MEDIA: dict[str, tuple[str, dict[str, Any]]] = {
    "html": ("text/html", {"type": "string"}),
    "text": ("text/plain", {"type": "string"}),
    "svg": ("image/svg+xml", {"type": "string"}),
    "stream": ("application/dash+xml", {"type": "string"}),
}
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content",
               400: "The request is malformed or its values are invalid",
               401: "Not logged in (or the signature is wrong)",
               402: "A subscription is needed", 403: "Not allowed (role or origin)",
               404: "Not found", 405: "Method not allowed", 409: "Conflicts with the state",
               413: "Too large", 415: "Unsupported content type",
               422: "Understood but refused by a rule", 429: "Too many requests: wait",
               502: "PayPal did not answer", 503: "A dependency is down: try again shortly"}


class Components:
    """Named schemas shared by the operations."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[Any]) -> dict[str, str]:
        """A pydantic model (request bodies) or a typed dict (responses), by reference."""
        name = model.__name__
        if name not in self.schemas:
            schema = TypeAdapter(model).json_schema(ref_template=REF)
            self.schemas.update(schema.pop("$defs", {}))
            self.schemas[name] = schema
        return {"$ref": REF.format(model=name)}


def _model(dotted: str) -> type[BaseModel]:
    module, _, name = dotted.partition(":")
    model = getattr(importlib.import_module(module), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{dotted} is not a pydantic model")
    return model


def _response_model(name: str) -> type[Any]:
    """A response type of ``chalicelib.openapi.responses``, by the name a route declares."""
    model = getattr(responses, name, None)
    if not (isinstance(model, type) and is_typeddict(model)):
        raise TypeError(f"{name} is not a response type of chalicelib.openapi.responses")
    return model


def _param(param: Param, where: str = "query") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.kind}
    for key, value in (("maxLength", param.max_length), ("minLength", param.min_length),
                       ("minimum", param.minimum), ("maximum", param.maximum),
                       ("format", param.format)):
        if value is not None:
            schema[key] = value
    doc = {"name": param.name, "in": where, "required": where == "path" or param.required,
           "description": param.description, "schema": schema}
    if where == "path" and param.name in PATH_EXAMPLES:
        doc["example"] = PATH_EXAMPLES[param.name]
    return doc


def _content(out: Body | type[Any], components: Components) -> dict[str, Any] | None:
    if out is None or out == "redirect":
        return None
    if out == "static":
        return {"*/*": {"schema": {}}}
    if out in MEDIA_KINDS:
        media, schema = MEDIA[out]
        if out == "stream":  # manifests, HLS playlists and WebVTT
            return {m: {"schema": schema} for m in
                    ("application/dash+xml", "application/vnd.apple.mpegurl", "text/vtt")}
        return {media: {"schema": schema}}
    model = out if isinstance(out, type) else _response_model(out)
    return {"application/json": {"schema": components.ref(model)}}


def _response(description: str, out: Body | type[Any], components: Components,
              html_too: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "headers": REQUEST_ID}
    content = _content(out, components)
    if content is not None and html_too:  # browsers (Accept: text/html) get a page
        content = {**content, "text/html": {"schema": {"type": "string"}}}
    if content is not None:
        response["content"] = content
    if out == "redirect":
        response["headers"] = {**REQUEST_ID, "Location": {
            "required": True, "schema": {"type": "string"}}}
    return response


#: Examples for path parameters: titles of the demo catalogue (`notflix seed`).
PATH_EXAMPLES = {"title_id": "demo-harbour-lights", "number": "1", "country": "US",
                 "asset_id": "demo-asset", "name": "app.css", "folder": "js"}


def _error_statuses(path: str, op: Op) -> list[int]:
    statuses = set(op.errors) | {503}
    if op.body or op.query or "{" in path:
        statuses.add(400)
    if op.body:
        statuses |= {413, 415, 422}
    if op.roles is not None:
        statuses |= {401, 403}
    if op.out != "html" and op.roles is not None:
        statuses.add(429)
    return sorted(statuses)


def _request_body(op: Op, components: Components) -> dict[str, Any] | None:
    if op.body is None:
        return None
    if op.body == "csv":
        content: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
    elif op.body == "object":
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": components.ref(_model(op.body))}}
    return {"required": True, "content": content}


def operation(method: str, path: str, op: Op, components: Components) -> dict[str, Any]:
    params = [_param(Param(name, name.replace("_", " ").capitalize(),
                           max_length=PATH_PARAM_MAX_LENGTH), "path")
              for name in PATH_PARAM.findall(path)]
    params += [_param(p) for p in op.query]
    responses: dict[str, Any] = {str(op.ok): _response(STATUS_TEXT[op.ok], op.out, components)}
    for status, (description, out) in op.also.items():
        responses[str(status)] = _response(description, out, components)
    is_page = op.out == "html"
    html_errors = is_page or 303 in op.also  # pages, and API routes that take form posts
    for status in _error_statuses(path, op):
        if is_page and status == 401:
            responses["303"] = _response("A browser that is not logged in: to the login page",
                                         "redirect", components)
        responses[str(status)] = _response(STATUS_TEXT[status], Error, components, html_errors)
        if status == 429:  # every limit says when to come back
            responses["429"]["headers"] = {**REQUEST_ID, "Retry-After": {
                "required": True, "description": "Seconds to wait before trying again",
                "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
    roles = "any logged-in user" if op.roles == () else ", ".join(op.roles or ())
    doc: dict[str, Any] = {
        "operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_"),
        "summary": op.summary, "tags": [op.tag], "parameters": params,
        "responses": responses,
        "security": [] if op.roles is None else [{"bearer": []}, {"session": []}],
    }
    if op.roles is not None:
        doc["description"] = f"{op.description} Who: {roles}.".strip()
        doc["x-roles"] = list(op.roles)
    body = _request_body(op, components)
    if body is not None:
        doc["requestBody"] = body
    return doc


def build(routes: Iterable[tuple[str, str]], version: str = "1") -> dict[str, Any]:
    """The document for these (method, path) routes; each must be in the operations table."""
    components = Components()
    paths: dict[str, dict[str, Any]] = {}
    for method, path in routes:
        op = DECLARED.get((method, path))
        if op is None:
            raise KeyError(f"{method} {path} has no declaration (chalicelib.routes.declare)")
        paths.setdefault(path, {})[method.lower()] = operation(method, path, op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Notflix API", "version": version,
                 "description": "Video streaming: accounts, PayPal subscriptions, the "
                                "catalogue, DASH playback, recommendations and operations. "
                                "Errors are `{\"error\": {\"code\", \"message\"}}`."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components.schemas, "headers": {"RequestId": {
            "description": "The request's id (also in the logs)", "required": True,
            "schema": {"type": "string"}}}, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "The `token` of register or login"},
            "session": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME}}},
    }


@cache
def document_for(routes: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Built once per process (the routes never change while it runs)."""
    return build(routes)
