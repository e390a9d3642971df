"""Playback quality from a real browser: a subscriber clicks Play on a pipeline-encoded
title and the console's report has its start (a video start time, the rendition watched);
a viewer who leaves before the first frame (its segments held back) is an exit before video
start. Both read the admin's report before and after, so other plays never matter."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route

from chalicelib.services import Services
from tests.integration.auth_client import Account, register_as
from tests.integration.chalicelib.web.test_browser import shot, subscribe_in_page
from tests.support import eventually

pytestmark = pytest.mark.integration
COUNTED = ("plays", "starts", "exits_before_start", "start_failures", "watch_ms")


def title_counts(api_url: str, admin: Account, title_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{api_url}/api/admin/playback?days=1", headers=admin.bearer,
                       timeout=30)
    assert answer.status_code == 200, answer.text
    rows = [r for r in answer.json()["titles"] if r["title_id"] == title_id]
    return rows[0] if rows else {k: 0 for k in COUNTED}


def counted(api_url: str, admin: Account, title_id: str, counter: str,
            before: dict[str, Any]) -> dict[str, Any]:
    """The title's row once ``counter`` is one more than ``before``'s."""
    def reported() -> dict[str, Any] | None:
        row = title_counts(api_url, admin, title_id)
        return row if row[counter] == before[counter] + 1 else None

    return eventually(reported, timeout=60, interval=1.0)


@pytest.fixture(scope="module")
def admin(api_url: str, catalogue_services: Services) -> Account:
    return register_as(api_url, catalogue_services, "admin")


def test_a_play_from_the_title_page_reports_its_start_and_rendition(
        page: Page, api_url: str, encoded_title: str, admin: Account) -> None:
    subscribe_in_page(page, api_url)
    before = title_counts(api_url, admin, encoded_title)
    page.goto(f"{api_url}/titles/{encoded_title}")
    page.get_by_role("link", name="Play").click()
    page.wait_for_url(f"{api_url}/watch/{encoded_title}")
    page.wait_for_function("() => document.getElementById('video').dataset.qoeStart",
                           timeout=90_000)
    start_ms = int(page.evaluate("() => document.getElementById('video').dataset.qoeStart"))
    assert 0 < start_ms < 90_000
    page.wait_for_function("() => document.getElementById('video').currentTime > 3",
                           timeout=60_000)
    shot(page, "quality-playing")
    granted = page.evaluate(
        "() => JSON.parse(document.getElementById('video').dataset.renditions).map(r => r.name)")
    page.goto(f"{api_url}/")  # pagehide: the last batch goes as a beacon

    def reported() -> dict[str, Any] | None:
        row = title_counts(api_url, admin, encoded_title)
        done = (row["starts"] == before["starts"] + 1 and row["watch_ms"] > before["watch_ms"])
        return row if done else None

    row = eventually(reported, timeout=60, interval=1.0)
    assert row["plays"] == before["plays"] + 1
    assert row["exits_before_start"] == before["exits_before_start"]
    assert row["video_start_p50_ms"] and row["video_start_p50_ms"] > 0
    # named as the grant names the encoder's rungs, never "other"
    assert row["most_watched_rendition"] in granted, (row, granted)
    page.context.clear_cookies()  # the admin's page, in the admin's own session
    page.goto(f"{api_url}/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{api_url}/admin/playback")
    assert page.get_by_role("heading", name="Playback quality").is_visible()
    assert page.locator("#by-title", has_text="Browser Test Film").count() == 1
    shot(page, "quality-console")


class HeldStreams:
    """A watch page whose stream files (all but the manifest) are held unanswered, so no
    frame can come, until released."""

    def __init__(self, page: Page, api_url: str, title_id: str) -> None:
        self.held: list[Route] = []
        self.released = False
        page.route("**/stream/**", self._hold)
        # the poster and tracks are held too: the page never reaches "load"
        page.goto(f"{api_url}/watch/{title_id}", wait_until="domcontentloaded")
        page.wait_for_function("() => window.notflixPlayer !== undefined", timeout=30_000)
        page.wait_for_timeout(1500)

    def _hold(self, route: Route) -> None:
        if self.released or route.request.url.endswith("/manifest.mpd"):
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.held:
            route.continue_()


def test_leaving_before_the_first_frame_is_an_exit_before_video_start(
        page: Page, api_url: str, encoded_title: str, admin: Account) -> None:
    subscribe_in_page(page, api_url)
    before = title_counts(api_url, admin, encoded_title)
    HeldStreams(page, api_url, encoded_title)
    assert not page.evaluate("() => document.getElementById('video').dataset.qoeStart")
    page.goto(f"{api_url}/")
    row = counted(api_url, admin, encoded_title, "exits_before_start", before)
    assert row["plays"] == before["plays"] + 1
    assert row["starts"] == before["starts"]


def test_a_tab_hidden_before_the_first_frame_still_reports_the_start(
        page: Page, api_url: str, encoded_title: str, admin: Account) -> None:
    """Hiding the page (another tab, a phone's home button) sends what there is but is no
    exit: the viewer may come back, and the start that follows counts."""
    subscribe_in_page(page, api_url)
    before = title_counts(api_url, admin, encoded_title)
    streams = HeldStreams(page, api_url, encoded_title)
    page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", {configurable: true,
                                                            get: () => "hidden"});
        document.dispatchEvent(new Event("visibilitychange"));
        delete document.visibilityState;
    }""")
    streams.release()
    page.wait_for_function("() => document.getElementById('video').dataset.qoeStart",
                           timeout=90_000)
    page.goto(f"{api_url}/")
    row = counted(api_url, admin, encoded_title, "starts", before)
    assert row["plays"] == before["plays"] + 1
    assert row["exits_before_start"] == before["exits_before_start"]
