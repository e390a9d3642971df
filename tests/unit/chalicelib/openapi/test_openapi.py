"""/openapi.json: every route described, from the same models the handlers parse with."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

import app
from chalicelib.openapi import responses
from chalicelib.openapi.declarations import DECLARED, MEDIA_KINDS, Op
from chalicelib.openapi.document import build
from chalicelib.platform.http import Json
from chalicelib.routes.declare import HANDLERS

ROUTES = {(method, path) for path, methods in app.app.routes.items() for method in methods}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from chalicelib.routes.pages import api_document

    return api_document()


def test_every_route_has_exactly_one_declaration() -> None:
    assert set(DECLARED) == ROUTES


def test_a_route_without_an_entry_is_refused() -> None:
    with pytest.raises(KeyError, match="GET /nowhere"):
        build([("GET", "/nowhere")])


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert sum(len(methods) for methods in document["paths"].values()) == len(ROUTES)


def test_request_bodies_are_the_handlers_pydantic_models(document: dict[str, Any]) -> None:
    register = document["paths"]["/api/auth/register"]["post"]
    schema = register["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/RegisterIn"}
    model = document["components"]["schemas"]["RegisterIn"]
    assert set(model["required"]) == {"email", "password", "display_name"}
    assert model["additionalProperties"] is False  # unknown fields are refused
    progress = document["components"]["schemas"]["ProgressIn"]["properties"]
    assert progress["position_s"]["maximum"] == 86_400.0


def test_protected_routes_name_their_roles_and_their_refusals(
        document: dict[str, Any]) -> None:
    roles = document["paths"]["/api/admin/users/{user_id}/roles"]["put"]
    assert roles["x-roles"] == ["admin"]
    assert {"401", "403", "404", "200"} <= set(roles["responses"])
    assert roles["security"] == [{"bearer": []}, {"session": []}]
    assert document["paths"]["/api/titles"]["get"]["security"] == []
    page = document["paths"]["/account"]["get"]["responses"]
    assert "303" in page  # browsers go to the login page; other clients get a 401
    assert set(page["401"]["content"]) == {"application/json", "text/html"}


def test_errors_share_one_schema(document: dict[str, Any]) -> None:
    missing = document["paths"]["/api/titles/{title_id}"]["get"]["responses"]["404"]
    assert missing["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


def test_the_document_and_the_docs_page_are_served() -> None:
    with Client(app.app) as client:
        served = client.http.get("/openapi.json")
        assert served.status_code == 200
        assert served.json_body["paths"]["/api/search"]["get"]["summary"]
        docs = client.http.get("/docs")
    assert docs.status_code == 200
    html = docs.body.decode()
    assert 'id="post_api_auth_register"' in html
    assert "display_name" in html and "at most 80 characters" in html


def test_jobs_and_uploads_promise_their_progress(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    progress = schemas["JobProgress"]
    assert {"chunks_done", "chunks_total", "percent", "stages", "eta_seconds", "summary",
            "heartbeat_age_s"} <= set(progress["required"])
    assert "progress_detail" in schemas["Job"]["required"]
    assert "progress_detail" not in schemas["UploadStatus"].get("required", [])  # no job yet
    assert {"elapsed_s", "running"} <= set(schemas["JobStage"]["required"])
    job = document["paths"]["/api/admin/jobs/{job_id}"]["get"]
    assert "eta_seconds" in job["description"]
    panels = schemas["Dashboard"]["properties"]["panels"]
    assert panels["additionalProperties"]["items"] == {"$ref": "#/components/schemas/Job"}


def test_every_429_promises_retry_after(document: dict[str, Any]) -> None:
    limited = [(path, method) for path, ops in document["paths"].items()
               for method, op in ops.items() if "429" in op["responses"]]
    assert ("/api/auth/login", "post") in limited and ("/api/me/password", "post") in limited
    for path, method in limited:
        headers = document["paths"][path][method]["responses"]["429"]["headers"]
        assert headers["Retry-After"]["required"] is True, (path, method)


def _json_bodies(annotation: Any) -> set[Any]:
    """The body types of the `Json[...]` answers a return annotation names."""
    if get_origin(annotation) in (Union, types.UnionType):
        return set().union(*(_json_bodies(member) for member in get_args(annotation)))
    if get_origin(annotation) is Json:
        return {get_args(annotation)[0]}
    return set()


def _declared_models(op: Op) -> set[Any]:
    """The response types of responses.py the declaration promises (its JSON answers)."""
    names = {op.out, *(out for _, out in op.also.values())} - {None, *MEDIA_KINDS}
    return {getattr(responses, str(name)) for name in names}


def test_every_json_handler_returns_its_declared_response_type() -> None:
    """A route answering a model of responses.py returns `Json[that model]`: mypy checks the
    body the handler builds against the type the document is made of."""
    assert set(HANDLERS) == set(DECLARED)
    mismatched = {}
    for key, op in DECLARED.items():
        declared = _declared_models(op)
        if not declared:  # pages, files, redirects, streams and empty answers
            continue
        returned = _json_bodies(get_type_hints(HANDLERS[key])["return"])
        if returned != declared:
            mismatched[key] = (sorted(m.__name__ for m in declared),
                               sorted(getattr(m, "__name__", str(m)) for m in returned))
    assert mismatched == {}


def test_a_handler_typed_with_another_model_is_caught() -> None:
    def wrong() -> Json[responses.Plans]:
        raise NotImplementedError

    def untyped() -> Any:
        raise NotImplementedError

    assert _json_bodies(get_type_hints(wrong)["return"]) == {responses.Plans}
    assert _json_bodies(get_type_hints(untyped)["return"]) == set()
    assert _declared_models(Op("", "", "Health", also={503: ("", "Health"), 303: ("", "redirect")})
                            ) == {responses.Health}
