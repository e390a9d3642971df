"""Auth benchmark: login, /api/me and the rate limiter, against a bare Redis round trip.

Starts a private embedded stack and the API, then measures in one run: a bare Redis PING
(the unit every row is divided by), the login limiter's own cost, a session lookup, argon2id
hashing alone, and `POST /api/auth/login` and `GET /api/me` over HTTP.

Run: `.venv/bin/python -m bench.auth`.
"""

from __future__ import annotations

from bench.harness import http_client, measure, private_stack, report
from chalicelib.auth import passwords
from chalicelib.auth.throttle import LoginThrottle
from chalicelib.resources import Resources
from chalicelib.services import Services
from tests.support import unique


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
    credentials = {"email": f"{unique('bench-')}@example.com",
                   "password": "bench-mark-phrase-long-1"}
    with http_client(api_url) as http:
        http.post("/api/auth/register", json={**credentials, "display_name": "Load Tester"}
                  ).raise_for_status()
        rows["POST /api/auth/login (HTTP)"] = measure(
            lambda: http.post("/api/auth/login", json=credentials).raise_for_status(), 60)
        bearer = {"Authorization": "Bearer "
                  + http.post("/api/auth/login", json=credentials).json()["token"]}
        rows["GET /api/me (HTTP, session lookup)"] = measure(
            lambda: http.get("/api/me", headers=bearer).raise_for_status(), 300)
    return rows


def main() -> None:
    with private_stack() as (settings, api_url):
        rows = run(Resources(settings), api_url)
    report(rows, "redis PING (bare round trip)")
    hasher = passwords.HASHER
    print(f"argon2id: time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB "
          f"parallelism={hasher.parallelism}")


if __name__ == "__main__":
    main()
