"""Setting up the load benchmark over HTTP: the stack's health, the catalogue, subscribers.

Everything goes through the running service's public interface, as a browser and PayPal
would: a user registers (`POST /api/auth/register`, which returns a session token, so no
login and no login throttling is involved), subscribes (`POST /api/subscriptions`), opens
the local PayPal's approval page and agrees; the local PayPal then delivers its signed
`BILLING.SUBSCRIPTION.ACTIVATED` and `PAYMENT.SALE.COMPLETED` webhooks to the API before it
answers, so the subscription is active when `approve` returns.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

#: Accepted by the password policy (long, no common words, nothing of the email or name).
PASSWORD = "amber-lantern-drift-73"
PAGES = {"film": 3, "series": 1}
PAGE_LIMIT = 100


class SetupError(RuntimeError):
    """The stack is not there or not ready; the message says what to do."""


@dataclass(frozen=True)
class Subscriber:
    email: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Catalogue:
    """What the simulated users pick from: title ids, the playable ones, search words."""

    title_ids: list[str] = field(default_factory=list)
    playable_ids: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


async def check_stack(client: httpx.AsyncClient) -> None:
    """`GET /health`, or a SetupError naming what is down and how to start the stack."""
    url = f"{str(client.base_url).rstrip('/')}/health"
    try:
        response = await client.get("/health", timeout=10)
    except httpx.HTTPError as exc:
        raise SetupError(f"nothing answers at {url} ({type(exc).__name__}): start the stack "
                         "with `make run` (or `.venv/bin/notflix up`) in another terminal, "
                         "or pass --base-url") from exc
    if response.status_code != 200:
        try:
            down = ", ".join(response.json().get("down", [])) or "unknown"
        except ValueError:
            down = f"HTTP {response.status_code}"
        raise SetupError(f"{url} reports parts down ({down}); see `make status`")


async def discover_catalogue(client: httpx.AsyncClient, wait_s: float,
                             say: Callable[[str], None]) -> Catalogue:
    """Browse the first pages of films and series; wait (up to `wait_s`) for a playable one.

    On a fresh `make run` the demo streams are still encoding for a minute or two.
    """
    deadline = time.monotonic() + wait_s
    while True:
        catalogue = await _browse_all(client)
        if catalogue.playable_ids:
            return catalogue
        if time.monotonic() >= deadline:
            raise SetupError(f"no playable title in the first pages of /api/titles after "
                             f"{wait_s:.0f}s: are the demo streams encoding? see "
                             "`.local/logs/event-runner.log`")
        say("no playable title yet (the demo streams are still encoding); waiting...")
        await asyncio.sleep(10)


async def _browse_all(client: httpx.AsyncClient) -> Catalogue:
    catalogue = Catalogue()
    genres: set[str] = set()
    words: set[str] = set()
    for kind, pages in PAGES.items():
        cursor: str | None = None
        for _ in range(pages):
            params = {"type": kind, "limit": str(PAGE_LIMIT)}
            if cursor:
                params["cursor"] = cursor
            response = await client.get("/api/titles", params=params, timeout=30)
            if response.status_code != 200:
                raise SetupError(f"GET /api/titles answered {response.status_code}: "
                                 f"{response.text[:200]}")
            body: dict[str, Any] = response.json()
            for card in body["titles"]:
                catalogue.title_ids.append(card["id"])
                if card.get("playable"):
                    catalogue.playable_ids.append(card["id"])
                genres.update(card.get("genres") or [])
                words.update(w.lower() for w in str(card["name"]).split() if w.isalpha())
            cursor = body.get("next")
            if not cursor:
                break
    catalogue.genres = sorted(genres)
    catalogue.words = sorted(words)
    return catalogue


async def make_subscribers(client: httpx.AsyncClient, count: int, concurrency: int,
                           say: Callable[[str], None]) -> list[Subscriber]:
    """`count` new users, each with an active subscription; `concurrency` set up at a time."""
    run = secrets.token_hex(4)
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(n: int) -> Subscriber:
        nonlocal done
        async with gate:
            subscriber = await _subscriber(client, f"load-{run}-{n}@example.com")
        done += 1
        if done % 25 == 0 or done == count:
            say(f"{done}/{count} subscribers ready")
        return subscriber

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def _subscriber(client: httpx.AsyncClient, email: str) -> Subscriber:
    registered = await client.post("/api/auth/register", timeout=60, json={
        "email": email, "password": PASSWORD, "display_name": "Load Viewer"})
    _expect(registered, 201, "register")
    subscriber = Subscriber(email, registered.json()["token"])
    created = await client.post("/api/subscriptions", json={"plan": "standard"},
                                headers=subscriber.bearer, timeout=60)
    _expect(created, 201, "subscribe")
    approve_url = str(created.json()["approve_url"])
    subscription_id = str(created.json()["subscription_id"])
    page = await client.get(approve_url, timeout=60)
    _expect(page, 200, "PayPal approval page")
    agreed = await client.post(approve_url.split("?")[0], timeout=60,
                               data={"subscription_id": subscription_id})
    _expect(agreed, 302, "PayPal approval")
    return subscriber


def _expect(response: httpx.Response, status: int, step: str) -> None:
    if response.status_code != status:
        raise SetupError(f"set-up step '{step}' answered HTTP {response.status_code} "
                         f"(expected {status}): {response.text[:300]}")
