"""Subscriptions, verified PayPal webhooks and the ledger, end to end with the local PayPal."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from localcloud.paypal_sim.server import FakePayPal, signed_delivery
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscribe, subscriber

pytestmark = pytest.mark.integration


def stamp(offset_seconds: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def me(api_url: str, account: Account) -> dict[str, Any]:
    return dict(httpx.get(f"{api_url}/api/me", headers=account.bearer, timeout=30).json())


def payments(api_url: str, account: Account, **params: str) -> dict[str, Any]:
    return dict(httpx.get(f"{api_url}/api/me/payments", headers=account.bearer, params=params,
                          timeout=30).json())


def subscription_resource(subscription_id: str, status: str, update_time: str,
                          account: Account) -> dict[str, Any]:
    return {"id": subscription_id, "status": status, "plan_id": "P-LOCAL-STANDARD",
            "custom_id": account.user["id"], "create_time": update_time,
            "update_time": update_time}


def post_delivery(api_url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{api_url}/webhooks/paypal", content=body, headers=headers, timeout=30)


def test_plans_are_listed(api_url: str) -> None:
    plans = httpx.get(f"{api_url}/api/plans").json()["plans"]
    assert [p["key"] for p in plans] == ["basic", "standard", "premium"]
    assert plans[1] == {"key": "standard", "name": "Standard", "price": "9.99",
                        "currency": "EUR", "interval": "month", "max_quality": "1080p"}


def test_subscribe_approve_and_pay(api_url: str) -> None:
    account, subscription_id = subscriber(api_url)
    status = me(api_url, account)["subscription"]
    assert status["id"] == subscription_id
    assert status["status"] == "active" and status["can_watch"] is True
    assert status["plan"] == "standard"
    assert status["last_payment_at"] < status["paid_until"]
    (payment,) = payments(api_url, account)["payments"]
    assert (payment["amount"], payment["currency"], payment["kind"]) == ("9.99", "EUR",
                                                                         "payment")


def test_one_event_replayed_ten_times_makes_one_ledger_entry(
    api_url: str, fake_paypal: FakePayPal
) -> None:
    account, subscription_id = subscriber(api_url)
    sale = {"id": f"SALE-{uuid.uuid4().hex[:10]}", "state": "completed",
            "amount": {"total": "9.99", "currency": "EUR"},
            "billing_agreement_id": subscription_id, "create_time": stamp(),
            "update_time": stamp()}
    delivery = fake_paypal.send_event("PAYMENT.SALE.COMPLETED", sale, "sale")
    assert delivery["status"] == 200
    for _ in range(10):
        assert post_delivery(api_url, delivery["body"], delivery["headers"]).status_code == 200
    ids = [p["id"] for p in payments(api_url, account)["payments"]]
    assert ids.count(sale["id"]) == 1


def test_an_older_event_never_overwrites_a_newer_state(
    api_url: str, fake_paypal: FakePayPal
) -> None:
    account, subscription_id = subscriber(api_url)
    newer, older = stamp(60), stamp(30)
    fake_paypal.send_event("BILLING.SUBSCRIPTION.SUSPENDED",
                           subscription_resource(subscription_id, "SUSPENDED", newer, account),
                           "subscription")
    late = fake_paypal.send_event("BILLING.SUBSCRIPTION.ACTIVATED",
                                  subscription_resource(subscription_id, "ACTIVE", older,
                                                        account), "subscription")
    assert late["status"] == 200
    status = me(api_url, account)["subscription"]
    assert status["status"] == "suspended" and status["can_watch"] is False


def test_payment_then_refund(api_url: str, fake_paypal: FakePayPal) -> None:
    account, _ = subscriber(api_url)
    (payment,) = payments(api_url, account)["payments"]
    fake_paypal.refund(payment["id"])
    entries = {e["kind"]: e for e in payments(api_url, account)["payments"]}
    assert set(entries) == {"payment", "refund"}
    assert entries["refund"]["amount"] == "-9.99"
    assert entries["payment"]["status"] == "refunded"
    status = me(api_url, account)["subscription"]
    assert status["paid_until"] <= datetime.now(UTC).isoformat()


def test_suspension_after_a_failed_payment(api_url: str, fake_paypal: FakePayPal) -> None:
    account, subscription_id = subscriber(api_url)
    failed = subscription_resource(subscription_id, "ACTIVE", stamp(5), account)
    failed["billing_info"] = {"last_failed_payment": {
        "amount": {"currency_code": "EUR", "value": "9.99"}, "time": stamp(5)}}
    fake_paypal.send_event("BILLING.SUBSCRIPTION.PAYMENT.FAILED", failed, "subscription")
    fake_paypal.send_event("BILLING.SUBSCRIPTION.SUSPENDED",
                           subscription_resource(subscription_id, "SUSPENDED", stamp(10),
                                                 account), "subscription")
    status = me(api_url, account)["subscription"]
    assert status["status"] == "suspended" and status["can_watch"] is False
    kinds = [p["kind"] for p in payments(api_url, account)["payments"]]
    assert "failed" in kinds


def test_cancel_through_the_api_keeps_the_paid_period(
    api_url: str, fake_paypal: FakePayPal
) -> None:
    account, subscription_id = subscriber(api_url)
    response = httpx.post(f"{api_url}/api/subscriptions/cancel", headers=account.bearer,
                          timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    status = me(api_url, account)["subscription"]
    assert status["status"] == "cancelled" and status["can_watch"] is True
    again = httpx.post(f"{api_url}/api/subscriptions/cancel", headers=account.bearer)
    assert again.status_code == 404
    requests = httpx.get(f"{fake_paypal.base_url}/_control/requests").json()
    assert any(r["path"].endswith(f"/{subscription_id}/cancel") for r in requests)


def test_paypal_5xx_then_success(api_url: str, fake_paypal: FakePayPal) -> None:
    account = register(api_url)
    httpx.post(f"{fake_paypal.base_url}/_control/fail-next", json={"count": 2, "status": 503})
    created = subscribe(api_url, account)
    requests = httpx.get(f"{fake_paypal.base_url}/_control/requests").json()
    creations = [r for r in requests if r["method"] == "POST"
                 and r["path"] == "/v1/billing/subscriptions"][-3:]
    assert len({r["request_id"] for r in creations}) == 1
    assert created["subscription_id"].startswith("I-")


def forged(fake_paypal: FakePayPal, event: dict[str, Any], **kwargs: Any) -> tuple[bytes,
                                                                                  dict[str, str]]:
    return signed_delivery(event, webhook_id=fake_paypal.webhook_id,
                           cert_url=kwargs.pop("cert_url",
                                               f"{fake_paypal.base_url}/certs/webhook-chain.pem"),
                           pki=fake_paypal.pki, **kwargs)


def event(event_type: str = "BILLING.SUBSCRIPTION.CANCELLED") -> dict[str, Any]:
    return {"id": f"WH-{uuid.uuid4().hex[:12]}", "event_version": "1.0",
            "create_time": stamp(), "resource_type": "subscription", "event_type": event_type,
            "resource": {"id": "I-NOBODY", "status": "CANCELLED", "update_time": stamp()}}


def test_forged_tampered_unlisted_and_stale_webhooks_are_refused(
    api_url: str, fake_paypal: FakePayPal
) -> None:
    account, subscription_id = subscriber(api_url)
    cancel = event()
    cancel["resource"] = subscription_resource(subscription_id, "CANCELLED", stamp(30), account)
    body, headers = forged(fake_paypal, cancel)
    tampered = body.replace(b"CANCELLED", b"EXPIRED")
    assert post_delivery(api_url, tampered, headers).status_code == 401
    bad_sig = {**headers, "PAYPAL-TRANSMISSION-SIG": headers["PAYPAL-TRANSMISSION-SIG"][::-1]}
    assert post_delivery(api_url, body, bad_sig).status_code == 401
    unlisted_body, unlisted = forged(fake_paypal, cancel,
                                     cert_url="https://evil.example/webhook-chain.pem")
    assert post_delivery(api_url, unlisted_body, unlisted).status_code == 401
    stale_body, stale = forged(fake_paypal, cancel, transmission_time=stamp(-600))
    assert post_delivery(api_url, stale_body, stale).status_code == 401
    missing = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-SIG"}
    response = post_delivery(api_url, body, missing)
    assert response.status_code == 400 and "paypal-transmission-sig" in response.text
    assert me(api_url, account)["subscription"]["status"] == "active"  # nothing changed
    assert post_delivery(api_url, body, headers).status_code == 200
    assert me(api_url, account)["subscription"]["status"] == "cancelled"


def test_an_unknown_event_type_is_acknowledged(api_url: str, fake_paypal: FakePayPal) -> None:
    delivery = fake_paypal.send_event("CUSTOMER.DISPUTE.CREATED", {"id": "PP-D-1"}, "dispute")
    assert delivery["status"] == 200
    body, headers = delivery["body"], delivery["headers"]
    assert post_delivery(api_url, body, headers).json() == {"status": "ignored"}


def test_nobody_sees_another_subscribers_payments(api_url: str) -> None:
    alice, _ = subscriber(api_url)
    bob, _ = subscriber(api_url)
    alice_ids = {p["id"] for p in payments(api_url, alice)["payments"]}
    bob_ids = {p["id"] for p in payments(api_url, bob)["payments"]}
    assert alice_ids and bob_ids and not alice_ids & bob_ids
    bad = httpx.get(f"{api_url}/api/me/payments", params={"cursor": "not-a-cursor"},
                    headers=alice.bearer)
    assert bad.status_code == 400
    huge = base64.urlsafe_b64encode(json.dumps({"e": "x" * 5000}).encode()).decode()
    too_long = httpx.get(f"{api_url}/api/me/payments", params={"cursor": huge},
                         headers=alice.bearer)
    assert too_long.status_code == 400


def test_payments_page_with_a_cursor(api_url: str, fake_paypal: FakePayPal) -> None:
    account, subscription_id = subscriber(api_url)
    for offset in (10, 20):
        fake_paypal.send_event("PAYMENT.SALE.COMPLETED", {
            "id": f"SALE-{uuid.uuid4().hex[:10]}", "state": "completed",
            "amount": {"total": "9.99", "currency": "EUR"},
            "billing_agreement_id": subscription_id, "create_time": stamp(offset),
            "update_time": stamp(offset)}, "sale")
    first = payments(api_url, account, limit="2")
    assert len(first["payments"]) == 2 and first["next"]
    second = payments(api_url, account, limit="2", cursor=first["next"])
    assert len(second["payments"]) == 1 and second["next"] is None
    times = [p["occurred_at"] for p in first["payments"] + second["payments"]]
    assert times == sorted(times, reverse=True)
    assert {p["amount"] for p in first["payments"]} == {"9.99"}  # exact decimal strings


def test_cli_simulate_drives_a_subscribers_state(
    api_url: str, stack_env: dict[str, str], settings: Any, paypal_env: dict[str, str]
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    account = register(api_url)
    env = {**stack_env, **paypal_env, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_API_PORT": str(settings.api_port), "COLUMNS": "200"}
    notflix = str(Path(sys.executable).with_name("notflix"))

    def run(event: str) -> str:
        result = subprocess.run([notflix, "paypal", "simulate", "--email", account.email,
                                 "--event", event], env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert "HTTP 200" in run("ACTIVATED")
    assert me(api_url, account)["subscription"]["status"] == "active"
    run("SALE.COMPLETED")
    assert len(payments(api_url, account)["payments"]) == 1
    run("SUSPENDED")
    assert me(api_url, account)["subscription"]["status"] == "suspended"
    bad = subprocess.run([notflix, "paypal", "simulate", "--email", account.email, "--event",
                          "EXPLODED"], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "unknown event" in bad.stdout


def test_paypal_down_is_a_502_and_a_sale_without_id_a_422(
    api_url: str, fake_paypal: FakePayPal
) -> None:
    account = register(api_url)
    httpx.post(f"{fake_paypal.base_url}/_control/fail-next", json={"count": 8, "status": 503})
    try:
        response = httpx.post(f"{api_url}/api/subscriptions", json={"plan": "basic"},
                              headers=account.bearer, timeout=60)
    finally:
        httpx.post(f"{fake_paypal.base_url}/_control/fail-next", json={"count": 0})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_error"
    subscriber_account, subscription_id = subscriber(api_url)
    broken = fake_paypal.send_event("PAYMENT.SALE.COMPLETED", {
        "billing_agreement_id": subscription_id, "amount": {"total": "1", "currency": "EUR"},
        "create_time": stamp()}, "sale")
    assert broken["status"] == 422
    assert len(payments(api_url, subscriber_account)["payments"]) == 1
