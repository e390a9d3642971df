"""Rate limits shared by the account routes: N requests per fixed window, per subject.

One Lua script checks every counter a request is subject to (e.g. the target email and the
caller's IP) and, only if all have room, counts the request in each, atomically: concurrent
requests never pass more than N per window, and a refused request counts nowhere, so a
client that waits for `Retry-After` always gets through. A window starts with its first
request and ends `window_seconds` later. Subjects are hashed: no email or address is a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from chalicelib.platform.config import Settings

# KEYS: one counter per limit. ARGV: max hits and window (s) of each key, in order.
# Returns 0 when every counter had room (each was counted), else the seconds until the
# fullest one empties (>= 1), counting nothing.
_SCRIPT = """
local wait = 0
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= limit then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 0 then
      redis.call('EXPIRE', KEYS[i], window)
      ttl = window
    end
    wait = math.max(wait, ttl, 1)
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) == -1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0
"""


@dataclass(frozen=True)
class Limit:
    """At most `max_hits` requests of one kind (`name`) per subject per window."""

    name: str
    max_hits: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.max_hits < 1 or self.window_seconds < 1:
            raise ValueError(f"{self.name}: max_hits and window_seconds must be at least 1")


class RateLimiter:
    def __init__(self, redis: redis.Redis, prefix: str = "notflix") -> None:
        self.prefix = prefix
        self._redis = redis
        self._script = redis.register_script(_SCRIPT)

    def key(self, limit: Limit, subject: str) -> str:
        """The counter of `limit` for one subject (an email, an account id, an IP)."""
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"{self.prefix}:limit:{limit.name}:{digest}"

    def blocked(self, limit: Limit, subject: str) -> int:
        """Seconds until `subject` may be counted against `limit` again; 0 if it has room.
        Counts nothing: for checks that must refuse before they know whether to count (a
        PIN is checked against its limit before it is verified, then counted if wrong)."""
        key = self.key(limit, subject)
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
        if int(count or 0) < limit.max_hits:
            return 0
        return max(int(ttl), 1) if int(ttl) > 0 else limit.window_seconds

    def hit(self, *checks: tuple[Limit, str]) -> int:
        """Count one request against each (limit, subject): 0 if allowed, else the seconds
        to wait (and nothing was counted). Raises redis.RedisError when Redis is down."""
        keys = [self.key(limit, subject) for limit, subject in checks]
        args: list[int] = []
        for limit, _ in checks:
            args += [limit.max_hits, limit.window_seconds]
        return int(self._script(keys=keys, args=args))


@dataclass(frozen=True)
class AccountLimits:
    """The limits of the account routes other than login (login has its own throttle)."""

    reset_per_email: Limit
    reset_per_ip: Limit
    register_per_ip: Limit
    password_change_per_account: Limit
    password_change_per_ip: Limit

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountLimits:
        window = settings.account_limit_window_seconds
        return cls(
            reset_per_email=Limit("reset-email", settings.reset_mails_per_email, window),
            reset_per_ip=Limit("reset-ip", settings.reset_mails_per_ip, window),
            register_per_ip=Limit("register-ip", settings.registrations_per_ip, window),
            password_change_per_account=Limit("password-change-account",
                                              settings.password_changes_per_account, window),
            password_change_per_ip=Limit("password-change-ip", settings.password_changes_per_ip,
                                         window),
        )
