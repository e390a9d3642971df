"""Playback benchmark as a viewer: headless Chromium through the real pages, measuring video
start time and rebuffering itself, beside what the playback-quality telemetry recorded.

Runs against the stack `make run` serves (default http://127.0.0.1:8000, or `--base-url`);
exit status 2 when nothing answers there or the set-up fails.

Set-up (not measured): `GET /health`; the playable titles from `/api/titles` (the demo films
and the demo series' episodes; waits while they are still encoding); a new viewer registers
and subscribes on the local PayPal (`bench/load_setup.py`); when the API lists
`POST /api/me/profiles` (profiles), a second profile "Bench" is created; an admin is created
in the stack's own tables (as `notflix admin create` does) to read the telemetry.

The viewer (Playwright driving Chromium, `--autoplay-policy=no-user-gesture-required` so the
player starts with sound as a viewer's click would allow) logs in through the login page,
and when it lands on the profile picker (`/profiles`) picks "Bench". Then `--plays` times
(20), cycling through the demo films and episodes: open the title page, click its Play link
(a film's Play or Resume, an episode's Play), let it play `--seconds` (9) from its first
frame, and leave for the next title page (the player sends its last beacon on `pagehide`).

What the benchmark measures itself, with an init script of its own (nothing of the
player's code): the click on the Play link (a capturing listener on the title page, the
time kept in sessionStorage) to the first frame presented while playing
(`requestVideoFrameCallback` after the first `playing` event): the video start time; after
the first frame, the time between each `waiting` (not while seeking) and the next `playing`
or advancing `timeupdate`: the rebuffer time; the media time played from the first frame.
Rebuffer ratio = rebuffer time / (media time played + rebuffer time).

What the telemetry recorded for the same plays: `GET /api/admin/playback?days=2` before and
after the plays (two UTC days, so a run across midnight still holds all of them); the
difference of the per-title rows of the titles played (start-up histograms, rebuffer and
watch time) is exactly these plays when nothing else plays them meanwhile (a benchmark's own
stack), whatever was recorded before. Its p50/p95 are read from the 2% buckets
(`chalicelib/telemetry/histogram.py`, nearest rank, as the measured ones).

Output: p50 and p95 video start and the rebuffer ratio, measured beside recorded, and their
ratio; the page's own overall figures when the window held only these plays. Exit status 1
if a figure differs by more than 10% (rebuffer ratios both under 0.1% agree: no
rebuffering), if a play did not start, or if the telemetry did not record every play.

Before it lists the titles it waits for the machine to go quiet (`bench/encode.py`'s
`wait_for_quiet`: the demo's encodes and the catalogue's import finished). The time played
is compared too (the player's watch time against the media time the benchmark saw advance).

Run: `make bench-playback` (against `make run`'s stack, started for the run when none
answers) or `.venv/bin/python -m bench.playback`, with no suite or other benchmark running
beside it (their CPU would be measured as start-up time).
Each run leaves a viewer and an admin account (`bench-*@example.com`) behind.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.encode import wait_for_quiet
from bench.load_setup import PASSWORD, SetupError, Subscriber, make_subscribers
from bench.load_stack import stack_running
from chalicelib.telemetry import histogram

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
TOLERANCE = 0.10
GOAL_P95_MS = 1500.0
NO_REBUFFERING = 0.001
MEASURE = """
(() => {
  const KEY = "bench.click";
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener("click", (e) => {
    const link = e.target && e.target.closest ? e.target.closest("a[href*='/watch/']") : null;
    if (link) { sessionStorage.setItem(KEY, String(now())); }
  }, true);
  if (!location.pathname.startsWith("/watch/")) { return; }
  const m = window.__bench = { click: Number(sessionStorage.getItem(KEY)) || null,
    first: null, firstMedia: null, stallMs: 0, stallAt: null, stallMedia: null,
    armed: false, seeking: false };
  sessionStorage.removeItem(KEY);
  const watch = () => {
    const v = document.querySelector("video");
    if (!v) { return; }
    const stallEnds = () => {
      if (m.stallAt !== null) { m.stallMs += now() - m.stallAt; m.stallAt = null; }
    };
    v.addEventListener("playing", () => {
      stallEnds();
      if (!m.armed) {
        m.armed = true;
        v.requestVideoFrameCallback((t) => { m.first = performance.timeOrigin + t;
                                              m.firstMedia = v.currentTime; });
      }
    });
    v.addEventListener("seeking", () => { m.seeking = true; m.stallAt = null; });
    v.addEventListener("seeked", () => { m.seeking = false; });
    v.addEventListener("waiting", () => {
      if (m.first !== null && !m.seeking && !v.paused && m.stallAt === null) {
        m.stallAt = now(); m.stallMedia = v.currentTime;
      }
    });
    v.addEventListener("timeupdate", () => {
      if (m.stallAt !== null && v.currentTime > m.stallMedia + 0.01) { stallEnds(); }
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else { watch(); }
})();
"""
READ = """() => { const m = window.__bench, v = document.querySelector('video');
  const open = m.stallAt !== null ? performance.timeOrigin + performance.now() - m.stallAt : 0;
  return {click: m.click, first: m.first, stall_ms: m.stallMs + open,
          played_s: m.firstMedia === null ? 0 : v.currentTime - m.firstMedia}; }"""


@dataclass(frozen=True)
class Measured:
    title_id: str
    start_ms: float
    stall_ms: float
    played_ms: float


def say(text: str) -> None:
    print(f"[playback] {text}", flush=True)


def playable_titles(base: str, wait_s: float) -> list[tuple[str, str | None]]:
    """(title id, episode or None) of every playable demo film and episode."""
    deadline = time.monotonic() + wait_s
    while True:
        found: list[tuple[str, str | None]] = []
        for kind in ("film", "series"):
            page = answered(httpx.get(f"{base}/api/titles", params={
                "type": kind, "available": "1", "limit": 50}, timeout=30))
            for title in page.get("titles") or []:
                if kind == "film":
                    found.append((title["id"], None))
                    continue
                season = answered(httpx.get(f"{base}/api/titles/{title['id']}/seasons/1",
                                            timeout=30))
                for episode in season.get("episodes") or []:
                    if episode.get("playable"):
                        found.append((title["id"], f"S1E{episode['number']}"))
        if found or time.monotonic() > deadline:
            return found
        say("no playable title yet (the demo streams are encoding); waiting")
        time.sleep(10)


def answered(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a 200; a set-up error naming the call otherwise."""
    if response.status_code != 200:
        raise SetupError(f"{response.request.method} {response.request.url.path} answered "
                         f"{response.status_code}: {response.text[:200]}")
    body: dict[str, Any] = response.json()
    return body


def make_admin() -> tuple[str, str]:
    from chalicelib.auth.admin import create_admin
    from localcloud.cli.shared import domain_services

    email = f"bench-admin-{secrets.token_hex(4)}@example.com"
    with domain_services("create the benchmark's admin") as services:
        _, password = create_admin(services.accounts, email, "Bench Admin")
    return email, password


def report(base: str, token: str) -> dict[str, Any]:
    return answered(httpx.get(f"{base}/api/admin/playback", params={"days": 2}, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}))


def totals(body: dict[str, Any], title_ids: set[str]) -> dict[str, Any]:
    """The summed rows of these titles: counters and start-up buckets."""
    out: dict[str, Any] = {"starts": 0, "plays": 0, "rebuffer_ms": 0, "watch_ms": 0,
                           "buckets": {}}
    for row in body["titles"]:
        if row["title_id"] in title_ids:
            for key in ("starts", "plays", "rebuffer_ms", "watch_ms"):
                out[key] += row[key]
            out["buckets"] = histogram.merge(out["buckets"], {
                int(k): v for k, v in row["startup_histogram"].items()})
    return out


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    buckets = {k: v - before["buckets"].get(k, 0) for k, v in after["buckets"].items()}
    return {**{k: after[k] - before[k] for k in ("starts", "plays", "rebuffer_ms",
                                                   "watch_ms")},
            "buckets": {k: v for k, v in buckets.items() if v > 0}}


def has_profiles(base: str) -> bool:
    paths = httpx.get(f"{base}/openapi.json", timeout=30).json().get("paths", {})
    return "post" in paths.get("/api/me/profiles", {})


def run_plays(base: str, email: str, plays: list[tuple[str, str | None]], seconds: float,
              profiles: bool) -> list[Measured]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    measured: list[Measured] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.add_init_script(MEASURE)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        if profiles and "/profiles" in page.url:
            page.locator("button.profile-choice", has_text="Bench").first.click()
            page.wait_for_url(lambda url: "/profiles" not in url)
            say("picked the profile Bench")
        for n, (title_id, episode) in enumerate(plays, 1):
            page.goto(f"{base}/titles/{title_id}")
            if episode is None:
                page.locator(f"a.play[href^='/watch/{title_id}']").first.click()
            else:
                page.locator(f"a[href='/watch/{title_id}?episode={episode}']").first.click()
            page.wait_for_url(lambda url: "/watch/" in url)
            page.wait_for_function("() => window.__bench && window.__bench.first !== null",
                                   timeout=60_000)
            page.wait_for_timeout(seconds * 1000)
            got = page.evaluate(READ)
            if got["click"] is None:
                raise SetupError("the click on Play was not seen (no sessionStorage?)")
            play = Measured(title_id, got["first"] - got["click"], got["stall_ms"],
                            got["played_s"] * 1000)
            measured.append(play)
            say(f"play {n}/{len(plays)} {title_id} {episode or ''}: start "
                f"{play.start_ms:.0f} ms, stalled {play.stall_ms:.0f} ms, played "
                f"{play.played_ms / 1000:.1f} s")
        page.goto(f"{base}/")  # the last play's pagehide beacon
        page.wait_for_timeout(1000)
        context.close()
        browser.close()
    return measured


def agree(measured: float, recorded: float, ratio_like: bool = False) -> bool:
    if ratio_like and measured < NO_REBUFFERING and recorded < NO_REBUFFERING:
        return True
    biggest = max(abs(measured), abs(recorded))
    return biggest == 0 or abs(measured - recorded) <= TOLERANCE * biggest


def run(args: argparse.Namespace) -> int:
    base = (args.url or args.base_url).rstrip("/")
    try:
        if httpx.get(f"{base}/health", timeout=10).status_code != 200:
            raise SetupError(f"{base}/health is not healthy; see `make status`")
    except httpx.HTTPError as exc:
        say(f"nothing answers at {base} ({type(exc).__name__}): start `make run` first")
        return 2
    # the demo's encodes and the catalogue's import done first: every demo title playable,
    # and nothing else using the CPU the plays are timed on
    wait_for_quiet("listing the playable titles")
    try:
        titles = playable_titles(base, args.wait)
        if not titles:
            raise SetupError("no playable title: are the demo streams encoded?")
        say(f"{len(titles)} playable films and episodes")

        async def one_viewer() -> Subscriber:
            async with httpx.AsyncClient(base_url=base) as client:
                (viewer,) = await make_subscribers(client, 1, 1, say)
                return viewer

        viewer = asyncio.run(one_viewer())
        email = viewer.email
        profiles = has_profiles(base)
        if profiles:
            created = httpx.post(f"{base}/api/me/profiles", json={"name": "Bench"}, timeout=30,
                                 headers=viewer.bearer)
            if created.status_code != 201:
                raise SetupError(f"creating the profile Bench answered {created.status_code}: "
                                 f"{created.text[:200]}")
            say("profile Bench created")
        admin_email, admin_password = make_admin()
        admin = httpx.post(f"{base}/api/auth/login", timeout=30,
                           json={"email": admin_email, "password": admin_password})
        if admin.status_code != 200:
            raise SetupError(f"the admin's login answered {admin.status_code}")
        token = str(admin.json()["token"])
    except SetupError as exc:
        say(str(exc))
        return 2
    plan = [titles[n % len(titles)] for n in range(args.plays)]
    played = {title_id for title_id, _ in plan}
    before_body = report(base, token)
    before = totals(before_body, played)
    measured = run_plays(base, email, plan, args.seconds, profiles)

    # every start recorded, and the watch time no longer growing (the last beacons are in)
    deadline = time.monotonic() + 60
    last_watch = -1
    while True:
        after_body = report(base, token)
        delta = difference(totals(after_body, played), before)
        settled = delta["starts"] >= len(plan) and delta["watch_ms"] == last_watch
        if settled or time.monotonic() > deadline:
            break
        last_watch = delta["watch_ms"]
        time.sleep(2)
    starts = [m.start_ms for m in measured]
    stall = sum(m.stall_ms for m in measured)
    played_ms = sum(m.played_ms for m in measured)
    rows = [
        ("video start p50 (ms)", histogram.exact_percentile(starts, 0.5),
         histogram.percentile(delta["buckets"], 0.5), False),
        ("video start p95 (ms)", histogram.exact_percentile(starts, 0.95),
         histogram.percentile(delta["buckets"], 0.95), False),
        ("rebuffer ratio", stall / (played_ms + stall) if played_ms + stall else 0.0,
         (delta["rebuffer_ms"] / (delta["watch_ms"] + delta["rebuffer_ms"])
          if delta["watch_ms"] + delta["rebuffer_ms"] else 0.0), True),
        ("time played (s)", played_ms / 1000, delta["watch_ms"] / 1000, False),
    ]
    print(f"\n{len(measured)} plays of {len(played)} titles, {args.seconds:.0f} s each; "
          f"telemetry recorded {delta['starts']} starts of {delta['plays']} plays")
    print(f"{'':24}{'measured':>12}{'telemetry':>12}{'ratio':>8}  agree")
    failed = delta["starts"] != len(plan)
    for label, mine, theirs, ratio_like in rows:
        ok = mine is not None and theirs is not None and agree(mine, theirs, ratio_like)
        failed |= not ok
        quotient = f"{theirs / mine:.3f}" if mine and theirs is not None else "-"
        fmt = "{:>12.4f}" if ratio_like else "{:>12.1f}" if "(s)" in label else "{:>12.0f}"
        print(f"{label:24}{fmt.format(mine or 0)}{fmt.format(theirs or 0)}{quotient:>8}  "
              f"{'yes' if ok else 'NO'}")
    overall_before = before_body["overall"]
    if overall_before["plays"] == 0:
        overall = after_body["overall"]
        print(f"\nthe console's page (only these plays in its window): video start p50 "
              f"{overall['video_start_p50_ms']} ms, p95 {overall['video_start_p95_ms']} ms, "
              f"rebuffer ratio {overall['rebuffer_ratio']}, start-up score "
              f"{overall['startup_score']}")
    p95 = histogram.exact_percentile(starts, 0.95) or 0.0
    print(f"\ngoal on this machine (p95 video start under {GOAL_P95_MS:.0f} ms, no "
          f"rebuffering): {'met' if p95 < GOAL_P95_MS and stall == 0 else 'NOT met'} "
          f"(p95 {p95:.0f} ms, {stall:.0f} ms stalled)")
    if failed:
        print("\nthe measured and recorded figures disagree by more than 10% "
              "(or a play was not recorded)")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("url", nargs="?", help="the stack's URL (the same as --base-url)")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--plays", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=9.0,
                        help="how long each play plays from its first frame")
    parser.add_argument("--wait", type=float, default=300.0,
                        help="how long to wait for the demo streams to be playable")
    parser.add_argument("--start-stack", action="store_true",
                        help="start `notflix up` when nothing answers (stopped afterwards)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with stack_running((args.url or args.base_url).rstrip("/"), args.start_stack, say):
            return run(args)
    except SetupError as exc:
        say(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
