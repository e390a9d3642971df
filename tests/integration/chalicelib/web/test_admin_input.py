"""The admin pages' query hints are held to their documented range: a 400 page, never a 500
(pages are not checked centrally, so each page checks what it reads)."""

from __future__ import annotations

import httpx
import pytest

from chalicelib.services import Services
from tests.integration.auth_client import register_as

pytestmark = pytest.mark.integration


def test_retention_days_out_of_range_are_a_400_not_a_500(
        api_url: str, catalogue_services: Services) -> None:
    admin = register_as(api_url, catalogue_services, "admin")
    cookies = {"notflix_session": admin.token}
    for days in ("999999999999999999", "3651", "abc", "²"):
        answer = httpx.get(f"{api_url}/admin/retention", params={"days": days},
                           headers={"Accept": "text/html"}, cookies=cookies, timeout=30)
        assert answer.status_code == 400, (days, answer.status_code)
        assert "must be a whole number from 0 to 3650" in answer.text
    ok = httpx.get(f"{api_url}/admin/retention", params={"days": "3650"},
                   headers={"Accept": "text/html"}, cookies=cookies, timeout=30)
    assert ok.status_code == 200 and "What would be deleted" in ok.text


def test_an_overlong_users_cursor_is_no_cursor(api_url: str,
                                               catalogue_services: Services) -> None:
    admin = register_as(api_url, catalogue_services, "admin")
    answer = httpx.get(f"{api_url}/admin", params={"after": "u" * 3000, "q": "x" * 500},
                       headers={"Accept": "text/html"}, timeout=30,
                       cookies={"notflix_session": admin.token})
    assert answer.status_code == 200 and "Users and roles" in answer.text
