"""PayPal webhooks applied in process: state transitions, a redelivered event answered from
memory, older events never overwriting newer states, ledger entries written once, refunds
and reversals marking their sale. Deliveries are signed with the local PayPal's certificate
and verified as in production."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.payments.events import add_month
from chalicelib.payments.ledger import Payment
from chalicelib.payments.subscriptions import Subscription
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique
from localcloud.paypal_sim.server import FakePayPal, signed_delivery
from tests.unit.chalicelib.payments.local_paypal import (
    active_subscription,
    canonical,
    deliver,
    pending_subscription,
    sale_event,
    stamp,
    subscription_event,
)

# Outside Lambda the idempotency layer has no remaining time to read; it says so each time.
pytestmark = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time")


def stored(services: Services, subscription_id: str) -> Subscription:
    found = services.payments.subscriptions.get(subscription_id)
    assert found is not None
    return found


def ledger(services: Services, user_id: str) -> list[Payment]:
    entries, _ = services.payments.payments(user_id, None, limit=50)
    return entries


def test_lifecycle_events_move_the_subscription_through_its_states(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = pending_subscription(paying)
    steps = [("BILLING.SUBSCRIPTION.ACTIVATED", "ACTIVE", "active", True),
             ("BILLING.SUBSCRIPTION.SUSPENDED", "SUSPENDED", "suspended", False),
             # UPDATED carries no status of its own: the resource's is taken
             ("BILLING.SUBSCRIPTION.UPDATED", "ACTIVE", "active", True),
             ("BILLING.SUBSCRIPTION.CANCELLED", "CANCELLED", "cancelled", False),
             ("BILLING.SUBSCRIPTION.EXPIRED", "EXPIRED", "expired", False)]
    seen = []
    for offset, (event_type, paypal_status, _, _) in enumerate(steps, start=1):
        outcome = deliver(paying, local_paypal, event_type,
                          subscription_event(subscription_id, paypal_status, stamp(offset)))
        seen.append((outcome, stored(paying, subscription_id).status,
                     paying.payments.can_watch(user_id)))
    assert seen == [("applied", status, watch) for _, _, status, watch in steps]


def test_an_update_changes_the_plan_to_the_one_paypal_names(
        paying: Services, local_paypal: FakePayPal) -> None:
    _, subscription_id = active_subscription(paying, local_paypal, stamp(-10))
    deliver(paying, local_paypal, "BILLING.SUBSCRIPTION.UPDATED",
            subscription_event(subscription_id, "ACTIVE", stamp(), plan_id="P-LOCAL-PREMIUM"))
    assert stored(paying, subscription_id).plan_key == "premium"


def test_an_older_event_never_overwrites_a_newer_state(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal, stamp(-120))
    assert deliver(paying, local_paypal, "BILLING.SUBSCRIPTION.SUSPENDED",
                   subscription_event(subscription_id, "SUSPENDED", stamp(60))) == "applied"

    late = deliver(paying, local_paypal, "BILLING.SUBSCRIPTION.ACTIVATED",
                   subscription_event(subscription_id, "ACTIVE", stamp(30)))

    assert late == "stale"
    assert stored(paying, subscription_id).status == "suspended"
    assert paying.payments.can_watch(user_id) is False


def test_a_redelivered_event_is_answered_from_memory_and_recorded_once(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    sale = sale_event(subscription_id, stamp(-30))
    event_id = unique("WH-")
    outcomes = [deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale,
                        event_id=event_id) for _ in range(3)]
    # the replays return the first delivery's answer: the event is not applied again
    assert outcomes == ["recorded"] * 3
    # the same sale under another event id reaches the ledger, which keeps it once
    assert deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale) == "duplicate"
    assert [p.paypal_id for p in ledger(paying, user_id)] == [sale["id"]]


def test_a_completed_sale_is_a_ledger_entry_and_pays_a_month_ahead(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    paid_at = stamp(-60)
    sale = sale_event(subscription_id, paid_at)
    deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale)

    (entry,) = ledger(paying, user_id)
    assert entry == Payment(sale["id"], subscription_id, "payment", "completed",
                            Decimal("9.99"), "EUR", canonical(paid_at))
    subscription = stored(paying, subscription_id)
    assert subscription.last_payment_at == canonical(paid_at)
    assert subscription.paid_until == add_month(canonical(paid_at))

    # an older sale delivered late is recorded but moves neither date back
    earlier = stamp(-3600)
    deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale_event(subscription_id, earlier))
    assert len(ledger(paying, user_id)) == 2
    after = stored(paying, subscription_id)
    assert (after.last_payment_at, after.paid_until) == (subscription.last_payment_at,
                                                         subscription.paid_until)


def test_a_refund_marks_its_sale_and_ends_the_paid_period(
        paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    sale = sale_event(subscription_id, stamp(-60))
    deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale)
    refunded_at = stamp(-5)
    refund = {"id": unique("REF-"), "state": "completed", "sale_id": sale["id"],
              "amount": {"total": "9.99", "currency": "EUR"}, "create_time": refunded_at,
              "update_time": refunded_at}

    assert deliver(paying, local_paypal, "PAYMENT.SALE.REFUNDED", refund) == "recorded"

    entries = {p.kind: p for p in ledger(paying, user_id)}
    assert set(entries) == {"payment", "refund"}
    assert entries["payment"].status == "refunded"
    assert (entries["refund"].paypal_id, entries["refund"].amount) == (refund["id"],
                                                                       Decimal("-9.99"))
    assert entries["refund"].subscription_id == subscription_id
    assert stored(paying, subscription_id).paid_until == canonical(refunded_at)


def test_a_reversal_marks_its_sale_reversed(paying: Services,
                                            local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    sale = sale_event(subscription_id, stamp(-60))
    deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale)
    reversal = {"id": sale["id"], "state": "reversed", "amount": {"total": "9.99",
                                                                  "currency": "EUR"},
                "update_time": stamp(-1)}
    assert deliver(paying, local_paypal, "PAYMENT.SALE.REVERSED", reversal) == "recorded"
    entries = {p.paypal_id: p for p in ledger(paying, user_id)}
    assert entries[sale["id"]].status == "reversed"
    assert entries[f"{sale['id']}-reversal"].kind == "reversal"
    assert entries[f"{sale['id']}-reversal"].amount == Decimal("-9.99")


def test_a_failed_payment_is_written_to_the_ledger(paying: Services,
                                                   local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    failed_at = stamp(-10)
    resource = subscription_event(subscription_id, "ACTIVE", failed_at)
    resource["billing_info"] = {"last_failed_payment": {
        "amount": {"currency_code": "EUR", "value": "9.99"}, "time": failed_at}}
    assert deliver(paying, local_paypal, "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
                   resource) == "recorded"
    (entry,) = ledger(paying, user_id)
    assert (entry.kind, entry.status, entry.occurred_at) == ("failed", "failed",
                                                             canonical(failed_at))
    assert stored(paying, subscription_id).status == "active"  # PayPal suspends later


def test_the_ledger_pages_newest_first(paying: Services, local_paypal: FakePayPal) -> None:
    user_id, subscription_id = active_subscription(paying, local_paypal)
    sales = [sale_event(subscription_id, stamp(-300 + 60 * n)) for n in range(3)]
    for sale in sales:
        deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED", sale)
    first, cursor = paying.payments.payments(user_id, None, limit=2)
    assert [p.paypal_id for p in first] == [sales[2]["id"], sales[1]["id"]]
    assert cursor is not None
    rest, end = paying.payments.payments(user_id, cursor, limit=2)
    assert [p.paypal_id for p in rest] == [sales[0]["id"]] and end is None
    # another subscriber's ledger is not reached through this user's cursor
    assert paying.payments.payments(unique("payer-"), cursor, limit=2) == ([], None)


def test_events_for_unknown_subscriptions_and_unknown_types_change_nothing(
        paying: Services, local_paypal: FakePayPal) -> None:
    stranger = unique("I-")
    assert deliver(paying, local_paypal, "BILLING.SUBSCRIPTION.ACTIVATED",
                   subscription_event(stranger, "ACTIVE", stamp())) == "unknown_subscription"
    assert paying.payments.subscriptions.get(stranger) is None
    assert deliver(paying, local_paypal, "PAYMENT.SALE.COMPLETED",
                   sale_event(stranger, stamp())) == "unknown_subscription"
    assert deliver(paying, local_paypal, "CUSTOMER.DISPUTE.CREATED",
                   {"id": unique("PP-D-")}) == "ignored"


@pytest.mark.parametrize("resource", [
    None,  # no resource at all
    {"id": "SUB", "status": "ACTIVE", "update_time": "yesterday-ish"},
    {"id": "SUB", "status": "ACTIVE", "update_time": "0001-01-01T00:00:00Z"},
])
def test_a_malformed_event_is_a_422_and_changes_nothing(
        paying: Services, local_paypal: FakePayPal, resource: dict[str, str] | None) -> None:
    _, subscription_id = active_subscription(paying, local_paypal, stamp(-60))
    if resource is not None:
        resource = {**resource, "id": subscription_id}
    event = {"id": unique("WH-"), "event_type": "BILLING.SUBSCRIPTION.CANCELLED",
             "resource": resource}
    body, headers = signed_delivery(event, webhook_id=local_paypal.webhook_id,
                                    cert_url=local_paypal.cert_url, pki=local_paypal.pki)
    with pytest.raises(AppError) as refused:
        paying.payments.receive_webhook(headers, body)
    assert (refused.value.status, refused.value.code) == (422, "webhook_malformed")
    assert stored(paying, subscription_id).status == "active"


def test_an_event_without_an_id_is_refused(paying: Services,
                                           local_paypal: FakePayPal) -> None:
    event = {"event_type": "BILLING.SUBSCRIPTION.CANCELLED", "resource": {"id": "I-X"}}
    body, headers = signed_delivery(event, webhook_id=local_paypal.webhook_id,
                                    cert_url=local_paypal.cert_url, pki=local_paypal.pki)
    with pytest.raises(AppError) as refused:
        paying.payments.receive_webhook(headers, body)
    assert (refused.value.status, refused.value.code) == (400, "webhook_malformed")


def test_a_tampered_delivery_is_refused_before_anything_changes(
        paying: Services, local_paypal: FakePayPal) -> None:
    _, subscription_id = active_subscription(paying, local_paypal, stamp(-60))
    event = {"id": unique("WH-"), "event_type": "BILLING.SUBSCRIPTION.CANCELLED",
             "resource": subscription_event(subscription_id, "CANCELLED", stamp())}
    body, headers = signed_delivery(event, webhook_id=local_paypal.webhook_id,
                                    cert_url=local_paypal.cert_url, pki=local_paypal.pki)
    with pytest.raises(AppError) as refused:
        paying.payments.receive_webhook(headers, body.replace(b"CANCELLED", b"EXPIRED"))
    assert (refused.value.status, refused.value.code) == (401, "webhook_rejected")
    assert stored(paying, subscription_id).status == "active"
    # the genuine delivery still goes through: the refusal was not remembered as handled
    assert paying.payments.receive_webhook(headers, body) == "applied"
    assert stored(paying, subscription_id).status == "cancelled"
