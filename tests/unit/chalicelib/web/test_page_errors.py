"""Page errors: a visitor sent to log in comes back to the page they asked for."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalice.app import Chalice
from chalice.test import Client

from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import install_middleware
from chalicelib.web.errors import page_error

HTML = {"accept": "text/html"}


def make_app() -> Chalice:
    app = Chalice(app_name="page-errors-test")
    install_middleware(app, html_errors=page_error)

    @app.route("/watch/{title_id}")
    def watch(title_id: str) -> object:
        raise catalogued("not_authenticated")

    return app


def next_of(location: str) -> str:
    parsed = urlsplit(location)
    assert parsed.path == "/login"
    return parse_qs(parsed.query)["next"][0]


def test_the_login_redirect_keeps_the_path_not_the_route_template() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/watch/tt0068646", headers=HTML)
    assert response.status_code == 303
    assert next_of(response.headers["Location"]) == "/watch/tt0068646"


def test_the_login_redirect_keeps_the_query() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/watch/s-1?episode=s-1-e2&t=95", headers=HTML)
    assert next_of(response.headers["Location"]) == "/watch/s-1?episode=s-1-e2&t=95"


def test_ids_are_quoted_back_into_the_path() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/watch/a%20b", headers=HTML)
    assert next_of(response.headers["Location"]) == "/watch/a%20b"


def test_an_api_client_gets_json_not_a_redirect() -> None:
    with Client(make_app()) as client:
        response = client.http.get("/watch/x", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "not_authenticated"
