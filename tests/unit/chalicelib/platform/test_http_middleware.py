from __future__ import annotations

import json

from chalice.app import Chalice
from chalice.test import Client

from chalicelib.platform.errors import AppError, NotFound
from chalicelib.platform.http import install_middleware, json_response


def make_app() -> Chalice:
    app = Chalice(app_name="middleware-test")
    install_middleware(app)

    @app.route("/ok")
    def ok() -> object:
        return json_response({"ok": True})

    @app.route("/missing")
    def missing() -> object:
        raise NotFound("No title with id 42")

    @app.route("/throttled")
    def throttled() -> object:
        raise AppError("Slow down", code="rate_limited", status=429,
                       headers={"Retry-After": "30"})

    @app.route("/boom")
    def boom() -> object:
        raise RuntimeError("database password is hunter2")

    return app


def test_app_errors_become_json_with_their_status() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/missing")
    assert response.status_code == 404
    assert json.loads(response.body) == {
        "error": {"code": "not_found", "message": "No title with id 42"}}


def test_error_headers_are_kept() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/throttled")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"


def test_unexpected_errors_are_500_json_without_internals() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/boom", headers={"X-Request-Id": "req-0000abcd"})
    assert response.status_code == 500
    body = json.loads(response.body)
    assert body["error"]["code"] == "internal_error"
    assert body["error"]["request_id"] == "req-0000abcd"
    assert "hunter2" not in response.body.decode()


def test_every_response_carries_a_request_id() -> None:
    with Client(make_app()) as client:
        generated = client.http.get("/ok").headers["X-Request-Id"]
        rejected = client.http.get("/ok", headers={"X-Request-Id": "bad id\n"})
    assert len(generated) >= 8
    assert rejected.headers["X-Request-Id"] != "bad id\n"
