"""Dependency outages become a 503 naming the dependency; other failures stay a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from chalice.app import Chalice, Request, Response
from chalice.test import Client
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pynamodb.exceptions import GetError

from chalicelib.platform.errors import AppError
from chalicelib.platform.http import install_middleware, json_response
from chalicelib.platform.outages import RETRY_AFTER_SECONDS, classify


def _pynamodb_get_error() -> GetError:
    try:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    except EndpointConnectionError as cause:
        return GetError("Failed to get item", cause)


@pytest.mark.parametrize(("exc", "name"), [
    (redis.ConnectionError("Error 111 connecting"), "redis"),
    (redis.TimeoutError("Timeout reading from socket"), "redis"),
    (redis.BusyLoadingError("loading the dataset"), "redis"),
    (ServiceUnavailable("Couldn't connect"), "neo4j"),
    (SessionExpired("gone"), "neo4j"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"), "aws"),
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"), "aws"),
    (_pynamodb_get_error(), "aws"),
])
def test_connection_failures_name_their_dependency(exc: Exception, name: str) -> None:
    found = classify(exc)
    assert found is not None and found.name == name


@pytest.mark.parametrize("exc", [
    RuntimeError("bug"), KeyError("x"), redis.ResponseError("WRONGTYPE"),
    GetError("Failed to get item", RuntimeError("no table")), None,
])
def test_other_failures_are_not_outages(exc: Exception | None) -> None:
    assert classify(exc) is None


def _page_errors(request: Request, error: AppError) -> Response | None:
    if "text/html" not in str(request.headers.get("accept", "")):
        return None
    return Response(body=f"<p>{error.message}</p>", status_code=error.status,
                    headers={"Content-Type": "text/html"})


def make_app() -> Chalice:
    app = Chalice(app_name="outage-test")
    install_middleware(app, html_errors=_page_errors)

    @app.route("/sessions")
    def sessions() -> object:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    @app.route("/titles")
    def titles() -> object:
        raise _pynamodb_get_error()

    @app.route("/bug")
    def bug() -> object:
        raise RuntimeError("not an outage")

    @app.route("/ok")
    def ok() -> object:
        return json_response({"ok": True})

    return app


def test_a_view_that_meets_an_outage_answers_503_with_retry_after() -> None:
    with Client(make_app()) as client:
        redis_down = client.http.get("/sessions")
        aws_down = client.http.get("/titles")
    for response, name in ((redis_down, "redis"), (aws_down, "aws")):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        error = json.loads(response.body)["error"]
        assert error["code"] == "service_unavailable" and error["dependency"] == name
        assert "try again" in error["message"]
    assert "Redis" in json.loads(redis_down.body)["error"]["message"]


def test_a_page_meets_the_same_503_with_retry_after() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/sessions", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"Redis" in response.body


def test_an_earlier_outage_does_not_colour_a_later_bug_or_success() -> None:
    with Client(make_app()) as client:
        assert client.http.get("/sessions").status_code == 503
        assert client.http.get("/bug").status_code == 500
        assert client.http.get("/ok").status_code == 200
        assert client.http.get("/bug").status_code == 500


def test_a_services_own_503_for_an_outage_is_named_too() -> None:
    app = Chalice(app_name="outage-named-test")
    install_middleware(app)

    @app.route("/guarded")
    def guarded() -> object:
        try:
            raise redis.ConnectionError("Connection refused")
        except redis.RedisError as exc:
            raise AppError("A service we depend on is unavailable", status=503,
                           code="service_unavailable") from exc

    with Client(app) as client:
        response = client.http.get("/guarded")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(response.body)["error"]["dependency"] == "redis"


def test_page_rows_after_an_outage_are_left_out_without_waiting_again() -> None:
    from chalicelib.web.pages import _Rows

    tried: list[str] = []

    def row(name: str, fails: Exception | None = None) -> Callable[[], list[dict[str, Any]]]:
        def work() -> list[dict[str, Any]]:
            tried.append(name)
            if fails is not None:
                raise fails
            return [{"id": name}]
        return work

    rows = _Rows()
    assert rows.fill("bug", row("bug", KeyError("x"))) == []  # a bug: the next row still tries
    assert rows.fill("first", row("first")) == [{"id": "first"}]
    assert rows.fill("down", row("down", _pynamodb_get_error())) == []
    assert rows.fill("after", row("after")) == []
    assert tried == ["bug", "first", "down"]
