"""Who may watch now: the subscription rule, remembered in Redis for every instance.

Playing, each stream file and each progress post need the entitlement, so a positive answer
is remembered for ``ttl_s`` (a player's segment requests do not each read the subscription).
It lives in Redis, not in the function's memory, so that a change is seen at once by every
warm instance: when a subscription's state changes (a cancel by its owner, a PayPal
webhook), :meth:`Entitlements.revoke` replaces the user's entry with a tombstone. A check
remembers a "yes" only with SET NX, so a check that read the subscription before the change
cannot write its stale "yes" over the tombstone, whichever order the two writes land in.
Without Redis every check reads the subscription (correct, only slower).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.payments.subscriptions import SubscriptionStore, can_watch
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import logger

if TYPE_CHECKING:
    import redis

#: How long a "may watch" is remembered, and a revocation's tombstone kept (longer than any
#: request that could have read the subscription before the change).
ENTITLEMENT_TTL_S = 30
_ENTITLED = "1"
_REVOKED = "0"


class Entitlements:
    def __init__(self, client: redis.Redis, prefix: str, subscriptions: SubscriptionStore,
                 ttl_s: int = ENTITLEMENT_TTL_S) -> None:
        self.redis = client
        self.prefix = prefix
        self.subscriptions = subscriptions
        self.ttl_s = ttl_s

    def _key(self, user_id: str) -> str:
        return f"{self.prefix}:entitled:{user_id}"

    def require(self, user_id: str) -> None:
        """Raise the catalogued 402 unless the user's subscription lets them watch now."""
        key = self._key(user_id)
        try:
            if self.redis.get(key) == _ENTITLED:
                return
        except Exception as exc:  # Redis down: read the subscription instead
            logger.warning("entitlement cache unavailable", error=type(exc).__name__)
        if not can_watch(self.subscriptions.current_for(user_id)):
            raise catalogued("subscription_required")
        try:
            self.redis.set(key, _ENTITLED, nx=True, ex=self.ttl_s)
        except Exception as exc:
            logger.warning("entitlement not remembered", error=type(exc).__name__)

    def revoke(self, user_id: str) -> None:
        """Forget what was remembered for the user: the next check reads the subscription."""
        try:
            self.redis.set(self._key(user_id), _REVOKED, ex=self.ttl_s)
        except Exception as exc:  # its entry (if any) expires within ttl_s
            logger.warning("entitlement not revoked", error=type(exc).__name__)
