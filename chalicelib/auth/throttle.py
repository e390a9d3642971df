"""Login throttling: at most N failed attempts per window, per account and per client IP.

One Lua script checks both counters and reserves a slot in each atomically, so concurrent
attempts cannot run more than N password checks per window. A successful login gives its
slot back; a failed one keeps it. The window is fixed from the first failure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis

# KEYS: the account and IP counters. ARGV: op ('acquire' | 'release'), max failures, window.
# acquire: if any counter is at the limit, return the longest wait (>= 1 s) and change nothing;
#          else INCR every counter (expiry set only when it has none) and return 0.
# release: DECR every counter that is above 0; a missing key is never revived. Returns 0.
_SCRIPT = """
if ARGV[1] == 'release' then
  for i = 1, #KEYS do
    if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
  end
  return 0
end
local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local wait = 0
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= limit then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl == -1 then
      redis.call('EXPIRE', KEYS[i], window)
      ttl = window
    end
    wait = math.max(wait, ttl, 1)
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) == -1 then redis.call('EXPIRE', KEYS[i], window) end
end
return 0
"""


@dataclass(frozen=True)
class Attempt:
    """A login attempt: refused (with `retry_after` seconds) or holding one reserved slot."""

    allowed: bool
    retry_after: int
    keys: tuple[str, ...]


class LoginThrottle:
    def __init__(self, redis: redis.Redis, *, max_failures: int = 5,
                 window_seconds: int = 60, prefix: str = "notflix") -> None:
        if max_failures < 1 or window_seconds < 1:
            raise ValueError("max_failures and window_seconds must be at least 1")
        self.max_failures = max_failures
        self.window = window_seconds
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT)

    def _keys(self, account: str, ip: str) -> tuple[str, str]:
        normalised = account.strip().lower().encode("utf-8", "surrogatepass")
        account_hash = hashlib.sha256(normalised).hexdigest()
        return (f"{self.prefix}:login-fail:acct:{account_hash}",
                f"{self.prefix}:login-fail:ip:{ip}")

    def acquire(self, account: str, ip: str) -> Attempt:
        """Reserve a failure slot for this account and IP, or refuse while either is full."""
        keys = self._keys(account, ip)
        wait = int(self._script(keys=list(keys),
                                args=["acquire", self.max_failures, self.window]))
        return Attempt(allowed=wait == 0, retry_after=wait, keys=keys)

    def succeeded(self, attempt: Attempt) -> None:
        """A successful login is not a failure: give its slot back."""
        if attempt.allowed:
            self._script(keys=list(attempt.keys), args=["release", 0, 0])

    def failed(self, attempt: Attempt) -> None:
        """The reserved slot stays taken: that is what counts the failure."""
        return None
