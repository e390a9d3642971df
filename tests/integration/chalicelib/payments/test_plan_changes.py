"""Managing a subscription (issue 21 item 4): change plan through PayPal's plan revision,
cancel, and restart before the paid time ends; with the local PayPal, as a subscriber does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localcloud.paypal_sim.server import FakePayPal
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscriber

pytestmark = pytest.mark.integration


def me(api_url: str, account: Account) -> dict[str, Any]:
    return dict(httpx.get(f"{api_url}/api/me", headers=account.bearer, timeout=30).json())


def post(api_url: str, path: str, account: Account, **body: str) -> httpx.Response:
    return httpx.post(f"{api_url}{path}", json=body or None, headers=account.bearer, timeout=30)


def agree(approve_url: str, subscription_id: str, revision: bool = False) -> str:
    """Agree on the local PayPal's page; where it sends the subscriber back."""
    page = httpx.get(approve_url, timeout=30)
    assert page.status_code == 200, page.text
    form = {"subscription_id": subscription_id, **({"revision": "1"} if revision else {})}
    answer = httpx.post(approve_url.split("?")[0], data=form, timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def test_a_subscriber_moves_up_a_plan_through_paypals_revision(api_url: str,
                                                                fake_paypal: FakePayPal) -> None:
    account, subscription_id = subscriber(api_url)  # standard
    asked = post(api_url, "/api/subscriptions/plan", account, plan="premium")
    assert asked.status_code == 200, asked.text
    assert asked.json()["subscription_id"] == subscription_id
    assert me(api_url, account)["subscription"]["plan"] == "standard"  # not before approval
    back = agree(asked.json()["approve_url"], subscription_id, revision=True)
    assert "/account?plan_changed=premium" in back
    status = me(api_url, account)["subscription"]
    assert (status["id"], status["plan"], status["status"]) == (subscription_id, "premium",
                                                                "active")
    requests = httpx.get(f"{fake_paypal.base_url}/_control/requests").json()
    assert any(r["path"].endswith(f"/{subscription_id}/revise") for r in requests)


def test_a_change_to_the_same_plan_or_without_a_subscription_is_refused(api_url: str) -> None:
    account, _ = subscriber(api_url)
    same = post(api_url, "/api/subscriptions/plan", account, plan="standard")
    assert (same.status_code, same.json()["error"]["code"]) == (409, "same_plan")
    unknown = post(api_url, "/api/subscriptions/plan", account, plan="gold")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_plan")
    nobody = register(api_url)
    none = post(api_url, "/api/subscriptions/plan", nobody, plan="premium")
    assert (none.status_code, none.json()["error"]["code"]) == (409, "no_active_subscription")


def test_a_cancelled_subscription_restarts_before_its_paid_time_ends(
        api_url: str, fake_paypal: FakePayPal) -> None:
    account, first = subscriber(api_url)
    early = post(api_url, "/api/subscriptions/restart", account)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "nothing_to_restart")
    assert post(api_url, "/api/subscriptions/cancel", account).status_code == 200
    paid_until = me(api_url, account)["subscription"]["paid_until"]

    restarted = post(api_url, "/api/subscriptions/restart", account)
    assert restarted.status_code == 201, restarted.text
    second = restarted.json()["subscription_id"]
    assert second != first  # PayPal cannot reactivate a cancelled subscription
    assert "/account?restarted=1" in agree(restarted.json()["approve_url"], second)
    status = me(api_url, account)["subscription"]
    assert (status["id"], status["status"], status["plan"]) == (second, "active", "standard")
    assert status["can_watch"] is True
    # nothing paid twice: the new subscription's first payment is when the old one's ends
    payments = httpx.get(f"{api_url}/api/me/payments", headers=account.bearer,
                         timeout=30).json()["payments"]
    assert [p["subscription_id"] for p in payments] == [first]
    # PayPal is asked to start billing the new subscription when the paid time ends
    assert fake_paypal.subscriptions[second]["start_time"] == paid_until
    # cancelled again before that first payment: the time paid under the first stays
    assert post(api_url, "/api/subscriptions/cancel", account).status_code == 200
    again = me(api_url, account)["subscription"]
    assert (again["id"], again["status"], again["paid_until"]) == (second, "cancelled",
                                                                   paid_until)
    assert again["can_watch"] is True


def test_a_failed_account_form_comes_back_as_the_account_page(api_url: str) -> None:
    account = register(api_url)
    answer = httpx.post(f"{api_url}/api/subscriptions/cancel", content=b"", timeout=30,
                        headers={"Accept": "text/html", "Origin": api_url,
                                 "Content-Type": "application/x-www-form-urlencoded",
                                 "Cookie": f"notflix_session={account.token}"})
    assert answer.status_code == 404
    assert "<h1>Your account</h1>" in answer.text
    assert "You have no subscription to cancel." in answer.text
