"""Helpers: subscribe through the API and approve on the local PayPal's page, as a user does."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.auth_client import Account, register


def subscribe(api_url: str, account: Account, plan: str = "standard") -> dict[str, Any]:
    response = httpx.post(f"{api_url}/api/subscriptions", json={"plan": plan},
                          headers=account.bearer, timeout=30)
    assert response.status_code == 201, response.text
    return dict(response.json())


def approve(created: dict[str, Any]) -> None:
    """What a subscriber does on PayPal's page: look at it, then agree."""
    page = httpx.get(created["approve_url"], timeout=30)
    assert page.status_code == 200 and "Agree and subscribe" in page.text
    response = httpx.post(created["approve_url"].split("?")[0], timeout=30,
                          data={"subscription_id": created["subscription_id"]})
    assert response.status_code == 302, response.text
    assert "/account?subscribed=1" in response.headers["location"]


def subscriber(api_url: str) -> tuple[Account, str]:
    account = register(api_url)
    created = subscribe(api_url, account)
    approve(created)
    return account, created["subscription_id"]
