"""My List and thumbs in a real browser (Playwright driving Debian's Chromium): a title added
from a card on the home page shows in the home page's My List row, and a thumbs up on the
title page stays pressed after a reload. Screenshots go to ``.local/artifacts/browser/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.services import Services
from tests.integration.chalicelib.web.test_browser import (  # the module's fixtures
    browser,
    make_title,
    page,
    register_in_page,
    shot,
)
from tests.support import unique

__all__ = ["browser", "page"]
pytestmark = pytest.mark.integration
ASSET = {"asset_id": "d" * 32, "manifest": "media/x/manifest.mpd", "duration_s": 600.0}


def test_a_title_added_from_a_card_is_in_my_list_and_a_thumb_stays(
        browser: Browser, page: Page, api_url: str, catalogue_services: Services) -> None:
    name = f"Listable {unique('')}"
    title_id = make_title(catalogue_services, name)
    assert attach_asset(title_id, ASSET)
    for n in range(60):  # the most played title of all: a card in the home page's trending row
        catalogue_services.trending.record_play(title_id, viewer=f"fan-{n}-{title_id}")
    register_in_page(page, api_url)

    page.goto(f"{api_url}/")
    add = page.get_by_role("button", name=f"Add {name} to My List").first
    add.click()
    expect(page.get_by_role("button", name=f"Remove {name} from My List").first).to_be_visible(
        timeout=30_000)
    page.reload()
    row = page.locator("#my-list")
    expect(row.locator(f'a[href="/titles/{title_id}"]')).to_be_visible(timeout=30_000)
    shot(page, "my-list-home-row")

    page.goto(f"{api_url}/titles/{title_id}")
    picks = page.locator("#picks")
    expect(picks.get_by_role("button", name=f"Remove {name} from My List")).to_be_visible()
    up = picks.get_by_role("button", name="Thumbs up")
    expect(up).to_have_attribute("aria-pressed", "false")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true", timeout=30_000)
    page.reload()
    expect(page.locator("#picks").get_by_role("button", name="Thumbs up")).to_have_attribute(
        "aria-pressed", "true")
    shot(page, "thumbs-up-title-page")

    # without JavaScript's help the same forms work: taking it out of the list posts and
    # comes back to the title page
    page.locator("#picks form.list-toggle").evaluate("form => form.submit()")
    page.wait_for_url(f"{api_url}/titles/{title_id}")
    expect(page.locator("#picks").get_by_role(
        "button", name=f"Add {name} to My List")).to_be_visible()


def test_search_as_you_type_cards_have_the_list_toggle(
        browser: Browser, page: Page, api_url: str, catalogue_services: Services) -> None:
    """Live results (drawn by search.js, not the server) carry the same toggle as the
    server's cards, and a card drawn after a change shows the list as it is now."""
    name = f"Searchable {unique('')}"
    title_id = make_title(catalogue_services, name)
    catalogue_services.catalogue_indexer.rebuild()  # as an import does after writing titles
    register_in_page(page, api_url)

    page.goto(f"{api_url}/search")
    box = page.get_by_label("Title, person or genre")
    box.press_sequentially(name, delay=20)
    page.locator("#search-status", has_text=f"for “{name}”").wait_for(timeout=30_000)
    results = page.locator("#results")
    results.get_by_role("button", name=f"Add {name} to My List").click()
    expect(results.get_by_role("button", name=f"Remove {name} from My List")).to_be_visible(
        timeout=30_000)
    kept = page.request.get(f"{api_url}/api/me/list").json()
    assert [t["id"] for t in kept["titles"]] == [title_id]
    shot(page, "search-live-my-list")

    # typed again: the cards are drawn anew, and know the title is in the list now
    box.fill("")
    box.press_sequentially(name, delay=20)
    page.locator("#search-status", has_text=f"for “{name}”").wait_for(timeout=30_000)
    again = results.get_by_role("button", name=f"Remove {name} from My List")
    expect(again).to_be_visible(timeout=30_000)
    again.click()
    expect(results.get_by_role("button", name=f"Add {name} to My List")).to_be_visible(
        timeout=30_000)
    assert page.request.get(f"{api_url}/api/me/list").json()["titles"] == []

    # the server's own page of the same search agrees
    page.goto(f"{api_url}/search?q={name.replace(' ', '+')}")
    expect(page.locator("#results").get_by_role(
        "button", name=f"Add {name} to My List")).to_be_visible()
