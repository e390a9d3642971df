"""Load benchmark: 100 simulated subscribers browse, search, play and report progress for 60 s.

Runs against the stack `make run` serves (default http://127.0.0.1:8000, or `--base-url`)
and says so when nothing answers there (exit status 2).

Set-up (not timed): `GET /health`; the first pages of `/api/titles` (films and series) give
title ids, genres, search words and the playable titles (waits for the demo streams if they
are still encoding); `--users` new accounts register, subscribe and approve on the local
PayPal (`bench/load_setup.py`); one request of every route warms the API up (its first
request of a kind pays lazy imports).

Timed window (`--seconds`): every user is an asyncio task running a closed loop with think
time: pick an action by weight, make its request, wait a think time drawn uniformly from
0.5-1.5 x `--think` (default 1 s), repeat. Users start spread over the first think time.
No request starts after the window ends; those in flight are awaited and counted.

| action | weight | request |
| --- | --- | --- |
| home page | 10 | `GET /` (HTML, logged in: rows, continue watching, recommendations) |
| browse | 25 | `GET /api/titles?limit=20`, unfiltered, by type or by genre; a third follow `next` |
| title | 15 | `GET /api/titles/{id}` |
| search | 20 | `GET /api/search?q=` a word or a 1-4 letter prefix from the catalogue |
| play | 10 | `GET /api/titles/{id}/play` of a playable title (a new play id) |
| progress | 20 | `POST /api/me/progress` of the user's current play, 10 s further each time |

A progress action by a user with nothing playing plays a title instead (counted as a play).
An error is a transport failure or timeout (`--timeout`, 10 s) or any status other than the
route's success status; latencies include failed requests. Each request opens its own
connection (see `bench.harness.http_client`: `chalice local` on a kept-alive connection adds
~40 ms of delayed ACK that API Gateway does not).

Output: per route count, errors, p50, p99 and max in ms; total throughput; the CPU the client
and each process of the stack (from `.local/run/*.pid`) used over the window, and the stack's
CPU seconds per request (background work included: the event runner polls its queues), which
says more than latency on a shared machine. Exit status 1 if any request failed, 2 if the
stack is not up or the set-up failed.

Run: `make run` in one terminal, then `.venv/bin/python -m bench.load`. With `--start-stack`
(what `make bench-load` and `make bench` pass) it starts the stack itself when nothing answers
and stops it afterwards (`bench/load_stack.py`). Each run leaves `--users` accounts
(`load-<run>-<n>@example.com`) in the stack's data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.load_setup import (
    Catalogue,
    SetupError,
    Subscriber,
    check_stack,
    discover_catalogue,
    make_subscribers,
)
from bench.load_stack import stack_running
from bench.load_stats import Recorder, print_report, stack_cpu_seconds

PAGE_HEADERS = {"Accept": "text/html"}
PROGRESS_STEP_S = 10.0


# -- the simulated user -------------------------------------------------------------------
@dataclass
class Playing:
    title_id: str
    play_id: str
    position_s: float
    duration_s: float
    episode: str | None


class User:
    """One subscriber's closed loop: an action, a think time, again, until the deadline."""

    def __init__(self, subscriber: Subscriber, client: httpx.AsyncClient, catalogue: Catalogue,
                 recorder: Recorder, rng: random.Random, think_s: float) -> None:
        self.subscriber = subscriber
        self.client = client
        self.catalogue = catalogue
        self.recorder = recorder
        self.rng = rng
        self.think_s = think_s
        self.deadline = 0.0
        self.cursor: str | None = None
        self.filters: dict[str, str] = {}
        self.playing: Playing | None = None
        self.actions: list[tuple[Callable[[], Awaitable[None]], int]] = [
            (self.home, 10), (self.browse, 25), (self.title, 15), (self.search, 20),
            (self.play, 10), (self.progress, 20)]

    async def run(self, deadline: float) -> None:
        self.deadline = deadline
        functions = [a for a, _ in self.actions]
        weights = [w for _, w in self.actions]
        pause = self.rng.uniform(0, self.think_s)
        while deadline - time.perf_counter() > pause:
            await asyncio.sleep(pause)
            await self.rng.choices(functions, weights)[0]()
            pause = self.think_s * self.rng.uniform(0.5, 1.5)

    async def call(self, route: str, method: str, url: str, expect: int = 200,
                   **kwargs: Any) -> httpx.Response | None:
        """One timed request; None when it failed or the window is over."""
        started = time.perf_counter()
        if started >= self.deadline:
            return None
        headers = {**self.subscriber.bearer, **kwargs.pop("headers", {})}
        try:
            response = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.recorder.add(route, time.perf_counter() - started, type(exc).__name__,
                              str(exc))
            return None
        elapsed = time.perf_counter() - started
        if response.status_code != expect:
            self.recorder.add(route, elapsed, f"HTTP {response.status_code}", response.text)
            return None
        self.recorder.add(route, elapsed)
        return response

    # -- actions ----------------------------------------------------------------------------
    async def home(self) -> None:
        await self.call("GET / (home page)", "GET", "/", headers=PAGE_HEADERS)

    async def browse(self) -> None:
        params = {"limit": "20"}
        if self.cursor and self.rng.random() < 1 / 3:
            params["cursor"] = self.cursor
        else:
            self.cursor = None
            kind = self.rng.choice(("all", "film", "series", "genre"))
            if kind == "genre" and self.catalogue.genres:
                params["genre"] = self.rng.choice(self.catalogue.genres)
            elif kind in ("film", "series"):
                params["type"] = kind
            self.filters = {k: v for k, v in params.items() if k != "limit"}
        if "cursor" in params:
            params.update(self.filters)
        response = await self.call("GET /api/titles", "GET", "/api/titles", params=params)
        if response is not None:
            self.cursor = response.json().get("next")

    async def title(self) -> None:
        title_id = self.rng.choice(self.catalogue.title_ids)
        await self.call("GET /api/titles/{id}", "GET", f"/api/titles/{title_id}")

    async def search(self) -> None:
        word = self.rng.choice(self.catalogue.words)
        query = word if self.rng.random() < 0.5 else word[:self.rng.randint(1, 4)]
        await self.call("GET /api/search", "GET", "/api/search", params={"q": query})

    async def play(self) -> None:
        title_id = self.rng.choice(self.catalogue.playable_ids)
        response = await self.call("GET /api/titles/{id}/play", "GET",
                                   f"/api/titles/{title_id}/play")
        if response is None:
            return
        body = response.json()
        duration = float(body.get("duration_s") or 30.0)
        start = float(body.get("resume_s") or 0.0)
        episode = (body.get("episode") or {}).get("label")
        self.playing = Playing(title_id, uuid.uuid4().hex, min(start, duration), duration,
                               episode)

    async def progress(self) -> None:
        playing = self.playing
        if playing is None:
            await self.play()
            return
        playing.position_s = min(playing.position_s + PROGRESS_STEP_S, playing.duration_s)
        body: dict[str, Any] = {"title_id": playing.title_id, "position_s": playing.position_s,
                                "duration_s": playing.duration_s, "play_id": playing.play_id}
        if playing.episode:
            body["episode"] = playing.episode
        await self.call("POST /api/me/progress", "POST", "/api/me/progress", json=body)
        if playing.position_s >= playing.duration_s:
            self.playing = None


# -- the run ------------------------------------------------------------------------------
def say(message: str) -> None:
    print(message, flush=True)


async def warm_up(user: User) -> None:
    """One request of every kind before timing (the first of each pays lazy imports)."""
    timed, user.recorder = user.recorder, Recorder()
    user.deadline = float("inf")
    for action, _ in user.actions:  # play comes before progress: progress posts
        await action()
    failed = [f"{route}: {kind} ({stats.samples[kind]})"
              for route, stats in user.recorder.routes.items() for kind in stats.errors]
    user.recorder, user.playing = timed, None
    if failed:
        raise SetupError("the warm-up requests failed: " + "; ".join(failed))


async def run(args: argparse.Namespace) -> int:
    limits = httpx.Limits(max_connections=args.users * 2, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=args.base_url, limits=limits,
                                 timeout=args.timeout) as client:
        try:
            await check_stack(client)
            say(f"stack up at {args.base_url}; reading the catalogue")
            catalogue = await discover_catalogue(client, args.wait_playable, say)
            say(f"{len(catalogue.title_ids)} titles, {len(catalogue.playable_ids)} playable; "
                f"setting up {args.users} subscribers")
            started = time.perf_counter()
            subscribers = await make_subscribers(client, args.users, args.setup_concurrency,
                                                 say)
            say(f"set-up took {time.perf_counter() - started:.1f}s")
            rng = random.Random(args.seed)
            recorder = Recorder()
            users = [User(s, client, catalogue, recorder, random.Random(rng.random()),
                          args.think) for s in subscribers]
            await warm_up(users[0])
        except SetupError as exc:
            print(f"load bench: {exc}", file=sys.stderr)
            return 2
        say(f"running {args.users} users for {args.seconds:.0f}s "
            f"(closed loop, think {args.think:g}s x 0.5-1.5)")
        cpu_client, cpu_stack = time.process_time(), stack_cpu_seconds()
        started = time.perf_counter()
        deadline = started + args.seconds
        await asyncio.gather(*(u.run(deadline) for u in users))
        elapsed = time.perf_counter() - started
        cpu_client = time.process_time() - cpu_client
        cpu_stack = {name: seconds - cpu_stack[name]
                     for name, seconds in stack_cpu_seconds().items() if name in cpu_stack}
    print_report(recorder, args.users, elapsed, {"load client": cpu_client, **cpu_stack})
    return 1 if recorder.errors else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    port = os.environ.get("NOTFLIX_API_PORT", "8000")
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{port}",
                        help="the running API (default: `make run`'s)")
    parser.add_argument("--users", type=int, default=100, help="simulated users")
    parser.add_argument("--seconds", type=float, default=60.0, help="the timed window")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean think time between a user's requests, in seconds")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="a request slower than this is an error")
    parser.add_argument("--setup-concurrency", type=int, default=8,
                        help="users registered and subscribed at a time")
    parser.add_argument("--wait-playable", type=float, default=300.0,
                        help="how long to wait for the demo streams to be playable")
    parser.add_argument("--seed", type=int, default=7, help="seed of the users' choices")
    parser.add_argument("--start-stack", action="store_true",
                        help="if nothing answers, run `notflix up` for the benchmark's length")
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or args.think < 0 or args.timeout <= 0:
        parser.error("--users must be at least 1; --seconds and --timeout above 0; "
                     "--think not negative")
    args.base_url = args.base_url.rstrip("/")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with stack_running(args.base_url, args.start_stack, say):
            return asyncio.run(run(args))
    except SetupError as exc:
        print(f"load bench: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
