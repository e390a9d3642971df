"""Auth benchmark: login, /api/me and the rate limiter, against a bare Redis round trip.

Starts a private embedded stack and the API, then measures in one run: a bare Redis PING
(the unit every row is divided by), the login limiter's own cost, a session lookup, argon2id
hashing alone, and `POST /api/auth/login` and `GET /api/me` over HTTP.

Then, side by side (interleaved, so drift hits both alike), a wrong-password login and a reset
request for an email that has an account and for one that has none: the known/unknown p50
ratio should be 1 (issue 18, finding 7). Each call uses a fresh account or email (the pair
rule would otherwise delay the sixth), and the stack's ceilings and per-IP limits are raised
so that the bench measures the work, not the refusals.

Run: `.venv/bin/python -m bench.auth`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from bench.harness import http_client, measure, percentiles_ms, private_stack, report
from chalicelib.auth import passwords
from chalicelib.auth.throttle import LoginThrottle
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.isolation import unique


def run(resources: Resources, api_url: str) -> dict[str, tuple[float, float]]:
    services = Services(resources)
    throttle = LoginThrottle(resources.redis, prefix=unique("b"))

    def limiter() -> None:
        throttle.succeeded(throttle.acquire("someone@example.com", "10.0.0.1"))

    token = services.sessions.create("bench-user", ip="127.0.0.1", user_agent="bench")
    rows = {
        "redis PING (bare round trip)": measure(resources.redis.ping, 2000),
        "login throttle (acquire + succeeded)": measure(limiter, 2000),
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
        rows.update(known_vs_unknown(services, http))
    return rows


#: The stack's limits raised out of the way (the bench sends all from one IP).
UNLIMITED = {name: "1000000" for name in (
    "NOTFLIX_LOGIN_ACCOUNT_MAX_FAILURES", "NOTFLIX_LOGIN_IP_MAX_FAILURES",
    "NOTFLIX_RESET_MAILS_PER_IP", "NOTFLIX_REGISTRATIONS_PER_IP")}
SIDE_BY_SIDE_RUNS = 60


def side_by_side(known: Callable[[str], object], unknown: Callable[[str], object],
                 known_emails: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50/p99 ms of `known` and `unknown`, called alternately, each with a fresh email."""
    samples: tuple[list[float], list[float]] = ([], [])
    for email in known_emails:
        for side, (call, address) in enumerate(((known, email),
                                                (unknown, f"{unique('nobody-')}@example.com"))):
            started = time.perf_counter()
            call(address)
            samples[side].append(time.perf_counter() - started)
    return percentiles_ms(samples[0]), percentiles_ms(samples[1])


def known_vs_unknown(services: Services,
                     http: httpx.Client) -> dict[str, tuple[float, float]]:
    password_hash = passwords.hash_password("bench-mark-phrase-long-1")
    emails = [services.users.create(f"{unique('known-')}@example.com", "Known",
                                    password_hash).email
              for _ in range(2 * SIDE_BY_SIDE_RUNS + 2)]

    def wrong_login(email: str) -> None:
        response = http.post("/api/auth/login", json={"email": email,
                                                      "password": "not-the-password-1"})
        assert response.status_code == 401, response.text

    def reset(email: str) -> None:
        assert http.post("/api/auth/password-reset", json={"email": email}).status_code == 202

    wrong_login(emails.pop())  # warm-up
    reset(emails.pop())
    login_known, login_unknown = side_by_side(wrong_login, wrong_login,
                                              emails[:SIDE_BY_SIDE_RUNS])
    reset_known, reset_unknown = side_by_side(reset, reset, emails[SIDE_BY_SIDE_RUNS:])
    return {"login, wrong password, known email (HTTP)": login_known,
            "login, unknown email (HTTP)": login_unknown,
            "password reset request, known email (HTTP)": reset_known,
            "password reset request, unknown email (HTTP)": reset_unknown}


def main() -> None:
    with private_stack(UNLIMITED) as (settings, api_url):
        rows = run(Resources(settings), api_url)
    report(rows, "redis PING (bare round trip)")
    for what in ("login", "password reset request"):
        known = rows[f"{what}, {'wrong password, ' if what == 'login' else ''}known email (HTTP)"]
        unknown = rows[f"{what}, unknown email (HTTP)"]
        print(f"{what}: known / unknown p50 = {known[0] / unknown[0]:.3f}")
    hasher = passwords.HASHER
    print(f"argon2id: time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB "
          f"parallelism={hasher.parallelism}")


if __name__ == "__main__":
    main()
