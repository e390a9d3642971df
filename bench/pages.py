"""Page benchmark: time to first byte and bytes of the home, title and search pages.

Starts a private embedded stack and the API (`chalice local`), seeds the demo catalogue
(17,470 Wikidata films and the generated series; search index and rankings rebuilt), writes the
titles into the graph, makes the 24 most popular films playable and gives them plays (so the
home rows and "more like this" hold cards, as on a running service), registers one user,
then requests each HTML page (`GET` with `Accept: text/html`) `--runs` times, sequentially,
after `--warmup` untimed requests of each URL:

- home, as a visitor and as the logged-in user (`Authorization: Bearer <token>`);
- a title page, cycling through real film ids from `GET /api/titles`, and a series page
  (which also reads a season);
- the search page, cycling through a few query terms.

What is measured, per request, with `time.perf_counter()` around httpx's streaming API on a
connection opened for that request (see `bench.harness.http_client`):

- TTFB: from the start of `client.stream(...)` (connect on loopback, send the request) to
  its `__enter__` returning, i.e. the status line and headers parsed. `chalice local`
  renders the whole page before it writes the headers, so this is the handler's full work
  plus the dev server's overhead; the body follows in a separate write.
- total: from the same start to the last body byte read.
- bytes: the HTML body as sent (`Accept-Encoding: identity`, the app does not compress), and
  its gzip-6 size computed here, as a CDN or API Gateway with compression would send it.
  With several URLs for one row, the median over its URLs.

`chalice local` is a single-threaded development server, so the numbers are an upper bound
of the handler's own work; they compare pages with each other, not with production.

Run: `.venv/bin/python -m bench.pages` (`--runs 20` for a quick check).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from dataclasses import dataclass, field
from itertools import cycle
from urllib.parse import quote

import httpx

from bench.harness import http_client, percentiles_ms, private_stack
from chalicelib.catalogue.demo.seeding import SeedResult, seed
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.isolation import unique

RUNS = 200
WARMUP = 3
TITLES = 5
SEARCH_TERMS = ("star", "the", "love", "night", "man")
PASSWORD = "violet-harbour-quiet-42"
PAGE_HEADERS = {"Accept": "text/html", "Accept-Encoding": "identity"}
CARD = b'<li class="card">'


@dataclass
class Page:
    name: str
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    ttfb: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    cards: dict[str, int] = field(default_factory=dict)
    gzipped: dict[str, int] = field(default_factory=dict)


def seed_catalogue(settings: Settings) -> tuple[SeedResult, float]:
    resources = Resources(settings)
    try:
        services = Services(resources)
        services.catalogue  # binds the tables  # noqa: B018
        started = time.perf_counter()
        result = seed(services.catalogue_writer, services.catalogue_indexer)
        fill_rows(services)
        return result, time.perf_counter() - started
    finally:
        resources.close()


def fill_rows(services: Services) -> None:
    """What a running service has besides the catalogue, so the rows hold cards: the titles
    in the graph, the 24 most popular films playable, and plays for trending."""
    import uuid

    from chalicelib.catalogue.titles.models import FacetModel, TitleModel
    from chalicelib.catalogue.titles.playable import attach_asset
    from chalicelib.recommendations.events import TitlesEvent, title_row
    from chalicelib.recommendations.resync import resync_titles
    from chalicelib.recommendations.schema import apply_schema
    from chalicelib.recommendations.sync import GraphSync

    sync = GraphSync(services.resources.neo4j)
    apply_schema(services.resources.neo4j)
    resync_titles(sync)
    films = [f.id for f in FacetModel.query("type#film", limit=24)]
    for n, title_id in enumerate(films):
        attach_asset(title_id, {"asset_id": uuid.uuid4().hex, "duration_s": 600.0})
        for _ in range(1 + n % 3):
            services.trending.record_play(title_id)
    sync.apply([TitlesEvent([title_row(t) for t in TitleModel.batch_get(films)])])


def fetch(http: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, float, bytes]:
    """(seconds to the headers, seconds to the last byte, body) of one GET."""
    started = time.perf_counter()
    with http.stream("GET", path, headers={**PAGE_HEADERS, **headers}) as response:
        ttfb = time.perf_counter() - started
        body = response.read()
        total = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {body[:300]!r}")
    return ttfb, total, body


def pages(http: httpx.Client, titles: int) -> list[Page]:
    films = http.get("/api/titles", params={"type": "film", "limit": 20})
    films.raise_for_status()
    film_ids = [t["id"] for t in films.json()["titles"]][:titles]
    series = http.get("/api/titles", params={"type": "series", "limit": 1})
    series.raise_for_status()
    series_ids = [t["id"] for t in series.json()["titles"]]
    if not film_ids or not series_ids:
        raise RuntimeError("the seeded catalogue lists no films or no series")
    # A client of its own: the measuring client must not keep the session cookie the
    # registration sets, or every "visitor" request would be logged in.
    with httpx.Client(base_url=str(http.base_url), timeout=30) as registering:
        account = registering.post("/api/auth/register", json={
            "email": f"{unique('bench-pages-')}@example.com", "password": PASSWORD,
            "display_name": "Page Bench"})
        account.raise_for_status()
    bearer = {"Authorization": "Bearer " + account.json()["token"]}
    for headers, logged_in in (({}, False), (bearer, True)):
        _, _, body = fetch(http, "/", headers)
        if (b'class="hero"' in body) == logged_in:
            raise RuntimeError(f"home page: expected logged_in={logged_in}, got the other")
    return [
        Page("home (visitor)", ["/"]),
        Page("home (logged in)", ["/"], bearer),
        Page(f"title: film ({len(film_ids)} ids)", [f"/titles/{quote(i)}" for i in film_ids]),
        Page("title: series", [f"/titles/{quote(i)}" for i in series_ids]),
        Page(f"search ({len(SEARCH_TERMS)} terms)",
             [f"/search?q={quote(q)}" for q in SEARCH_TERMS]),
    ]


def run(http: httpx.Client, page: Page, runs: int, warmup: int) -> None:
    for path in page.paths:
        for _ in range(max(1, warmup)):
            _, _, body = fetch(http, path, page.headers)
        page.sizes[path] = len(body)
        page.cards[path] = body.count(CARD)
        page.gzipped[path] = len(gzip.compress(body, compresslevel=6))
    paths = cycle(page.paths)
    for _ in range(runs):
        ttfb, total, _ = fetch(http, next(paths), page.headers)
        page.ttfb.append(ttfb)
        page.total.append(total)


def print_table(rows: list[Page]) -> None:
    print(f"{'page':<22} {'TTFB p50':>9} {'TTFB p99':>9} {'total p50':>10} {'total p99':>10} "
          f"{'bytes':>8} {'gzip-6':>7} {'cards':>5} {'p50 / home':>11}")
    base = percentiles_ms(rows[0].ttfb)[0]
    for page in rows:
        t50, t99 = percentiles_ms(page.ttfb)
        a50, a99 = percentiles_ms(page.total)
        size = statistics.median(page.sizes.values())
        zipped = statistics.median(page.gzipped.values())
        cards = statistics.median(page.cards.values())
        print(f"{page.name:<22} {t50:9.1f} {t99:9.1f} {a50:10.1f} {a99:10.1f} "
              f"{size:8,.0f} {zipped:7,.0f} {cards:5.0f} {t50 / base:11.2f}")
    print("(milliseconds; bytes = HTML body, gzip-6 = its size gzipped here, cards = title "
          "cards on the page,\n the last three the median over the row's URLs; "
          "p50 / home = TTFB p50 over the visitor home's)")
    for page in rows:
        if len(page.sizes) > 1:
            print(f"  {page.name}: bytes {min(page.sizes.values()):,}-"
                  f"{max(page.sizes.values()):,} over {', '.join(page.sizes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=WARMUP,
                        help="untimed requests of each URL first (at least 1)")
    parser.add_argument("--titles", type=int, default=TITLES, help="film ids to cycle through")
    args = parser.parse_args()

    started = time.perf_counter()
    with private_stack() as (settings, api_url):
        stack_s = time.perf_counter() - started
        result, seed_s = seed_catalogue(settings)
        with http_client(api_url) as http:
            rows = pages(http, args.titles)
            measuring = time.perf_counter()
            for page in rows:
                run(http, page, args.runs, args.warmup)
            measure_s = time.perf_counter() - measuring

    written = result.written
    print(f"\nstack up in {stack_s:.1f} s; catalogue seeded in {seed_s:.1f} s "
          f"({written.created:,} created, {written.updated:,} updated, "
          f"{written.unchanged:,} unchanged, {len(written.failed)} failed; rebuilt "
          f"{result.rebuilt.titles:,} titles, search index "
          f"{result.rebuilt.index_bytes / 2**10:,.0f} KiB, rankings for "
          f"{result.rebuilt.countries} countries)")
    print(f"{args.runs} sequential requests per page after {args.warmup} warm-up requests of "
          f"each URL, a connection per request; measured in {measure_s:.1f} s\n")
    print_table(rows)


if __name__ == "__main__":
    main()
