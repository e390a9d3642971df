"""Contract of the Redis-backed stores (sessions, the login throttle, the rate limiter),
held by both adapters: a private, real redis-server and fakeredis (with Lua), which the
in-process layer (tests/inprocess.py) uses. A behaviour fakeredis got wrong fails here."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis

from chalicelib.auth.limits import Limit, RateLimiter
from chalicelib.auth.sessions import Session, SessionStore, digest
from chalicelib.auth.throttle import Attempt, LoginRules, LoginThrottle
from localcloud import paths
from localcloud.sidecars.redis import RedisSidecar
from tests.support import free_port, unique

#: The adapters every test here runs against; only the real server needs one started.
ADAPTERS = [pytest.param("redis-server", marks=pytest.mark.integration), "fakeredis"]

WINDOW = 30
ACCOUNT = "victim@example.com"
IP = "203.0.113.9"


def start_private_redis() -> RedisSidecar:
    port = free_port()
    server = RedisSidecar(port=port, data_name=f"redis-test-{port}")
    server.start()
    server.wait_healthy(20)
    return server


def stop_private_redis(server: RedisSidecar) -> None:
    server.stop()
    shutil.rmtree(paths.data_dir(server.data_name), ignore_errors=True)


def connect(server: RedisSidecar) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True,
                       socket_timeout=2.0, socket_connect_timeout=2.0)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisSidecar]:
    server = start_private_redis()
    try:
        yield server
    finally:
        stop_private_redis(server)


@pytest.fixture(scope="module", params=ADAPTERS)
def client(request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    if request.param == "fakeredis":
        import fakeredis

        connection: redis.Redis = fakeredis.FakeRedis(decode_responses=True)
    else:
        connection = connect(request.getfixturevalue("redis_server"))
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def prefix() -> str:
    return unique("authtest-")


def result(value: Any) -> Any:
    """redis-py types sync replies as `Awaitable | Any`; the sync client gives the value."""
    return cast(Any, value)


def pttl(client: redis.Redis, key: str) -> int:
    return int(result(client.pttl(key)))


def dump_everything(client: redis.Redis) -> str:
    """Every key in the database and every value under it, as one string."""
    parts: list[str] = []
    for key in client.scan_iter(count=1000):
        parts.append(key)
        kind = result(client.type(key))
        if kind == "string":
            parts.append(str(result(client.get(key))))
        elif kind == "hash":
            parts.extend(f"{k}={v}" for k, v in result(client.hgetall(key)).items())
        elif kind == "set":
            parts.extend(result(client.smembers(key)))
        elif kind == "list":
            parts.extend(result(client.lrange(key, 0, -1)))
        elif kind == "zset":
            parts.extend(result(client.zrange(key, 0, -1)))
        else:
            parts.append(f"<{kind}>")
    return "\n".join(parts)


# ---- sessions ----------------------------------------------------------------------------


def test_create_then_lookup_returns_the_session(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, prefix=prefix)
    token = store.create("user-1", ip="198.51.100.7", user_agent="pytest/1.0")

    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
    session_key = f"{prefix}:session:{digest(token)}"
    user_key = f"{prefix}:user-sessions:user-1"
    assert 0 < pttl(client, session_key) <= 14 * 24 * 3600 * 1000  # set by create itself
    assert result(client.smembers(user_key)) == {digest(token)}
    assert pttl(client, user_key) >= pttl(client, session_key)

    session = store.lookup(token)
    assert session == Session(user_id="user-1", token_digest=digest(token),
                              created_at=session.created_at if session else "",
                              ip="198.51.100.7", user_agent="pytest/1.0")
    assert session is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", session.created_at)
    created = datetime.fromisoformat(session.created_at)
    assert created.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60

    assert store.create("user-1", ip="x", user_agent="y") != token


def test_the_raw_token_is_stored_nowhere(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, prefix=prefix)
    tokens = [store.create(f"user-{n}", ip="127.0.0.1", user_agent="pytest") for n in range(3)]
    for token in tokens:
        assert store.lookup(token) is not None

    everything = dump_everything(client)
    for token in tokens:
        assert digest(token) in everything  # the dump really covers the sessions
        assert token not in everything


def test_lookup_slides_the_expiry(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, ttl_seconds=3, prefix=prefix)
    token = store.create("slider", ip="127.0.0.1", user_agent="pytest")
    key = f"{prefix}:session:{digest(token)}"

    time.sleep(2)
    assert pttl(client, key) < 1500
    assert store.lookup(token) is not None
    assert pttl(client, key) > 2500
    assert pttl(client, f"{prefix}:user-sessions:slider") >= pttl(client, key)

    time.sleep(2)  # 4 s after creation: alive only because the lookup pushed the expiry back
    assert store.lookup(token) is not None


def test_sessions_expire(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, ttl_seconds=1, prefix=prefix)
    untouched = store.create("brief", ip="127.0.0.1", user_agent="pytest")
    looked_up = store.create("brief", ip="127.0.0.1", user_agent="pytest")
    assert store.lookup(looked_up) is not None
    time.sleep(1.5)
    for token in (untouched, looked_up):
        assert store.lookup(token) is None
        assert not client.exists(f"{prefix}:session:{digest(token)}")
    assert not client.exists(f"{prefix}:user-sessions:brief")


def test_junk_tokens_are_rejected_without_errors(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, prefix=prefix)
    token = store.create("user-1", ip="127.0.0.1", user_agent="pytest")
    junk = ["", " ", "x" * 129, "y" * 100_000, "not a token", "\x00", "\udc80", "🙂" * 10,
            "A" * 43, token + "A", token[:-1], token.swapcase(), f" {token}", f"{token}\n",
            digest(token)]  # the stored digest is not a credential either
    for candidate in junk:
        assert store.lookup(candidate) is None, candidate
        store.revoke(candidate)
    assert store.lookup(token) is not None


def test_revoke_ends_only_that_session(client: redis.Redis, prefix: str) -> None:
    store = SessionStore(client, prefix=prefix)
    first = store.create("user-1", ip="127.0.0.1", user_agent="a")
    second = store.create("user-1", ip="127.0.0.1", user_agent="b")

    store.revoke(first)
    assert store.lookup(first) is None
    assert store.lookup(second) is not None
    assert result(client.smembers(f"{prefix}:user-sessions:user-1")) == {digest(second)}
    store.revoke(first)  # twice is harmless

    store.revoke_digest(digest(second), "user-1")
    assert store.lookup(second) is None


def test_revoke_all_keeps_the_current_session_and_spares_other_users(
    client: redis.Redis, prefix: str,
) -> None:
    store = SessionStore(client, prefix=prefix)
    mine = [store.create("alice", ip="1.1.1.1", user_agent="a") for _ in range(3)]
    theirs = store.create("bob", ip="2.2.2.2", user_agent="b")

    assert store.revoke_all("alice", except_digest=digest(mine[0])) == 2
    assert store.lookup(mine[0]) is not None
    assert store.lookup(mine[1]) is None and store.lookup(mine[2]) is None
    assert store.lookup(theirs) is not None

    assert store.revoke_all("alice") == 1
    assert store.lookup(mine[0]) is None
    assert store.revoke_all("alice") == 0
    assert store.lookup(theirs) is not None


# ---- login throttle ----------------------------------------------------------------------


class FakeClock:
    """The throttle's clock, moved by hand: delays are checked without waiting for them."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def throttle_of(client: redis.Redis, prefix: str, clock: FakeClock | None = None,
                **rules: int) -> LoginThrottle:
    base = {"window_seconds": WINDOW, "account_max_failures": 100, "ip_max_failures": 100}
    return LoginThrottle(client, LoginRules(**{**base, **rules}), prefix=prefix,
                         clock=clock or FakeClock())


def fail(throttle: LoginThrottle, account: str, ip: str) -> Attempt:
    attempt = throttle.acquire(account, ip)
    throttle.failed(attempt)
    return attempt


def test_five_failures_then_the_pair_waits_a_delay_that_doubles_up_to_the_cap(
    client: redis.Redis, prefix: str,
) -> None:
    clock = FakeClock()
    throttle = throttle_of(client, prefix, clock, max_delay_seconds=16)
    assert all(fail(throttle, ACCOUNT, IP).allowed for _ in range(5))

    waits = []
    for _ in range(7):
        refused = throttle.acquire(ACCOUNT, IP)  # refused before any password check
        assert not refused.allowed
        waits.append(refused.retry_after)
        clock.now += refused.retry_after - 0.5
        assert not throttle.acquire(ACCOUNT, IP).allowed  # still waiting
        clock.now += 0.5
        assert fail(throttle, ACCOUNT, IP).allowed  # the delay is over: one more try
    assert waits == [1, 2, 4, 8, 16, 16, 16]


def test_a_stranger_on_another_network_cannot_delay_the_owner(
    client: redis.Redis, prefix: str,
) -> None:
    throttle = throttle_of(client, prefix)
    for _ in range(5):
        fail(throttle, ACCOUNT, "198.51.100.66")
    assert not throttle.acquire(ACCOUNT, "198.51.100.66").allowed
    assert throttle.acquire(ACCOUNT, IP).allowed  # the owner's network is not restricted
    assert throttle.acquire("colleague@example.com", "198.51.100.66").allowed  # nor others


def test_the_pair_is_forgotten_after_the_quiet_period(client: redis.Redis, prefix: str) -> None:
    clock = FakeClock()
    throttle = throttle_of(client, prefix, clock, quiet_seconds=1)
    for _ in range(6):
        clock.now += 2
        fail(throttle, ACCOUNT, IP)
    assert throttle.acquire(ACCOUNT, IP).retry_after == 2
    time.sleep(3.5)  # delay (2 s) + quiet period (1 s): Redis drops the pair
    clock.now += 3.5
    fresh = throttle.acquire(ACCOUNT, IP)
    assert fresh.allowed and fresh.failures == 1


def test_the_right_password_clears_the_pair(client: redis.Redis, prefix: str) -> None:
    clock = FakeClock()
    throttle = throttle_of(client, prefix, clock)
    for _ in range(5):
        fail(throttle, ACCOUNT, IP)
    clock.now += 1
    throttle.succeeded(throttle.acquire(ACCOUNT, IP))
    assert all(fail(throttle, ACCOUNT, IP).allowed for _ in range(5))  # counting from zero


def test_the_ip_ceiling_spans_accounts_but_lets_known_pairs_pass(
    client: redis.Redis, prefix: str,
) -> None:
    throttle = throttle_of(client, prefix, ip_max_failures=5, ceiling_window_seconds=WINDOW)
    throttle.succeeded(throttle.acquire("regular@example.com", IP))  # logged in here before
    throttle.known("newcomer@example.com", IP)  # registered here
    for n in range(5):
        assert fail(throttle, f"user{n}@example.com", IP).allowed
    refused = throttle.acquire("user5@example.com", IP)
    assert not refused.allowed and 1 <= refused.retry_after <= WINDOW
    assert throttle.acquire("user5@example.com", "198.51.100.1").allowed  # another network
    assert throttle.acquire("regular@example.com", IP).allowed
    assert throttle.acquire("newcomer@example.com", IP).allowed


def test_the_account_ceiling_spans_ips_but_lets_known_pairs_pass(
    client: redis.Redis, prefix: str,
) -> None:
    throttle = throttle_of(client, prefix, account_max_failures=5,
                           ceiling_window_seconds=WINDOW)
    throttle.succeeded(throttle.acquire(ACCOUNT, IP))  # the owner's home network
    for n in range(5):
        spelling = ACCOUNT.upper() if n % 2 else f"  {ACCOUNT}  "
        assert fail(throttle, spelling, f"198.51.100.{n}").allowed
    refused = throttle.acquire(ACCOUNT, "198.51.100.99")
    assert not refused.allowed and 1 <= refused.retry_after <= WINDOW
    assert throttle.acquire("someone-else@example.com", "198.51.100.99").allowed
    assert throttle.acquire(ACCOUNT, IP).allowed


def test_successful_logins_do_not_count(client: redis.Redis, prefix: str) -> None:
    throttle = throttle_of(client, prefix, ip_max_failures=5)
    for n in range(20):
        attempt = throttle.acquire(f"user{n}@example.com", IP)
        assert attempt.allowed
        throttle.succeeded(attempt)
    assert result(client.get(f"{prefix}:login-fail:ip:{IP}")) in (None, "0")

    extra = throttle.acquire(ACCOUNT, IP)
    throttle.succeeded(extra)
    throttle.succeeded(extra)  # released twice: counters never go below zero
    assert result(client.get(f"{prefix}:login-fail:ip:{IP}")) in (None, "0")


def test_the_ceilings_end_with_their_window(client: redis.Redis, prefix: str) -> None:
    throttle = throttle_of(client, prefix, ip_max_failures=2, ceiling_window_seconds=1)
    fail(throttle, "a@example.com", IP)
    fail(throttle, "b@example.com", IP)
    refused = throttle.acquire("c@example.com", IP)
    assert not refused.allowed and refused.retry_after == 1
    time.sleep(1.2)
    assert throttle.acquire("c@example.com", IP).allowed


def test_the_window_is_fixed_from_the_first_failure(client: redis.Redis, prefix: str) -> None:
    throttle = throttle_of(client, prefix, window_seconds=2)
    fail(throttle, ACCOUNT, IP)
    time.sleep(1.2)
    for _ in range(3):
        fail(throttle, ACCOUNT, IP)
    time.sleep(1.2)  # 2.4 s after the first failure: the four failures are forgotten
    assert fail(throttle, ACCOUNT, IP).failures == 1


def test_concurrent_attempts_never_exceed_the_limits(client: redis.Redis, prefix: str) -> None:
    throttle = throttle_of(client, prefix, account_max_failures=8)  # a frozen clock
    barrier = threading.Barrier(20)

    def attempt(ip: str) -> Attempt:
        barrier.wait()
        return fail(throttle, ACCOUNT, ip)

    with ThreadPoolExecutor(20) as pool:
        same_ip = list(pool.map(attempt, [IP] * 20))
        many_ips = list(pool.map(attempt, [f"198.51.100.{n}" for n in range(20)]))
    assert sum(outcome.allowed for outcome in same_ip) == 5  # the pair's threshold
    assert sum(outcome.allowed for outcome in many_ips) == 3  # the account's ceiling (8)
    assert all(o.retry_after >= 1 for o in same_ip + many_ips if not o.allowed)


# ---- rate limits -------------------------------------------------------------------------


def test_a_rate_limit_counts_every_subject_and_refuses_without_counting(
    client: redis.Redis, prefix: str,
) -> None:
    limiter = RateLimiter(client, prefix=prefix)
    per_email, per_ip = Limit("reset-email", 2, WINDOW), Limit("reset-ip", 3, WINDOW)
    assert limiter.hit((per_email, ACCOUNT), (per_ip, IP)) == 0
    assert limiter.hit((per_email, ACCOUNT), (per_ip, IP)) == 0
    wait = limiter.hit((per_email, ACCOUNT), (per_ip, IP))
    assert 1 <= wait <= WINDOW
    assert result(client.get(limiter.key(per_ip, IP))) == "2"  # the refusal counted nowhere
    assert limiter.hit((per_email, "other@example.com"), (per_ip, IP)) == 0
    assert limiter.hit((per_email, "third@example.com"), (per_ip, IP)) >= 1  # the IP is full
    assert ACCOUNT not in dump_everything(client) and IP not in "".join(
        client.scan_iter(f"{prefix}:limit:*"))


def test_a_rate_limit_ends_with_its_window(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix=prefix)
    once = Limit("register-ip", 1, 1)
    assert limiter.hit((once, IP)) == 0
    assert limiter.hit((once, IP)) == 1
    time.sleep(1.2)
    assert limiter.hit((once, IP)) == 0


def test_concurrent_requests_never_exceed_a_rate_limit(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix=prefix)
    limit = Limit("password-change-account", 5, WINDOW)
    barrier = threading.Barrier(20)

    def request(_: int) -> int:
        barrier.wait()
        return limiter.hit((limit, "user-1"))

    with ThreadPoolExecutor(20) as pool:
        waits = list(pool.map(request, range(20)))
    assert waits.count(0) == 5


# ---- Redis unavailable -------------------------------------------------------------------


@pytest.mark.integration
def test_errors_propagate_when_redis_is_down(prefix: str) -> None:
    """Real servers only: what the client library raises when the server goes away."""
    server = start_private_redis()
    connection = connect(server)
    try:
        throttle = LoginThrottle(connection, prefix=prefix)
        store = SessionStore(connection, prefix=prefix)
        assert throttle.acquire(ACCOUNT, IP).allowed
        token = store.create("user-1", ip="127.0.0.1", user_agent="pytest")

        stop_private_redis(server)
        with pytest.raises(redis.RedisError):
            throttle.acquire(ACCOUNT, IP)
        with pytest.raises(redis.RedisError):
            store.lookup(token)
        with pytest.raises(redis.RedisError):
            store.create("user-1", ip="127.0.0.1", user_agent="pytest")
    finally:
        connection.close()
        stop_private_redis(server)
