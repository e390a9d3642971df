"""An address no route has: a 404 page of the site, or a 404 in the API's shape (issue 21
item 3), from the local API server as from API Gateway's configured gateway response."""

from __future__ import annotations

import httpx
import pytest

from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.services import Services
from tests.integration.auth_client import register
from tests.support import unique

pytestmark = pytest.mark.integration


def test_a_mistyped_address_is_a_branded_page_not_found(api_url: str) -> None:
    answer = httpx.get(f"{api_url}/browze", headers={"Accept": "text/html"}, timeout=20)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in answer.text
    assert 'href="/browse"' in answer.text and "Missing Authentication Token" not in answer.text


def test_an_unknown_api_route_is_a_json_404(api_url: str) -> None:
    answer = httpx.get(f"{api_url}/api/nothing/here", timeout=20)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_known_routes_still_answer(api_url: str) -> None:
    assert httpx.get(f"{api_url}/health", timeout=20).status_code == 200


def page(api_url: str, path: str, token: str | None = None) -> httpx.Response:
    cookies = {"notflix_session": token} if token else None
    return httpx.get(f"{api_url}{path}", headers={"Accept": "text/html"}, cookies=cookies,
                     timeout=20, follow_redirects=False)


def test_an_error_page_shows_a_logged_in_user_their_navigation(api_url: str) -> None:
    account = register(api_url)
    missing = page(api_url, "/titles/no-such-title", account.token)
    assert missing.status_code == 404
    assert "Log out" in missing.text and 'href="/login"' not in missing.text
    visitor = page(api_url, "/titles/no-such-title")
    assert 'href="/login"' in visitor.text and "Log out" not in visitor.text


def test_a_season_the_series_does_not_have_is_a_404_with_the_way_back(
        api_url: str, catalogue_services: Services) -> None:
    series_id = unique("s-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=series_id, kind="series", name="Two Seasons", source="generated", year=2025,
        seasons=(Season(number=1, name="One", episode_count=1, episodes=(Episode(1, "A"),)),
                 Season(number=2, name="Two", episode_count=1, episodes=(Episode(1, "B"),))))])
    assert page(api_url, f"/titles/{series_id}?season=2").status_code == 200
    for wrong in ("9", "x"):
        answer = page(api_url, f"/titles/{series_id}?season={wrong}")
        assert answer.status_code == 404  # never season 1 shown as if it were season 9
        assert f"This title has no season {wrong}." in answer.text
        assert f'href="/titles/{series_id}"' in answer.text
