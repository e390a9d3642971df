"""Helpers of the in-process payments tests: PayPal times, subscribers and signed webhook
deliveries handed straight to ``PaymentsService.receive_webhook``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.services import Services
from localcloud.isolation import unique
from localcloud.paypal_sim.server import FakePayPal, signed_delivery


def stamp(offset_seconds: int = 0) -> str:
    """A PayPal time (seconds, Z) `offset_seconds` from now."""
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def canonical(paypal_time: str) -> str:
    """A PayPal time as the app stores it (milliseconds, Z)."""
    return paypal_time.replace("Z", ".000Z")


def pending_subscription(services: Services, plan: str = "standard") -> tuple[str, str]:
    """A new user's subscription awaiting approval: (user id, PayPal subscription id)."""
    user_id = unique("payer-")
    created = services.payments.subscribe(user_id, f"{user_id}@example.com", plan,
                                          request_id=unique("req-"))
    return user_id, created["subscription_id"]


def deliver(services: Services, paypal: FakePayPal, event_type: str,
            resource: dict[str, Any], *, event_id: str | None = None) -> str:
    """Sign an event as PayPal does and hand it to the service; its outcome."""
    event = {"id": event_id or unique("WH-"), "event_version": "1.0", "create_time": stamp(),
             "resource_type": event_type.split(".")[-2].lower(), "event_type": event_type,
             "resource": resource}
    body, headers = signed_delivery(event, webhook_id=paypal.webhook_id,
                                    cert_url=paypal.cert_url, pki=paypal.pki)
    return services.payments.receive_webhook(headers, body)


def subscription_event(subscription_id: str, status: str, update_time: str,
                       plan_id: str = "P-LOCAL-STANDARD") -> dict[str, Any]:
    return {"id": subscription_id, "status": status, "plan_id": plan_id,
            "create_time": update_time, "update_time": update_time}


def sale_event(subscription_id: str, at: str, sale_id: str | None = None,
               total: str = "9.99") -> dict[str, Any]:
    return {"id": sale_id or unique("SALE-"), "state": "completed",
            "amount": {"total": total, "currency": "EUR"},
            "billing_agreement_id": subscription_id, "create_time": at, "update_time": at}


def active_subscription(services: Services, paypal: FakePayPal,
                        activated_at: str | None = None) -> tuple[str, str]:
    """A subscription PayPal activated (no payment yet): (user id, subscription id)."""
    user_id, subscription_id = pending_subscription(services)
    outcome = deliver(services, paypal, "BILLING.SUBSCRIPTION.ACTIVATED",
                      subscription_event(subscription_id, "ACTIVE", activated_at or stamp()))
    assert outcome == "applied"
    return user_id, subscription_id
