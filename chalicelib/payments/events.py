"""Apply PayPal webhook events to subscription state and the ledger."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.payments.ledger import Ledger, Payment
from chalicelib.payments.plans import Plans
from chalicelib.payments.subscriptions import SubscriptionStore
from chalicelib.platform.clock import iso
from chalicelib.platform.logs import logger

SUBSCRIPTION_STATUS = {
    "BILLING.SUBSCRIPTION.CREATED": "approval_pending",
    "BILLING.SUBSCRIPTION.ACTIVATED": "active",
    "BILLING.SUBSCRIPTION.SUSPENDED": "suspended",
    "BILLING.SUBSCRIPTION.CANCELLED": "cancelled",
    "BILLING.SUBSCRIPTION.EXPIRED": "expired",
}
PAYPAL_STATUS = {"APPROVAL_PENDING": "approval_pending", "APPROVED": "approval_pending",
                 "ACTIVE": "active", "SUSPENDED": "suspended", "CANCELLED": "cancelled",
                 "EXPIRED": "expired"}


class MalformedEvent(ValueError):
    """A verified event whose resource lacks what its type promises."""


#: Times outside these years are not PayPal's: refusing them keeps every later step (UTC
#: conversion, adding a billing month) inside what `datetime` can hold.
EARLIEST_YEAR, LATEST_YEAR = 1970, 9000


def _time(value: Any) -> str:
    """PayPal's ISO 8601 time in our canonical form (UTC, milliseconds, Z)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValueError("out of range")
        return iso(moment)
    except (ValueError, OverflowError) as exc:
        raise MalformedEvent(f"not a time: {str(value)[:64]!r}") from exc


def _amount(raw: Any) -> tuple[Decimal, str]:
    try:
        value = raw.get("total") or raw.get("value")
        return Decimal(str(value)), str(raw.get("currency") or raw.get("currency_code"))
    except (AttributeError, InvalidOperation) as exc:
        raise MalformedEvent(f"not an amount: {raw!r}") from exc


def add_month(moment: str) -> str:
    """The same time one calendar month later (31 Jan -> 28/29 Feb)."""
    start = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return iso(start.replace(year=year, month=month, day=day))


class EventApplier:
    def __init__(self, subscriptions: SubscriptionStore, ledger: Ledger, plans: Plans) -> None:
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.plans = plans
        self._handlers: dict[str, Callable[[str, dict[str, Any]], str]] = {
            **{name: self._subscription_state for name in SUBSCRIPTION_STATUS},
            "BILLING.SUBSCRIPTION.UPDATED": self._subscription_state,
            "BILLING.SUBSCRIPTION.PAYMENT.FAILED": self._payment_failed,
            "PAYMENT.SALE.COMPLETED": self._sale_completed,
            "PAYMENT.SALE.REFUNDED": self._sale_reversed,
            "PAYMENT.SALE.REVERSED": self._sale_reversed,
        }

    def apply(self, event: dict[str, Any]) -> str:
        """What happened, as a short word for the response and the logs."""
        event_type = str(event.get("event_type", ""))
        handler = self._handlers.get(event_type)
        if handler is None:
            logger.info("ignoring an unknown PayPal event type", event_type=event_type,
                        event_id=event.get("id"))
            return "ignored"
        resource = event.get("resource")
        if not isinstance(resource, dict):
            raise MalformedEvent("the event has no resource")
        return handler(event_type, resource)

    def _subscription_state(self, event_type: str, resource: dict[str, Any]) -> str:
        subscription_id = str(resource.get("id", ""))
        status = SUBSCRIPTION_STATUS.get(event_type) or PAYPAL_STATUS.get(
            str(resource.get("status", "")).upper())
        if not subscription_id or status is None:
            raise MalformedEvent("the subscription has no id or a status we know")
        changed_at = _time(resource.get("update_time") or resource.get("status_update_time")
                           or resource.get("create_time"))
        if self.subscriptions.get(subscription_id) is None:
            logger.warning("event for a subscription we did not create",
                           subscription_id=subscription_id)
            return "unknown_subscription"
        plan = self.plans.by_paypal_id(str(resource.get("plan_id", "")))
        applied = self.subscriptions.apply_state(subscription_id, status, changed_at,
                                                 plan.key if plan else None)
        return "applied" if applied else "stale"

    def _payment_failed(self, _event_type: str, resource: dict[str, Any]) -> str:
        subscription = self.subscriptions.get(str(resource.get("id", "")))
        if subscription is None:
            return "unknown_subscription"
        failed = (resource.get("billing_info") or {}).get("last_failed_payment") or {}
        amount, currency = _amount(failed.get("amount") or {"value": "0", "currency_code": ""})
        at = _time(failed.get("time") or resource.get("update_time"))
        self.ledger.record(subscription.user_id, Payment(
            f"{subscription.id}-failed-{at}", subscription.id, "failed", "failed", amount,
            currency, at))
        return "recorded"

    def _sale_completed(self, _event_type: str, resource: dict[str, Any]) -> str:
        subscription = self.subscriptions.get(str(resource.get("billing_agreement_id", "")))
        if subscription is None:
            return "unknown_subscription"
        sale_id = str(resource.get("id") or "")
        if not sale_id:
            raise MalformedEvent("the sale has no id")
        amount, currency = _amount(resource.get("amount"))
        at = _time(resource.get("create_time") or resource.get("update_time"))
        recorded = self.ledger.record(subscription.user_id, Payment(
            sale_id, subscription.id, "payment", "completed", amount, currency, at))
        self.subscriptions.record_payment(subscription.id, at, add_month(at))
        return "recorded" if recorded else "duplicate"

    def _sale_reversed(self, event_type: str, resource: dict[str, Any]) -> str:
        refund = event_type.endswith("REFUNDED")
        sale_id = str(resource.get("sale_id") or resource.get("id", ""))
        original = self.ledger.find(sale_id)
        if original is not None:
            user_id, sale = original
            subscription_id = sale.subscription_id
        else:
            subscription = self.subscriptions.get(str(resource.get("billing_agreement_id", "")))
            if subscription is None:
                return "unknown_subscription"
            user_id, subscription_id = subscription.user_id, subscription.id
        amount, currency = _amount(resource.get("amount"))
        at = _time(resource.get("update_time") or resource.get("create_time"))
        kind = "refund" if refund else "reversal"
        entry_id = str(resource.get("id")) if refund else f"{sale_id}-reversal"
        self.ledger.record(user_id, Payment(entry_id, subscription_id, kind, "completed",
                                            -abs(amount), currency, at))
        if original is not None:
            self.ledger.mark(user_id, original[1], "refunded" if refund else "reversed")
        self.subscriptions.end_paid_period(subscription_id, at)
        return "recorded"
