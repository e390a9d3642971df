"""Payments use cases: plans, subscribe, cancel, webhooks, the ledger and entitlement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyKeyError,
)

from chalicelib.openapi import responses as api
from chalicelib.payments.events import EventApplier, MalformedEvent
from chalicelib.payments.ledger import Ledger, Payment
from chalicelib.payments.paypal_client import PayPalClient, PayPalError
from chalicelib.payments.plans import Plan, Plans
from chalicelib.payments.subscriptions import Subscription, SubscriptionStore, can_watch
from chalicelib.payments.verify import Transmission, Verifier
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import AppError, catalogued
from chalicelib.platform.json_input import load_json
from chalicelib.platform.logs import logger
from chalicelib.platform.metrics import webhook_delivery

#: PayPal retries a webhook for up to 3 days; remember handled events for a week.
EVENT_MEMORY_SECONDS = 7 * 24 * 3600


def _mark_replayed(response: Any, idempotent_data: Any) -> Any:
    """The stored result of an event handled before, marked as a replay."""
    return {**response, "replayed": True} if isinstance(response, dict) else response


class PaymentsService:
    def __init__(self, *, plans: Plans, paypal: PayPalClient, verifier: Verifier,
                 subscriptions: SubscriptionStore, ledger: Ledger,
                 idempotency: DynamoDBPersistenceLayer, public_url: str) -> None:
        self.plans = plans
        self.paypal = paypal
        self.verifier = verifier
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.public_url = public_url.rstrip("/")
        applier = EventApplier(subscriptions, ledger, plans)
        config = IdempotencyConfig(event_key_jmespath="id", raise_on_no_idempotency_key=True,
                                   expires_after_seconds=EVENT_MEMORY_SECONDS,
                                   response_hook=_mark_replayed)
        self._idempotency_config = config

        def apply_once(event: dict[str, Any]) -> dict[str, str]:
            return {"outcome": applier.apply(event)}

        self._apply_once = idempotent_function(
            apply_once, data_keyword_argument="event", persistence_store=idempotency,
            config=config, key_prefix="paypal-webhook")

    # -- subscribing -------------------------------------------------------------------------
    def subscribe(self, user_id: str, email: str, plan_key: str,
                  request_id: str) -> api.SubscriptionCreated:
        plan = self._plan(plan_key)
        current = self.subscriptions.current_for(user_id)
        if current is not None and current.status == "active":
            raise catalogued("already_subscribed")
        return self._create(user_id, email, plan, request_id, "/account?subscribed=1",
                            "/plans")

    def change_plan(self, user_id: str, plan_key: str, request_id: str
                    ) -> api.SubscriptionCreated:
        """Move an active subscription to another plan, up or down, through PayPal's plan
        revision: the subscriber approves it at ``approve_url``; PayPal's
        BILLING.SUBSCRIPTION.UPDATED webhook then records the new plan."""
        plan = self._plan(plan_key)
        current = self.subscriptions.current_for(user_id)
        if current is None or current.status != "active":
            raise catalogued("no_active_subscription")
        if current.plan_key == plan.key:
            raise catalogued("same_plan", plan=plan.name)
        try:
            approve = self.paypal.revise_subscription(
                current.id, plan_id=plan.paypal_plan_id,
                return_url=f"{self.public_url}/account?plan_changed={plan.key}",
                cancel_url=f"{self.public_url}/plans", request_id=request_id)
        except (PayPalError, httpx.HTTPError) as exc:
            logger.error("PayPal did not revise a subscription", error=type(exc).__name__)
            raise catalogued("payment_provider_error") from exc
        logger.info("plan change asked", subscription_id=current.id, plan=plan.key)
        return {"subscription_id": current.id,
                "approve_url": approve or f"{self.public_url}/account?plan_changed={plan.key}",
                "status": "revision_pending"}

    def restart(self, user_id: str, email: str, request_id: str) -> api.SubscriptionCreated:
        """Undo a cancellation before the paid time ends: a new subscription to the same plan
        whose first payment is due when the paid time runs out (PayPal's ``start_time``), so
        nothing is paid twice and nothing is lost. A cancelled PayPal subscription cannot
        be reactivated itself."""
        current = self.subscriptions.current_for(user_id)
        if (current is None or current.status != "cancelled" or not can_watch(current)
                or current.paid_until is None):
            raise catalogued("nothing_to_restart")
        return self._create(user_id, email, self._plan(current.plan_key), request_id,
                            "/account?restarted=1", "/account", start_time=current.paid_until,
                            paid_until=current.paid_until)

    def _create(self, user_id: str, email: str, plan: Plan, request_id: str, back: str,
                cancelled: str, start_time: str | None = None,
                paid_until: str | None = None) -> api.SubscriptionCreated:
        """A PayPal subscription awaiting approval, recorded as pending (with the time
        already paid for, for a restart); PayPal sends the subscriber back to ``back``
        (approved) or ``cancelled`` (paths of this site)."""
        try:
            created = self.paypal.create_subscription(
                plan_id=plan.paypal_plan_id, custom_id=user_id, email=email,
                return_url=f"{self.public_url}{back}",
                cancel_url=f"{self.public_url}{cancelled}", request_id=request_id,
                start_time=start_time)
        except (PayPalError, httpx.HTTPError) as exc:
            logger.error("PayPal did not create a subscription", error=type(exc).__name__)
            raise catalogued("payment_provider_error") from exc
        self.subscriptions.ensure_pending(created.id, user_id, plan.key, paid_until)
        return {"subscription_id": created.id, "approve_url": created.approve_url,
                "status": "approval_pending"}

    def _plan(self, plan_key: str) -> Plan:
        plan = self.plans.get(plan_key)
        if plan is None:
            raise catalogued("unknown_plan", plan=plan_key,
                             plans=", ".join(p.key for p in self.plans.all()))
        return plan

    def cancel(self, user_id: str) -> Subscription:
        current = self.subscriptions.current_for(user_id)
        if current is None or current.status not in ("active", "suspended", "approval_pending"):
            raise catalogued("no_subscription")
        try:
            self.paypal.cancel_subscription(current.id, "Cancelled by the subscriber",
                                            request_id=f"cancel-{current.id}")
        except (PayPalError, httpx.HTTPError) as exc:
            logger.error("PayPal did not cancel a subscription", error=type(exc).__name__)
            raise catalogued("payment_provider_error") from exc
        self.subscriptions.apply_state(current.id, "cancelled", iso())
        return self.subscriptions.get(current.id) or current

    # -- webhooks ------------------------------------------------------------------------------
    def receive_webhook(self, headers: Mapping[str, str], raw_body: bytes,
                        lambda_context: Any = None) -> str:
        """Verify, then apply once. Raises AppError (4xx) before any state changes.

        With the Lambda context, an in-progress record expires with the invocation, so a
        retry after a timeout is not blocked until the record's full expiry. Every delivery
        counts as a ``WebhookOutcome`` metric: its outcome, "duplicate" for a replay, or why
        it was refused.
        """
        with webhook_delivery("paypal") as delivery:
            outcome, replayed = self._receive(headers, raw_body, lambda_context)
            delivery.outcome = "duplicate" if replayed else outcome
        return outcome

    def _receive(self, headers: Mapping[str, str], raw_body: bytes,
                 lambda_context: Any) -> tuple[str, bool]:
        """The event's outcome, and whether it was handled before (a replay)."""
        transmission = Transmission.from_headers(headers)
        try:
            self.verifier.verify(transmission, raw_body)
        except (PayPalError, httpx.HTTPError) as exc:
            # PayPal's verification API is unreachable: 503 makes PayPal deliver it again.
            raise catalogued("service_unavailable") from exc
        event = load_json(raw_body)
        if not isinstance(event, dict) or not event.get("id"):
            raise AppError("the webhook event has no id", code="webhook_malformed")
        if lambda_context is not None:
            self._idempotency_config.register_lambda_context(lambda_context)
        try:
            result = self._apply_once(event=event)
        except IdempotencyAlreadyInProgressError as exc:
            raise AppError("this event is being handled; retry later", status=409,
                           code="webhook_in_progress") from exc
        except IdempotencyKeyError as exc:
            raise AppError("the webhook event has no id", code="webhook_malformed") from exc
        except MalformedEvent as exc:
            raise AppError(f"the webhook event is malformed: {exc}", status=422,
                           code="webhook_malformed") from exc
        outcome = str(result["outcome"])
        replayed = bool(result.get("replayed"))
        logger.info("PayPal webhook handled", event_id=event["id"],
                    event_type=event.get("event_type"), outcome=outcome, replayed=replayed)
        return outcome, replayed

    # -- reading -------------------------------------------------------------------------------
    def all_plans(self) -> list[Plan]:
        return self.plans.all()

    def status(self, user_id: str) -> api.Subscription | None:
        current = self.subscriptions.current_for(user_id)
        return current.public() if current else None

    def can_watch(self, user_id: str) -> bool:
        return can_watch(self.subscriptions.current_for(user_id))

    def payments(self, user_id: str, cursor: str | None,
                 limit: int = 20) -> tuple[list[Payment], str | None]:
        return self.ledger.page(user_id, limit=limit, cursor=cursor)
