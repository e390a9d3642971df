"""`notflix paypal simulate`: make the local PayPal send a subscriber's next event."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.errors import AppError
from chalicelib.services import Services

EVENTS = ("ACTIVATED", "UPDATED", "SUSPENDED", "CANCELLED", "EXPIRED", "PAYMENT.FAILED",
          "SALE.COMPLETED")


def simulate(services: Services, email: str, event: str, plan: str = "standard"
             ) -> dict[str, Any]:
    """Send `event` for the subscriber's current subscription (created first if none)."""
    if not services.settings.local:
        raise AppError("simulation drives the local PayPal only", code="not_local")
    event = event.upper().removeprefix("BILLING.SUBSCRIPTION.").removeprefix("PAYMENT.SALE.")
    event = "SALE.COMPLETED" if event == "COMPLETED" else event
    if event not in EVENTS:
        raise AppError(f"unknown event {event}; use one of {', '.join(EVENTS)}",
                       code="unknown_event")
    user = services.users.get_by_email(email)
    if user is None:
        raise AppError(f"no user with email {email}", code="user_not_found", status=404)
    current = services.payments.subscriptions.current_for(user.id)
    if current is None:
        subscription_id = services.payments.subscribe(
            user.id, user.email, plan, request_id=f"simulate-{user.id}-{plan}")["subscription_id"]
    else:
        subscription_id = current.id
    response = services.resources.http.post(
        f"{services.settings.paypal_base_url}/_control/simulate",
        json={"subscription_id": subscription_id, "event": event})
    if response.status_code != 200:
        raise AppError(f"the local PayPal answered {response.status_code}: {response.text}",
                       code="paypal_simulation_failed", status=502)
    result: dict[str, Any] = response.json()
    return {"subscription_id": subscription_id, "event": result["event"]["event_type"],
            "webhook_status": result["delivered"]}



