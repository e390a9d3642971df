"""Who may watch, in process: the subscription rule, the "yes" remembered in Redis, and its
revocation when a subscription changes (a tombstone a stale "yes" cannot overwrite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chalicelib.payments.entitlements import ENTITLEMENT_TTL_S, Entitlements
from chalicelib.payments.subscriptions import SubscriptionStore
from chalicelib.platform.clock import iso, now
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import free_port, unique

# The payments' verifier loads certifi's bundle, one of whose certificates cryptography
# warns about; it is not this test's concern.
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number which wasn't positive")


def subscriber(services: Services, status: str = "active") -> tuple[str, str]:
    """A user whose subscription is in `status` (written without telling the cache)."""
    user_id, subscription_id = unique("viewer-"), unique("I-")
    store = services.entitlements.subscriptions
    store.ensure_pending(subscription_id, user_id, "standard")
    if status != "approval_pending":
        assert store.apply_state(subscription_id, status, iso(now() - timedelta(minutes=5)))
    return user_id, subscription_id


def cached(services: Services, user_id: str) -> str | None:
    value = services.resources.redis.get(f"{services.settings.resource_prefix}:entitled:{user_id}")
    return None if value is None else str(value)


def refused(services: Services, user_id: str) -> tuple[int, str]:
    with pytest.raises(AppError) as error:
        services.entitlements.require(user_id)
    return error.value.status, error.value.code


@pytest.mark.parametrize("status", ["approval_pending", "suspended", "cancelled", "expired"])
def test_only_an_active_subscription_lets_a_user_watch(in_process: Services,
                                                       status: str) -> None:
    user_id, _ = subscriber(in_process, status)
    assert refused(in_process, user_id) == (402, "subscription_required")
    assert cached(in_process, user_id) is None  # a "no" is never remembered


def test_nobody_without_a_subscription_may_watch(in_process: Services) -> None:
    assert refused(in_process, unique("viewer-")) == (402, "subscription_required")


def test_a_yes_is_remembered_for_a_short_while(in_process: Services) -> None:
    user_id, _ = subscriber(in_process)
    in_process.entitlements.require(user_id)
    assert cached(in_process, user_id) == "1"
    key = f"{in_process.settings.resource_prefix}:entitled:{user_id}"
    assert 0 < int(in_process.resources.redis.ttl(key)) <= ENTITLEMENT_TTL_S


def test_a_state_change_revokes_the_remembered_yes(in_process: Services) -> None:
    user_id, subscription_id = subscriber(in_process)
    in_process.entitlements.require(user_id)

    # a webhook's write goes through the payments' store, which tells the cache
    assert in_process.payments.subscriptions.apply_state(subscription_id, "suspended",
                                                         iso(now()))

    assert cached(in_process, user_id) == "0"
    assert refused(in_process, user_id) == (402, "subscription_required")


def test_the_tombstone_is_not_overwritten_by_a_check_that_passes(in_process: Services) -> None:
    user_id, subscription_id = subscriber(in_process)
    # a change that leaves the subscription active (a plan update) still revokes
    assert in_process.payments.subscriptions.apply_state(subscription_id, "active", iso(now()),
                                                         "premium")
    assert cached(in_process, user_id) == "0"
    in_process.entitlements.require(user_id)  # read from the table: still may watch
    assert cached(in_process, user_id) == "0"  # SET NX: the "yes" waits for the tombstone


def test_a_stale_event_does_not_revoke(in_process: Services) -> None:
    user_id, subscription_id = subscriber(in_process)
    in_process.entitlements.require(user_id)
    long_ago = iso(now() - timedelta(days=1))
    assert not in_process.payments.subscriptions.apply_state(subscription_id, "cancelled",
                                                             long_ago)
    assert cached(in_process, user_id) == "1"


def test_a_cancelled_subscription_plays_until_its_paid_period_ends(
        in_process: Services) -> None:
    user_id, subscription_id = subscriber(in_process, "cancelled")
    store = in_process.payments.subscriptions  # the store webhooks write through
    paid_at = now() - timedelta(days=3)
    store.record_payment(subscription_id, iso(paid_at), iso(paid_at + timedelta(days=30)))
    in_process.entitlements.require(user_id)

    store.end_paid_period(subscription_id, iso(now()))  # a refund

    assert cached(in_process, user_id) == "0"
    assert refused(in_process, user_id) == (402, "subscription_required")


def test_without_redis_every_check_reads_the_subscription(in_process: Services) -> None:
    down = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0), decode_responses=True)
    entitlements = Entitlements(down, in_process.settings.resource_prefix, SubscriptionStore())
    active, _ = subscriber(in_process)
    pending, _ = subscriber(in_process, "approval_pending")
    entitlements.require(active)
    with pytest.raises(AppError) as error:
        entitlements.require(pending)
    assert error.value.status == 402
    down.close()
