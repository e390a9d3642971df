"""Login throttling as Amazon Cognito and Auth0 do it: a doubling delay per account and
network, and high ceilings per account and per network that a known device passes.

Three counters, all kept in Redis and changed by one Lua script (atomic, so concurrent
attempts cannot slip past a rule):

- **pair** (account + IP): 5 failures within 60 s restrict the pair; from then on each attempt
  waits a delay of 1 s after the last failure, doubling with every further failure up to
  15 minutes. The pair is forgotten after a quiet period (15 minutes without a failure) or at
  once by a successful login. A stranger's failures restrict the stranger's own network only.
- **account** (all IPs): at most 100 failures per hour, against guessing from many addresses.
- **IP** (all accounts): at most 100 failures per hour, against password spraying from one
  address.

The two ceilings are not applied to a *known pair*: an account that logged in (or registered)
from that IP in the last 30 days. So a stranger who fills a ceiling delays only unknown
accounts on that network, or that account from networks it never used, and only for the rest
of the hour; the owner on a known network keeps the pair rule alone.

An attempt reserves its failure before the password is checked (so concurrent attempts
count), `succeeded` gives it back and `failed` starts the pair's delay from the answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

# KEYS: pair (hash: n = failures, until = ms before which the pair waits), account counter,
# IP counter, known-pair marker.
# ARGV: op, now (ms), max failures, window, first delay, max delay, quiet (s),
#       account ceiling, IP ceiling, ceiling window, known-pair lifetime (s).
_SCRIPT = """
local pair, account, ip, known = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op, now = ARGV[1], tonumber(ARGV[2])
local max_failures, window = tonumber(ARGV[3]), tonumber(ARGV[4])
local first_delay, max_delay, quiet = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local account_max, ip_max, ceiling_window = tonumber(ARGV[8]), tonumber(ARGV[9]),
                                            tonumber(ARGV[10])

local function delay(n)  -- seconds a restricted pair waits after its n-th failure
  return math.min(first_delay * 2 ^ (n - max_failures), max_delay)
end

if op == 'succeeded' then
  redis.call('DEL', pair)
  for _, key in ipairs({account, ip}) do
    if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
  end
  redis.call('SET', known, '1', 'EX', ARGV[11])
  return {0, 0}
end
if op == 'known' then
  redis.call('SET', known, '1', 'EX', ARGV[11])
  return {0, 0}
end
local n = tonumber(redis.call('HGET', pair, 'n') or '0')
if op == 'failed' then
  if n >= max_failures then
    local wait = delay(n)
    redis.call('HSET', pair, 'until', now + wait * 1000)
    redis.call('EXPIRE', pair, math.ceil(wait) + quiet)
    return {math.ceil(wait), n}
  end
  return {0, n}
end

-- acquire
local wait = 0
local until_ms = tonumber(redis.call('HGET', pair, 'until') or '0')
if n >= max_failures and until_ms > now then wait = math.ceil((until_ms - now) / 1000) end
if redis.call('EXISTS', known) == 0 then
  for _, rule in ipairs({{account, account_max}, {ip, ip_max}}) do
    if tonumber(redis.call('GET', rule[1]) or '0') >= rule[2] then
      local ttl = redis.call('TTL', rule[1])
      if ttl < 0 then
        redis.call('EXPIRE', rule[1], ceiling_window)
        ttl = ceiling_window
      end
      wait = math.max(wait, ttl, 1)
    end
  end
end
if wait > 0 then return {wait, n} end
n = redis.call('HINCRBY', pair, 'n', 1)
if n == 1 then redis.call('EXPIRE', pair, window) end
if n >= max_failures then  -- hold other attempts of the pair while this one is checked
  redis.call('HSET', pair, 'until', now + delay(n) * 1000)
  redis.call('EXPIRE', pair, math.ceil(delay(n)) + quiet)
end
for _, key in ipairs({account, ip}) do
  redis.call('INCR', key)
  if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ceiling_window) end
end
return {0, n}
"""


@dataclass(frozen=True)
class LoginRules:
    """The numbers of the rules above (README, "Accounts and security", says why)."""

    max_failures: int = 5
    window_seconds: int = 60
    first_delay_seconds: int = 1
    max_delay_seconds: int = 900
    quiet_seconds: int = 900
    account_max_failures: int = 100
    ip_max_failures: int = 100
    ceiling_window_seconds: int = 3600
    known_pair_seconds: int = 30 * 24 * 3600

    def __post_init__(self) -> None:
        if min(self.max_failures, self.window_seconds, self.first_delay_seconds,
               self.max_delay_seconds, self.quiet_seconds, self.account_max_failures,
               self.ip_max_failures, self.ceiling_window_seconds,
               self.known_pair_seconds) < 1:
            raise ValueError("every login rule number must be at least 1")

    def delay(self, failures: int) -> int:
        """Seconds a pair waits after its `failures`-th failure (0 below the threshold)."""
        if failures < self.max_failures:
            return 0
        return int(min(self.first_delay_seconds * 2 ** (failures - self.max_failures),
                       self.max_delay_seconds))


@dataclass(frozen=True)
class Attempt:
    """A login attempt: refused (wait `retry_after` seconds) or holding a reserved failure."""

    allowed: bool
    retry_after: int
    keys: tuple[str, ...]
    #: The pair's failures, this attempt's reservation included when allowed.
    failures: int = 0


class LoginThrottle:
    def __init__(self, redis: redis.Redis, rules: LoginRules | None = None, *,
                 prefix: str = "notflix", clock: Callable[[], float] = time.time) -> None:
        self.rules = rules or LoginRules()
        self.prefix = prefix
        self.clock = clock
        self._script = redis.register_script(_SCRIPT)

    def _keys(self, account: str, ip: str) -> tuple[str, str, str, str]:
        normalised = account.strip().lower().encode("utf-8", "surrogatepass")
        account_hash = hashlib.sha256(normalised).hexdigest()
        base = f"{self.prefix}:login-fail"
        return (f"{base}:pair:{account_hash}:{ip}", f"{base}:acct:{account_hash}",
                f"{base}:ip:{ip}", f"{self.prefix}:login-known:{account_hash}:{ip}")

    def _run(self, op: str, keys: tuple[str, ...]) -> tuple[int, int]:
        r = self.rules
        wait, failures = self._script(keys=list(keys), args=[
            op, int(self.clock() * 1000), r.max_failures, r.window_seconds,
            r.first_delay_seconds, r.max_delay_seconds, r.quiet_seconds,
            r.account_max_failures, r.ip_max_failures, r.ceiling_window_seconds,
            r.known_pair_seconds])
        return int(wait), int(failures)

    def acquire(self, account: str, ip: str) -> Attempt:
        """Reserve a failure for this account and IP, or refuse while a rule holds them."""
        keys = self._keys(account, ip)
        wait, failures = self._run("acquire", keys)
        return Attempt(allowed=wait == 0, retry_after=wait, keys=keys, failures=failures)

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: forget the pair's failures, give the reservation back to the
        ceilings and remember the pair as known."""
        if attempt.allowed:
            self._run("succeeded", attempt.keys)

    def failed(self, attempt: Attempt) -> int:
        """The reservation stays a failure; a restricted pair's delay starts now. Returns it."""
        if not attempt.allowed:
            return 0
        wait, _ = self._run("failed", attempt.keys)
        return wait

    def known(self, account: str, ip: str) -> None:
        """Mark the pair known (a registration from this IP), so the ceilings let it pass."""
        self._run("known", self._keys(account, ip))
