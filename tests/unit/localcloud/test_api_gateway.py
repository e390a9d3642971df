"""The local API server answers unknown routes with the gateway responses AWS is given."""

from __future__ import annotations

import json

from chalice.app import Chalice
from chalice.config import Config

from infra.gateway_responses import load
from localcloud.api_gateway import GatewayWithResponses


def gateway() -> GatewayWithResponses:
    app = Chalice(app_name="gateway-test")

    @app.route("/known")
    def known() -> dict[str, bool]:
        return {"ok": True}

    return GatewayWithResponses(app, Config(), load())


def test_an_unknown_path_is_a_page_not_found_for_a_browser() -> None:
    answer = gateway().handle_request("GET", "/no/such/page", {
        "accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, None)
    assert answer["statusCode"] == 404
    assert answer["headers"]["Content-Type"].startswith("text/html")
    page = answer["body"].decode()
    assert "<h1>Page not found</h1>" in page and 'href="/"' in page
    assert "Missing Authentication Token" not in page


def test_an_unknown_path_is_a_json_404_in_the_apis_shape_for_a_client() -> None:
    answer = gateway().handle_request("GET", "/api/nothing", {"accept": "*/*"}, None)
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "not_found"
    assert answer["headers"]["Cache-Control"] == "no-store"


def test_known_routes_are_chalices_own() -> None:
    answer = gateway().handle_request("GET", "/known", {"accept": "*/*"}, None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"ok": True}
