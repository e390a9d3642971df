"""Subscription state per PayPal subscription, and the one entitlement rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.openapi import responses as api
from chalicelib.payments.models import SubscriptionModel
from chalicelib.platform.clock import iso, now

STATUSES = ("approval_pending", "active", "suspended", "cancelled", "expired")


@dataclass(frozen=True)
class Subscription:
    id: str
    user_id: str
    plan_key: str
    status: str
    created_at: str
    last_payment_at: str | None
    paid_until: str | None

    @classmethod
    def from_model(cls, item: SubscriptionModel) -> Subscription:
        return cls(item.id, item.user_id, item.plan_key, item.status, item.created_at,
                   item.last_payment_at, item.paid_until)

    def public(self) -> api.Subscription:
        return {"id": self.id, "plan": self.plan_key, "status": self.status,
                "last_payment_at": self.last_payment_at, "paid_until": self.paid_until,
                "can_watch": can_watch(self)}


def can_watch(subscription: Subscription | None, at: datetime | None = None) -> bool:
    """Playback entitlement: active, or cancelled with paid time still ahead."""
    if subscription is None:
        return False
    if subscription.status == "active":
        return True
    if subscription.status == "cancelled" and subscription.paid_until:
        return subscription.paid_until > iso(at or now())
    return False


def _conditional(item: SubscriptionModel, actions: list, condition: object) -> bool:  # type: ignore[type-arg]
    try:
        item.update(actions=actions, condition=condition)  # type: ignore[arg-type]
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class SubscriptionStore:
    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        #: Told the user id after a write that can end their entitlement (the cache's revoke).
        self.on_change = on_change

    def _changed(self, item: SubscriptionModel) -> None:
        if self.on_change is not None and item.user_id:
            self.on_change(item.user_id)

    def ensure_pending(self, subscription_id: str, user_id: str, plan_key: str,
                       paid_until: str | None = None) -> None:
        """Record a new subscription awaiting approval; a repeat (same PayPal id) is a no-op.
        ``paid_until``: time already paid for under a subscription this one continues (a
        restart), so cancelling it again before its first payment keeps that time."""
        stamp = iso()
        item = SubscriptionModel(id=subscription_id, user_id=user_id, plan_key=plan_key,
                                 status="approval_pending", created_at=stamp, updated_at=stamp,
                                 paid_until=paid_until)
        try:
            item.save(condition=SubscriptionModel.id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def get(self, subscription_id: str) -> Subscription | None:
        if not subscription_id:
            return None
        try:
            return Subscription.from_model(SubscriptionModel.get(subscription_id,
                                                                 consistent_read=True))
        except DoesNotExist:
            return None

    def current_for(self, user_id: str) -> Subscription | None:
        for item in SubscriptionModel.by_user.query(user_id, scan_index_forward=False, limit=1):
            return self.get(item.id)  # the index is eventually consistent; the table is not
        return None

    def apply_state(self, subscription_id: str, status: str, resource_time: str,
                    plan_key: str | None = None) -> bool:
        """Set the status unless a newer PayPal state was applied already (False then)."""
        item = SubscriptionModel(id=subscription_id)
        actions = [SubscriptionModel.status.set(status),
                   SubscriptionModel.resource_updated_at.set(resource_time),
                   SubscriptionModel.updated_at.set(iso())]
        if plan_key:
            actions.append(SubscriptionModel.plan_key.set(plan_key))
        newer_or_first = (SubscriptionModel.resource_updated_at.does_not_exist()
                          | (SubscriptionModel.resource_updated_at <= resource_time))
        applied = _conditional(item, actions, SubscriptionModel.id.exists() & newer_or_first)
        if applied:
            self._changed(item)  # the update read the item back, user_id included
        return applied

    def record_payment(self, subscription_id: str, paid_at: str, paid_until: str) -> None:
        item = SubscriptionModel(id=subscription_id)
        _conditional(item, [SubscriptionModel.last_payment_at.set(paid_at)],
                     SubscriptionModel.last_payment_at.does_not_exist()
                     | (SubscriptionModel.last_payment_at < paid_at))
        _conditional(item, [SubscriptionModel.paid_until.set(paid_until)],
                     SubscriptionModel.paid_until.does_not_exist()
                     | (SubscriptionModel.paid_until < paid_until))

    def end_paid_period(self, subscription_id: str, at: str) -> None:
        item = SubscriptionModel(id=subscription_id)
        item.update(actions=[SubscriptionModel.paid_until.set(at),
                             SubscriptionModel.updated_at.set(iso())])
        self._changed(item)
