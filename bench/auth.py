"""Auth benchmark: login, /api/me and the rate limiter, against a bare Redis round trip.

Starts a private embedded stack (free ports, throwaway data) and the API, then measures in
one run:
- a bare Redis PING round trip (the unit every other row is divided by);
- the login limiter's own cost (acquire + release, one Lua call and one pipeline);
- a session lookup (GET + EXPIRE of the hashed token);
- argon2id hashing alone (the parameters in chalicelib/auth/passwords.py);
- POST /api/auth/login and GET /api/me over HTTP through `chalice local`.

Run: `.venv/bin/python bench/auth.py`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.auth import passwords  # noqa: E402
from chalicelib.auth.throttle import LoginThrottle  # noqa: E402
from chalicelib.resources import Resources  # noqa: E402
from chalicelib.services import Services  # noqa: E402
from tests.support import unique  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def main() -> None:
    from chalicelib.aws import make_session
    from chalicelib.config import Settings
    from chalicelib.resources import Resources
    from infra.deployer import deploy
    from localcloud.stack import EmbeddedStack
    from tests.support import free_port, unique

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NOTFLIX_LOCAL_DIR"] = tmp
        env = {**os.environ, "NOTFLIX_AWS_PORT": str(free_port()),
               "NOTFLIX_REDIS_PORT": str(free_port()), "NOTFLIX_NEO4J_PORT": str(free_port()),
               "NOTFLIX_API_PORT": str(free_port()), "NOTFLIX_PREFIX": unique("bench-")}
        stack = EmbeddedStack(env=env, record_pids=False)
        stack.install()
        stack.start_sidecars()
        try:
            settings = Settings.from_env(stack.child_env())
            deploy(settings, make_session(settings))
            stack.start_api()
            rows = run(Resources(settings), stack.api_url)
        finally:
            stack.stop()
    report(rows)


def run(resources: Resources, api_url: str) -> dict[str, tuple[float, float]]:
    services = Services(resources)
    throttle = LoginThrottle(resources.redis, prefix=unique("b"))

    def limiter() -> None:
        throttle.succeeded(throttle.acquire("someone@example.com", "10.0.0.1"))

    token = services.sessions.create("bench-user", ip="127.0.0.1", user_agent="bench")
    rows = {
        "redis PING (bare round trip)": measure(resources.redis.ping, 2000),
        "login limiter (acquire + release)": measure(limiter, 2000),
        "session lookup (sliding TTL)": measure(lambda: services.sessions.lookup(token), 2000),
        "argon2id hash (alone)": measure(lambda: passwords.hash_password("p" * 16), 20),
    }
    email, password = f"{unique('bench-')}@example.com", "bench-mark-phrase-long-1"
    credentials = {"email": email, "password": password}
    with httpx.Client(base_url=api_url, timeout=30) as http:
        http.post("/api/auth/register", json={**credentials, "display_name": "Load Tester"}
                  ).raise_for_status()
        rows["POST /api/auth/login (HTTP)"] = measure(
            lambda: http.post("/api/auth/login", json=credentials).raise_for_status(), 60)
        token = http.post("/api/auth/login", json=credentials).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        rows["GET /api/me (HTTP, session lookup)"] = measure(
            lambda: http.get("/api/me", headers=bearer).raise_for_status(), 300)
    return rows


def report(rows: dict[str, tuple[float, float]]) -> None:
    base = rows["redis PING (bare round trip)"][0]
    print(f"{'what':<40} {'p50 ms':>8} {'p99 ms':>8} {'p50 / PING':>11}")
    for name, (p50, p99) in rows.items():
        print(f"{name:<40} {p50:8.2f} {p99:8.2f} {p50 / base:11.1f}")
    hasher = passwords.HASHER
    print(f"argon2id: time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB "
          f"parallelism={hasher.parallelism}")


if __name__ == "__main__":
    main()
