"""Subscribing and cancelling, in process against the local PayPal: the refusals made before
PayPal is asked, what is stored from PayPal's answer, and what a cancel keeps."""

from __future__ import annotations

import pytest

from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique
from localcloud.paypal_sim.server import FakePayPal
from tests.unit.chalicelib.payments.local_paypal import (
    active_subscription,
    deliver,
    pending_subscription,
    sale_event,
    stamp,
)

# Outside Lambda the idempotency layer has no remaining time to read; it says so each time.
pytestmark = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time")


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def cancel_requests(paypal: FakePayPal, subscription_id: str) -> list[dict[str, str]]:
    return [r for r in list(paypal.requests)
            if r["method"] == "POST" and r["path"].endswith(f"/{subscription_id}/cancel")]


def test_subscribing_stores_a_pending_subscription_under_paypals_id(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id = unique("payer-")
    created = paying.payments.subscribe(user_id, "ada@example.com", "premium",
                                        request_id=unique("req-"))

    assert created["status"] == "approval_pending"
    assert created["approve_url"].startswith(f"{local_paypal.base_url}/checkoutnow?")
    at_paypal = local_paypal.subscriptions[created["subscription_id"]]
    assert (at_paypal["plan_id"], at_paypal["custom_id"]) == ("P-LOCAL-PREMIUM", user_id)
    current = paying.payments.subscriptions.current_for(user_id)
    assert current is not None
    assert (current.id, current.user_id, current.plan_key, current.status) == (
        created["subscription_id"], user_id, "premium", "approval_pending")
    assert paying.payments.can_watch(user_id) is False


def test_a_retried_subscribe_with_the_same_request_id_makes_one_subscription(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, request_id = unique("payer-"), unique("req-")
    first = paying.payments.subscribe(user_id, "ada@example.com", "standard", request_id)
    known = len(local_paypal.subscriptions)
    again = paying.payments.subscribe(user_id, "ada@example.com", "standard", request_id)

    assert again["subscription_id"] == first["subscription_id"]
    assert len(local_paypal.subscriptions) == known
    current = paying.payments.subscriptions.current_for(user_id)
    assert current is not None and current.id == first["subscription_id"]


def test_an_unknown_plan_is_refused_before_paypal_is_asked(
        paying: Services, local_paypal: FakePayPal) -> None:
    known = len(local_paypal.subscriptions)
    user_id = unique("payer-")
    with pytest.raises(AppError) as refused:
        paying.payments.subscribe(user_id, "ada@example.com", "platinum", unique("req-"))
    assert refusal(refused) == (422, "unknown_plan")
    assert "basic, standard, premium" in refused.value.message
    assert len(local_paypal.subscriptions) == known
    assert paying.payments.status(user_id) is None


def test_an_active_subscriber_cannot_subscribe_again_but_a_pending_one_can(
        paying: Services, local_paypal: FakePayPal) -> None:
    pending_user, first = pending_subscription(paying)
    second = paying.payments.subscribe(pending_user, "ada@example.com", "basic",
                                       unique("req-"))["subscription_id"]
    assert second != first

    active_user, _ = active_subscription(paying, local_paypal)
    known = len(local_paypal.subscriptions)
    with pytest.raises(AppError) as refused:
        paying.payments.subscribe(active_user, "ada@example.com", "premium", unique("req-"))
    assert refusal(refused) == (409, "already_subscribed")
    assert len(local_paypal.subscriptions) == known


def test_paypal_refusing_the_subscription_is_a_502_and_nothing_is_stored(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id = unique("payer-")
    with local_paypal.lock:
        local_paypal.failures = [422]  # a 4xx: not retried
    with pytest.raises(AppError) as refused:
        paying.payments.subscribe(user_id, "ada@example.com", "standard", unique("req-"))
    assert refusal(refused) == (502, "payment_provider_error")
    assert paying.payments.subscriptions.current_for(user_id) is None


def test_cancelling_with_nothing_to_cancel_is_a_404(paying: Services,
                                                     local_paypal: FakePayPal) -> None:
    with pytest.raises(AppError) as nothing:
        paying.payments.cancel(unique("payer-"))
    assert refusal(nothing) == (404, "no_subscription")


def test_cancelling_tells_paypal_once_and_keeps_the_paid_period(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    assert deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED",
                   sale_event(subscription_id, stamp(-60))) == "recorded"

    cancelled = paying.payments.cancel(user_id)

    assert (cancelled.id, cancelled.status) == (subscription_id, "cancelled")
    assert paying.payments.can_watch(user_id) is True  # paid a month ahead
    (request,) = cancel_requests(local_paypal, subscription_id)
    assert request["request_id"] == f"cancel-{subscription_id}"
    with pytest.raises(AppError) as again:
        paying.payments.cancel(user_id)
    assert refusal(again) == (404, "no_subscription")
    assert len(cancel_requests(local_paypal, subscription_id)) == 1


def test_cancelling_an_unpaid_subscription_ends_watching_at_once(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, _ = active_subscription(paying, local_paypal)
    paying.entitlements.require(user_id)  # remembered as entitled

    paying.payments.cancel(user_id)

    assert paying.payments.can_watch(user_id) is False
    with pytest.raises(AppError) as refused:
        paying.entitlements.require(user_id)
    assert refusal(refused) == (402, "subscription_required")


def test_a_pending_subscription_can_be_cancelled(paying: Services,
                                                 local_paypal: FakePayPal) -> None:
    user_id, subscription_id = pending_subscription(paying)
    assert paying.payments.cancel(user_id).status == "cancelled"
    assert len(cancel_requests(local_paypal, subscription_id)) == 1


def test_paypal_failing_the_cancel_is_a_502_and_the_subscription_stays(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    with local_paypal.lock:
        local_paypal.failures = [422]
    with pytest.raises(AppError) as refused:
        paying.payments.cancel(user_id)
    assert refusal(refused) == (502, "payment_provider_error")
    current = paying.payments.subscriptions.get(subscription_id)
    assert current is not None and current.status == "active"
