"""Login throttling: at most N failed attempts per window, per account and per client IP.

One Lua script checks both counters and reserves a slot in each atomically, so concurrent
attempts cannot run more than N password checks per window. A successful login gives its
slot back; a failed one keeps it. The window is fixed from the first failure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis

# KEYS: account counter, ip counter. ARGV: max failures, window seconds.
# Returns 0 when a slot was reserved, else the seconds until the blocking counter expires.
_ACQUIRE = """
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[1]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 1 then ttl = 1 end
    return ttl
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then
    redis.call('EXPIRE', KEYS[i], ARGV[2])
  end
end
return 0
"""

# Give a reserved slot back, never below zero and never reviving an expired key.
_RELEASE = """
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
"""


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    retry_after: int
    keys: tuple[str, ...]


class LoginThrottle:
    def __init__(self, redis_client: redis.Redis, *, max_failures: int = 5,
                 window_seconds: int = 60, prefix: str = "notflix") -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.prefix = prefix
        self._acquire = redis_client.register_script(_ACQUIRE)
        self._release = redis_client.register_script(_RELEASE)

    def _keys(self, account: str, ip: str) -> tuple[str, str]:
        account_hash = hashlib.sha256(account.strip().lower().encode()).hexdigest()
        return (f"{self.prefix}:login-fail:acct:{account_hash}",
                f"{self.prefix}:login-fail:ip:{ip}")

    def acquire(self, account: str, ip: str) -> Attempt:
        keys = self._keys(account, ip)
        wait = int(self._acquire(keys=list(keys), args=[self.max_failures, self.window]))
        return Attempt(allowed=wait == 0, retry_after=wait, keys=keys)

    def succeeded(self, attempt: Attempt) -> None:
        if attempt.allowed:
            self._release(keys=list(attempt.keys))

    def failed(self, attempt: Attempt) -> None:
        """The reserved slot stays taken: that is what counts the failure."""
        return None
