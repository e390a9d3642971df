"""The login throttle and session store against the real Redis."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.auth.sessions import SessionStore, digest
from chalicelib.auth.throttle import LoginThrottle
from chalicelib.resources import Resources
from tests.support import unique

pytestmark = pytest.mark.integration


def test_concurrent_attempts_never_exceed_the_limit(resources: Resources) -> None:
    throttle = LoginThrottle(resources.redis, max_failures=5, window_seconds=30,
                             prefix=unique("thr-"))
    barrier = threading.Barrier(20)

    def attempt(_: int) -> bool:
        barrier.wait()
        outcome = throttle.acquire("victim@example.com", "203.0.113.9")
        throttle.failed(outcome)
        return outcome.allowed

    with ThreadPoolExecutor(20) as pool:
        allowed = list(pool.map(attempt, range(20)))
    assert allowed.count(True) == 5


def test_successes_release_their_slot_and_the_window_expires(resources: Resources) -> None:
    throttle = LoginThrottle(resources.redis, max_failures=2, window_seconds=1,
                             prefix=unique("thr-"))
    for _ in range(5):
        throttle.succeeded(throttle.acquire("a@example.com", "198.51.100.1"))
    first, second = (throttle.acquire("a@example.com", "198.51.100.1") for _ in range(2))
    assert first.allowed and second.allowed
    blocked = throttle.acquire("a@example.com", "198.51.100.2")
    assert not blocked.allowed and blocked.retry_after >= 1
    time.sleep(1.3)
    assert throttle.acquire("a@example.com", "198.51.100.1").allowed


def test_sessions_store_only_digests_and_slide(resources: Resources) -> None:
    store = SessionStore(resources.redis, ttl_seconds=3, prefix=unique("ses-"))
    token = store.create("user-1", ip="127.0.0.1", user_agent="pytest")
    keys = list(resources.redis.scan_iter(f"{store.prefix}:*"))
    dumped = " ".join(keys) + " ".join(str(resources.redis.hgetall(k)) for k in keys
                                       if resources.redis.type(k) == "hash")
    assert token not in dumped and digest(token) in dumped
    time.sleep(2)
    assert store.lookup(token) is not None  # pushes expiry back to 3 s
    time.sleep(2)
    session = store.lookup(token)
    assert session is not None and session.user_id == "user-1"
    time.sleep(3.2)
    assert store.lookup(token) is None
    for junk in ("", "x" * 500, "not-a-token"):
        assert store.lookup(junk) is None


def test_revoke_all_keeps_the_current_session_and_spares_other_users(
    resources: Resources,
) -> None:
    store = SessionStore(resources.redis, prefix=unique("ses-"))
    mine = [store.create("alice", ip="1.1.1.1", user_agent="a") for _ in range(3)]
    theirs = store.create("bob", ip="2.2.2.2", user_agent="b")
    assert store.revoke_all("alice", except_digest=digest(mine[0])) == 2
    assert store.lookup(mine[0]) is not None
    assert store.lookup(mine[1]) is None and store.lookup(mine[2]) is None
    assert store.lookup(theirs) is not None
