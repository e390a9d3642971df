"""Profiles in a real browser: manage them, pick one after login, switch from the
navigation; a kids profile's pages hold only what its ceiling lets through."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.services import Services
from tests.integration.auth_client import STRONG_PASSWORD
from tests.integration.chalicelib.web.test_browser import shot, subscribe_in_page
from tests.support import unique

pytestmark = pytest.mark.integration


def test_add_profiles_pick_one_after_login_and_a_kids_profile_sees_only_its_titles(
        page: Page, api_url: str, catalogue_services: Services) -> None:
    ns = unique("bp")
    genre = f"Genre {ns}"
    catalogue_services.catalogue_writer.upsert([
        TitleRecord(id=f"{ns}-r", kind="film", name=f"Grim {ns}", source="generated",
                    genres=(genre,), maturity="R"),
        TitleRecord(id=f"{ns}-g", kind="film", name=f"Sunny {ns}", source="generated",
                    genres=(genre,), maturity="G")])
    subscribe_in_page(page, api_url)

    page.goto(f"{api_url}/profiles/manage")
    add = page.locator("form.profile-new")
    add.get_by_label("Name").fill("Little One")
    add.get_by_label("Kids profile").check()
    add.get_by_label("Up to").select_option("G")
    add.get_by_role("button", name="Add profile").click()
    page.wait_for_url(lambda url: url.endswith("/profiles/manage"))
    add = page.locator("form.profile-new")
    add.get_by_label("Name").fill("Grown Up")
    add.get_by_label("PIN (optional, 4 digits)").fill("1234")
    add.get_by_role("button", name="Add profile").click()
    page.wait_for_url(lambda url: url.endswith("/profiles/manage"))
    assert page.locator("form.profile-edit").count() == 3
    shot(page, "profiles-manage")

    # log out and in again: the picker asks who is watching
    account_email = _account_email(page, api_url)
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{api_url}/login")
    page.get_by_label("Email").fill(account_email)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/profiles" in url)
    assert page.get_by_role("heading", name="Who's watching?").is_visible()
    shot(page, "profiles-picker")

    # a locked profile wants its PIN: a wrong one says so on the picker
    locked = page.locator("li", has=page.locator(".profile-choice", has_text="Grown Up"))
    locked.get_by_label("PIN").fill("9999")
    locked.locator(".profile-choice").click()
    page.wait_for_selector("text=That PIN is not this profile's.")
    page.locator(".profile-choice", has_text="Little One").click()
    page.wait_for_url(lambda url: url.rstrip("/") == api_url)
    switch = page.locator("a.profile-switch")
    assert "Little One" in switch.inner_text()
    assert page.get_by_role("link", name="Account").count() == 0  # not for a kids profile

    page.goto(f"{api_url}/browse?genre={genre}")
    assert page.get_by_text(f"Sunny {ns}").count() >= 1
    assert page.get_by_text(f"Grim {ns}").count() == 0
    response = page.goto(f"{api_url}/titles/{ns}-r")
    assert response is not None and response.status == 403
    assert "rated above" in page.inner_text("main")
    shot(page, "profiles-kids-refused")

    # the switcher leads back to the picker; the PIN opens the grown-up profile
    page.goto(f"{api_url}/")
    page.locator("a.profile-switch").click()
    page.wait_for_url(lambda url: "/profiles" in url)
    locked = page.locator("li", has=page.locator(".profile-choice", has_text="Grown Up"))
    locked.get_by_label("PIN").fill("1234")
    locked.locator(".profile-choice").click()
    page.wait_for_url(lambda url: url.rstrip("/") == api_url)
    assert "Grown Up" in page.locator("a.profile-switch").inner_text()
    page.goto(f"{api_url}/browse?genre={genre}")
    assert page.get_by_text(f"Grim {ns}").count() >= 1
    # the browse page's cards add to this profile's list, and come back to the same page
    page.get_by_role("button", name=f"Add Grim {ns} to My List").click()
    page.get_by_role("button", name=f"Remove Grim {ns} from My List").wait_for()
    page.reload()
    assert page.get_by_role("button", name=f"Remove Grim {ns} from My List").count() == 1


def _account_email(page: Page, api_url: str) -> str:
    found = page.evaluate("u => fetch(u).then(r => r.json())", f"{api_url}/api/me")
    return str(found["email"])
