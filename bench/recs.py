"""Recommendation benchmark: Neo4j + Redis on a generated graph, measured side by side.

In one run, against a private embedded stack (moto, redis-server, Neo4j 5, the API):

1. Generates, deterministically from ``--seed``, 100,000 users, 10,000 titles and 2,000,000
   WATCHED edges with structure a recommender can find: 20 genres; each title has 1-3
   genres, a director and 3-5 actors (people mostly work in one genre, a few are prolific),
   and a Zipf-like popularity; each user belongs to one of 50 taste clusters (3 favourite
   genres, a pool of titles from them) and draws ~75% of their watches from the cluster's
   pool (popularity-biased) and the rest from global popularity, no title twice, over the
   last 180 days; history lengths are log-normal.
2. Held-out split: ``--sample`` users with at least 3 watches lose their most recent watch,
   which is not loaded.
3. Load rate of the batched ``UNWIND ... MERGE`` writes, per kind: ``GraphSync.apply`` in
   calls of 10,000-50,000 rows (``ROWS_PER_TRANSACTION`` rows a transaction); for watches,
   every other call instead runs the same ``MERGE_WATCHES`` with ``--big-tx`` rows a
   transaction, interleaved so both see the same graph size.
4. The similar-titles job (``SimilarityJob``: EASE on the liked watches, SIMILAR edges
   written back), timed, as the nightly schedule runs it.
5. Latency on the sample users, after one warm-up call (and waiting for an idle machine):
   uncached ``Recommender.compute(user, 10)`` (straight from the graph); the first
   ``for_user`` (compute ``Tuning.candidates`` + cache fill); the second ``for_user`` (Redis
   cache). Then each of the recommender's queries alone, to see which one costs what. The
   p50 ratio column is relative to the uncached compute.
6. Offline quality: hit rate at 10 of the held-out title in ``compute(user, 10)`` (and in
   the list ``for_user`` serves) versus a popularity baseline: the 10 most-watched titles of
   the loaded data that the user has not watched.

Goals (from the issue): uncached p99 under 100 ms, cached p99 under 5 ms, the engine's hit
rate above the baseline's.

Run: `.venv/bin/python -m bench.recs` (the full size loads for several minutes; e.g.
`--users 3000 --titles 500 --edges 60000 --sample 200` for a quick run, `--quiet-wait 0` to
measure without waiting for the machine to go idle).
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from typing import Any, LiteralString

import msgspec
from neo4j import Driver, ManagedTransaction

from bench.harness import percentiles_ms, private_stack
from chalicelib.catalogue.titles.models import CATALOGUE_MODELS
from chalicelib.platform.clock import iso_at
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.recommendations import queries
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.events import (
    GraphEvent,
    PersonRow,
    TitleRow,
    TitlesEvent,
    UserRow,
    UsersEvent,
    WatchesEvent,
    WatchRow,
    chunked,
)
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, Tuning
from chalicelib.recommendations.schema import apply_schema
from chalicelib.recommendations.similarity_job import SimilarityJob
from chalicelib.recommendations.sync import MERGE_WATCHES, ROWS_PER_TRANSACTION, GraphSync
from chalicelib.recommendations.trending import Trending

SEED = 20261123
USERS = 100_000
TITLES = 10_000
EDGES = 2_000_000
SAMPLE = 1000
#: "Now" for the generated timestamps and the recommender's recency decay (2026-11-23 UTC),
#: so a seed gives the same graph and the same answers on every run.
ANCHOR = 1_795_392_000.0
DAY = 86_400.0
WINDOW_DAYS = 180
GENRES = ("Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama",
          "Family", "Fantasy", "History", "Horror", "Music", "Mystery", "Romance",
          "Science Fiction", "Thriller", "War", "Western", "Sport", "Biography")
CLUSTERS = 50
CLUSTER_GENRES = 3
CLUSTER_SHARE = 0.75  # of a user's watches drawn from their cluster's pool
TOP_N = 10
#: Rows per ``GraphSync.apply`` call, at most, per kind (and at least a tenth of the rows
#: or 1,000, so progress shows and the two watch transaction sizes take turns).
CALL_ROWS = {"titles": 10_000, "users": 50_000, "watches": 50_000}

STACK_ENV = {"NOTFLIX_NEO4J_HEAP_MAX": "3g", "NOTFLIX_NEO4J_PAGECACHE": "2g"}
UNCACHED_GOAL_MS = 100.0
CACHED_GOAL_MS = 5.0


def call_rows(kind: str, total: int) -> int:
    return min(CALL_ROWS[kind], max(1000, total // 10))


# -- the generated graph ---------------------------------------------------------------------
@dataclass
class Dataset:
    titles: list[TitleRow]
    users: list[UserRow]
    watches: list[WatchRow]  # the training edges (what is loaded)
    held_out: dict[str, str]  # sample user -> the title of their most recent watch
    history: dict[str, set[str]]  # sample user -> titles in their training edges
    edges: int  # generated, before the hold-out
    generate_s: float = 0.0


def _zipf(rank: int, s: float) -> float:
    return math.pow(rank, -s)


def _weighted_sample(rng: random.Random, items: Sequence[int], weights: Sequence[float],
                     k: int) -> list[int]:
    """k distinct items, each with probability growing with its weight (Efraimidis-Spirakis)."""
    keyed = [(rng.random() ** (1.0 / w), item) for item, w in zip(items, weights, strict=True)]
    keyed.sort(reverse=True)
    return [item for _key, item in keyed[:k]]


class _Picker:
    """Weighted draws with replacement from a fixed list (cumulative weights + bisect)."""

    def __init__(self, items: Sequence[int], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> int:
        at = bisect.bisect_right(self.cumulative, rng.random() * self.total)
        return self.items[min(at, len(self.items) - 1)]



def _history_lengths(rng: random.Random, users: int, edges: int, cap: int) -> list[int]:
    """Log-normal watches per user, at least 1 and at most ``cap``, summing to ``edges``."""
    if edges > users * cap:
        raise SystemExit(f"{edges:,} edges do not fit {users:,} users x {cap:,} titles each")
    if edges < users:
        raise SystemExit(f"{edges:,} edges are fewer than {users:,} users (one watch each)")
    raw = [rng.lognormvariate(0.0, 0.9) for _ in range(users)]
    scale = edges / sum(raw)
    counts = [min(cap, max(1, round(w * scale))) for w in raw]
    diff = edges - sum(counts)
    while diff:
        u = rng.randrange(users)
        if diff > 0 and counts[u] < cap:
            counts[u] += 1
            diff -= 1
        elif diff < 0 and counts[u] > 1:
            counts[u] -= 1
            diff += 1
    return counts


def generate(users: int, titles: int, edges: int, sample: int, seed: int) -> Dataset:
    started = time.perf_counter()
    rng = random.Random(seed)
    n_genres = len(GENRES)

    # People: each mostly works in one genre; Zipf-like within it (a few are prolific).
    n_directors = max(20, titles // 5)
    n_actors = max(100, titles * 2)

    def people_by_genre(count: int) -> list[_Picker]:
        lists: list[list[int]] = [[] for _ in GENRES]
        for person in range(count):
            lists[rng.randrange(n_genres)].append(person)
        return [_Picker(ids, [_zipf(r, 0.8) for r in range(1, len(ids) + 1)])
                for ids in lists if ids]

    directors = people_by_genre(n_directors)
    actors = people_by_genre(n_actors)
    any_director = _Picker(range(n_directors), [1.0] * n_directors)
    any_actor = _Picker(range(n_actors), [_zipf(r, 0.5) for r in range(1, n_actors + 1)])

    # Titles: Zipf popularity over a shuffled rank; 1-3 genres; a director and 3-5 actors.
    ranks = list(range(1, titles + 1))
    rng.shuffle(ranks)
    popularity = [round(1000.0 * _zipf(r, 0.9), 4) for r in ranks]
    title_genres: list[list[int]] = []
    title_rows: list[TitleRow] = []
    for n in range(titles):
        genres = rng.sample(range(n_genres), rng.choices((1, 2, 3), (35, 45, 20))[0])
        title_genres.append(genres)
        main = genres[0] % len(directors)
        director = (directors[main].draw(rng) if rng.random() < 0.8
                    else any_director.draw(rng))
        cast: dict[int, None] = {}
        while len(cast) < rng.randint(3, 5):
            cast[actors[genres[0] % len(actors)].draw(rng) if rng.random() < 0.7
                 else any_actor.draw(rng)] = None
        people = [PersonRow(f"bench:d{director}", f"Director {director}", "director")]
        people += [PersonRow(f"bench:a{a}", f"Actor {a}", "actor") for a in cast]
        title_rows.append(TitleRow(
            id=f"bt{n}", name=f"Title {n}", kind="film", year=rng.randint(1950, 2026),
            popularity=popularity[n], poster_path=None, playable=True,
            genres=[GENRES[g] for g in genres], people=people))

    # Taste clusters: 3 favourite genres and a pool of their titles (popular ones likelier).
    pool_size = min(max(50, titles // 20), max(1, titles // 3))
    global_pick = _Picker(range(titles), popularity)
    clusters: list[_Picker] = []
    for _ in range(CLUSTERS):
        liked = set(rng.sample(range(n_genres), CLUSTER_GENRES))
        candidates = [t for t in range(titles) if liked & set(title_genres[t])] or list(
            range(titles))
        pool = _weighted_sample(rng, candidates, [popularity[t] ** 0.5 for t in candidates],
                                min(pool_size, len(candidates)))
        clusters.append(_Picker(pool, [popularity[t] ** 0.5 for t in pool]))

    # Watches: distinct titles per user, timestamps over the last WINDOW_DAYS days.
    cap = max(1, titles // 2)
    lengths = _history_lengths(rng, users, edges, cap)
    by_popularity = sorted(range(titles), key=lambda t: -popularity[t])
    user_rows: list[UserRow] = []
    per_user: list[list[tuple[int, float]]] = []
    for u in range(users):
        user_rows.append(UserRow(id=f"bu{u}", created_at=iso_at(
            ANCHOR - (WINDOW_DAYS + rng.randint(1, 365)) * DAY)))
        cluster = clusters[rng.randrange(CLUSTERS)]
        want = lengths[u]
        chosen: dict[int, None] = {}
        attempts = 0
        while len(chosen) < want and attempts < want * 20:
            attempts += 1
            source = cluster if rng.random() < CLUSTER_SHARE else global_pick
            chosen[source.draw(rng)] = None
        for t in by_popularity:  # only for a rare, very long history
            if len(chosen) >= want:
                break
            chosen[t] = None
        per_user.append([(t, ANCHOR - rng.random() * WINDOW_DAYS * DAY) for t in chosen])

    # Hold-out: the most recent watch of `sample` users with at least 3 watches.
    eligible = [u for u in range(users) if len(per_user[u]) >= 3]
    sampled = set(rng.sample(eligible, min(sample, len(eligible))))
    held_out: dict[str, str] = {}
    history: dict[str, set[str]] = {}
    watches: list[WatchRow] = []
    title_ids = [row.id for row in title_rows]
    user_ids = [row.id for row in user_rows]
    for u, watched in enumerate(per_user):
        skip = -1
        if u in sampled:
            skip = max(range(len(watched)), key=lambda i: watched[i][1])
            held_out[user_ids[u]] = title_ids[watched[skip][0]]
            history[user_ids[u]] = {title_ids[t] for i, (t, _ts) in enumerate(watched)
                                    if i != skip}
        for i, (t, ts) in enumerate(watched):
            if i == skip:
                continue
            completed = rng.random() < 0.8
            watches.append(WatchRow(
                user=user_ids[u], title=title_ids[t], count=1 if rng.random() < 0.85 else 2,
                last_at=iso_at(ts), progress=1.0 if completed else round(rng.random(), 2),
                completed=completed))
    # Users in a random order (their watches together), so the sample is spread over the load.
    order = list(range(users))
    rng.shuffle(order)
    by_user: dict[str, list[WatchRow]] = {}
    for row in watches:
        by_user.setdefault(row.user, []).append(row)
    watches = [row for u in order for row in by_user.get(user_ids[u], ())]
    return Dataset(titles=title_rows, users=user_rows, watches=watches, held_out=held_out,
                   history=history, edges=edges,
                   generate_s=time.perf_counter() - started)


# -- loading ----------------------------------------------------------------------------------
@dataclass
class LoadRow:
    what: str
    rows: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class Progress:
    def __init__(self, what: str, total: int) -> None:
        self.what = what
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self.tty = sys.stdout.isatty()
        self.next_line = 0.1

    def add(self, rows: int) -> None:
        self.done += rows
        elapsed = time.perf_counter() - self.started
        line = (f"  loading {self.what}: {self.done:,}/{self.total:,} "
                f"({self.done / max(elapsed, 1e-9):,.0f} rows/s, {elapsed:,.0f} s)")
        if self.tty:
            print("\r" + line, end="\n" if self.done >= self.total else "", flush=True)
        elif self.done >= self.total or self.done >= self.total * self.next_line:
            print(line, flush=True)
            while self.next_line * self.total <= self.done:
                self.next_line += 0.1


def _apply_timed(sync: GraphSync, events: Sequence[GraphEvent], into: LoadRow) -> None:
    started = time.perf_counter()
    sync.apply(events)
    into.seconds += time.perf_counter() - started
    into.rows += sum(len(event.rows) for event in events)


def _write_rows(tx: ManagedTransaction, rows: list[dict[str, Any]]) -> None:
    tx.run(MERGE_WATCHES, rows=rows).consume()


def _big_transactions(driver: Driver, rows: list[WatchRow], per_tx: int, into: LoadRow) -> None:
    """The same MERGE_WATCHES as the sync, ``per_tx`` rows a transaction."""
    started = time.perf_counter()
    with driver.session() as session:
        builtins = [msgspec.to_builtins(row) for row in rows]
        for chunk in chunked(builtins, per_tx):
            session.execute_write(_write_rows, chunk)
    into.seconds += time.perf_counter() - started
    into.rows += len(rows)


def load(driver: Driver, data: Dataset, big_tx: int) -> list[LoadRow]:
    sync = GraphSync(driver)
    sync.ensure_schema()  # not timed: apply_schema ran already; this marks it done
    per = f"{ROWS_PER_TRANSACTION:,} rows/tx"
    titles = LoadRow(f"titles (GraphSync.apply, {per})")
    users = LoadRow(f"users (GraphSync.apply, {per})")
    watches = LoadRow(f"watches (GraphSync.apply, {per})")
    watches_big = LoadRow(f"watches (same MERGE_WATCHES, {big_tx:,} rows/tx)")
    progress = Progress("titles", len(data.titles))
    for chunk in chunked(data.titles, call_rows("titles", len(data.titles))):
        _apply_timed(sync, [TitlesEvent(chunk)], titles)
        progress.add(len(chunk))
    progress = Progress("users", len(data.users))
    for chunk in chunked(data.users, call_rows("users", len(data.users))):
        _apply_timed(sync, [UsersEvent(chunk)], users)
        progress.add(len(chunk))
    progress = Progress("watches", len(data.watches))
    for n, chunk in enumerate(chunked(data.watches, call_rows("watches", len(data.watches)))):
        if big_tx and n % 2:
            _big_transactions(driver, chunk, big_tx, watches_big)
        else:
            _apply_timed(sync, [WatchesEvent(chunk)], watches)
        progress.add(len(chunk))
    rows = [titles, users, watches]
    if watches_big.rows:
        rows.append(watches_big)
    return rows


COUNTS: tuple[tuple[str, LiteralString], ...] = (
    ("users", "MATCH (u:User) RETURN count(u) AS n"),
    ("titles", "MATCH (t:Title) RETURN count(t) AS n"),
    ("people", "MATCH (p:Person) RETURN count(p) AS n"),
    ("watched", "MATCH ()-[w:WATCHED]->() RETURN count(w) AS n"))


def graph_counts(driver: Driver) -> dict[str, int]:
    counts: dict[str, int] = {}
    with driver.session() as session:
        for key, cypher in COUNTS:
            counts[key] = int(session.run(cypher).single(strict=True)["n"])
    return counts


# -- measuring --------------------------------------------------------------------------------
@dataclass
class Quality:
    users: int = 0
    engine: int = 0  # held-out title in compute(user, 10)
    served: int = 0  # held-out title in the first for_user(user, 10)
    baseline: int = 0  # held-out title in the 10 most-watched titles the user has not seen
    cold: int = 0  # sample users under Tuning.cold_start_watches (popularity blended in)
    short_lists: int = 0  # compute(user, 10) returned fewer than 10

    def rate(self, hits: int) -> float:
        return hits / self.users if self.users else 0.0


@dataclass
class Latency:
    rows: dict[str, tuple[float, float]] = field(default_factory=dict)
    degraded: int = 0
    not_cached: int = 0


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def popularity_baseline(data: Dataset) -> list[str]:
    """Every loaded title, most-watched first (ties by id, for a stable order)."""
    counts = Counter(row.title for row in data.watches)
    return sorted(counts, key=lambda t: (-counts[t], t))


def _unseen_top(ranked: list[str], seen: set[str]) -> list[str]:
    top: list[str] = []
    for title in ranked:
        if title not in seen:
            top.append(title)
            if len(top) == TOP_N:
                break
    return top


def measure(recommender: Recommender, data: Dataset, sample: list[str],
            warm_user: str) -> tuple[Latency, Quality]:
    latency = Latency()
    quality = Quality(users=len(sample))
    ranked = popularity_baseline(data)
    cold_below = recommender.tuning.cold_start_watches

    # warm-up: plans compiled, pages touched, the cache path exercised once
    recommender.compute(warm_user, TOP_N)
    recommender.for_user(warm_user, TOP_N)
    recommender.for_user(warm_user, TOP_N)
    recommender.invalidate(warm_user)

    uncached: list[float] = []
    for user in sample:
        seconds, results = _timed(partial(recommender.compute, user, TOP_N))
        uncached.append(seconds)
        ids = [r["id"] for r in results]
        held = data.held_out[user]
        quality.engine += held in ids
        quality.short_lists += len(ids) < TOP_N
        quality.cold += len(data.history[user]) < cold_below
        quality.baseline += held in _unseen_top(ranked, data.history[user])
    latency.rows[f"uncached: compute(user, {TOP_N})"] = percentiles_ms(uncached)

    first: list[float] = []
    for user in sample:
        recommender.invalidate(user)
        seconds, answer = _timed(partial(recommender.for_user, user, TOP_N))
        first.append(seconds)
        latency.degraded += bool(answer["degraded"])
        quality.served += data.held_out[user] in [r["id"] for r in answer["results"]]
    latency.rows[f"first for_user (compute {recommender.tuning.candidates} + cache fill)"] = (
        percentiles_ms(first))

    cached: list[float] = []
    for user in sample:
        seconds, answer = _timed(partial(recommender.for_user, user, TOP_N))
        cached.append(seconds)
        latency.degraded += bool(answer["degraded"])
        latency.not_cached += not answer["cached"]
    latency.rows["cached: second for_user"] = percentiles_ms(cached)
    return latency, quality


QUERIES: tuple[tuple[str, LiteralString], ...] = (
    ("HISTORY_SIZE", queries.HISTORY_SIZE), ("BECAUSE_WATCHED", queries.BECAUSE_WATCHED),
    ("COLLABORATIVE (fill-in only)", queries.COLLABORATIVE),
    ("CONTENT (fill-in only)", queries.CONTENT), ("POPULAR (cold start only)", queries.POPULAR))


def _run_query(tx: ManagedTransaction, cypher: LiteralString, params: dict[str, Any]) -> int:
    return len(list(tx.run(cypher, params)))


def per_query(driver: Driver, recommender: Recommender, sample: list[str],
              data: Dataset) -> dict[str, tuple[float, float]]:
    """Each of the recommender's queries alone, in its own read transaction (as compute's
    parameters, limit 10); the HISTORY_SIZE row is mostly the transaction's round trips."""
    rows: dict[str, tuple[float, float]] = {}
    with driver.session(default_access_mode="READ") as session:
        for name, cypher in QUERIES:
            samples: list[float] = []
            for n, user in enumerate([sample[0], *sample]):
                params = recommender.query_params(user, TOP_N)
                params["limit_plus_watched"] = params["limit"] + len(data.history[user])
                seconds, _count = _timed(
                    partial(session.execute_read, _run_query, cypher, params))
                if n:  # the first is a warm-up
                    samples.append(seconds)
            rows[f"query: {name}"] = percentiles_ms(samples)
    return rows


# -- the run ----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--titles", type=int, default=TITLES)
    parser.add_argument("--edges", type=int, default=EDGES, help="WATCHED edges generated")
    parser.add_argument("--sample", type=int, default=SAMPLE,
                        help="users whose latency and hit rate are measured")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--big-tx", type=int, default=10_000,
                        help="rows a transaction for every other watches call (0: all "
                             "through GraphSync.apply)")
    parser.add_argument("--query-sample", type=int, default=200,
                        help="users for the per-query timings (0 to skip them)")
    parser.add_argument("--quiet-wait", type=float, default=900.0,
                        help="wait up to this many seconds for an idle machine before "
                             "measuring latency (0: do not wait)")
    args = parser.parse_args()
    run_started = time.perf_counter()

    data = generate(args.users, args.titles, args.edges, args.sample, args.seed)
    print(f"generated {len(data.users):,} users, {len(data.titles):,} titles, "
          f"{data.edges:,} WATCHED edges ({len(data.held_out):,} held out) in "
          f"{data.generate_s:.1f} s", flush=True)
    sample = sorted(data.held_out, key=lambda u: int(u[2:]))
    warm_user = next(row.id for row in data.users if row.id not in data.held_out)

    tuning = Tuning()
    with private_stack(extra_env=STACK_ENV) as (settings, _api_url):
        stack_ready_s = time.perf_counter() - run_started - data.generate_s
        print(f"stack up after {stack_ready_s:.1f} s", flush=True)
        resources = Resources(settings)
        try:
            driver = resources.neo4j
            apply_schema(driver)
            loaded = load(driver, data, args.big_tx)
            similar = SimilarityJob(driver).run()
            counts = graph_counts(driver)
            waited = time.perf_counter()
            if args.quiet_wait > 0:
                from bench.encode import wait_for_quiet

                wait_for_quiet("measuring recommendation latency", args.quiet_wait)
            waited = time.perf_counter() - waited
            # the degraded answer reads the catalogue (empty here); bound so it cannot crash
            bind_models(settings, CATALOGUE_MODELS)
            trending = Trending(resources.redis, settings.resource_prefix)
            cache = RecommendationCache(resources.redis, settings.resource_prefix, ttl_s=3600)
            recommender = Recommender(
                driver, cache, PopularTitles(trending, settings.image_base_url),
                settings.image_base_url, budget_s=10.0, tuning=tuning, clock=lambda: ANCHOR)
            latency, quality = measure(recommender, data, sample, warm_user)
            query_rows = (per_query(driver, recommender, sample[:args.query_sample], data)
                          if args.query_sample > 0 else {})
        finally:
            resources.close()
    total_s = time.perf_counter() - run_started

    print(f"\ngraph: {counts['users']:,} users, {counts['titles']:,} titles, "
          f"{counts['people']:,} people, {counts['watched']:,} WATCHED edges loaded "
          f"({data.edges:,} generated - {len(data.held_out):,} held out)")
    print(f"similar-titles job: {similar.titles:,} titles from {similar.interactions:,} liked "
          f"watches, {similar.edges:,} SIMILAR edges; fit {similar.fit_s:.1f} s, write "
          f"{similar.write_s:.1f} s")
    print(f"\n{'load':<48} {'rows':>10} {'seconds':>8} {'rows/s':>9}")
    for row in loaded:
        print(f"{row.what:<48} {row.rows:10,} {row.seconds:8.1f} {row.rate:9,.0f}")
    all_watches = [row for row in loaded if row.what.startswith("watches")]
    if len(all_watches) > 1:
        rows = sum(r.rows for r in all_watches)
        seconds = sum(r.seconds for r in all_watches)
        print(f"{'watches, all':<48} {rows:10,} {seconds:8.1f} {rows / seconds:9,.0f}")
        ratio = all_watches[1].rate / all_watches[0].rate
        print(f"bigger transactions / GraphSync.apply rate: {ratio:.2f}")

    uncached_p99 = latency.rows[f"uncached: compute(user, {TOP_N})"][1]
    cached_p99 = latency.rows["cached: second for_user"][1]
    goals = {f"uncached: compute(user, {TOP_N})":
             f"p99 < {UNCACHED_GOAL_MS:g} ms: {verdict(uncached_p99 < UNCACHED_GOAL_MS)}",
             "cached: second for_user":
             f"p99 < {CACHED_GOAL_MS:g} ms: {verdict(cached_p99 < CACHED_GOAL_MS)}"}
    base = latency.rows[f"uncached: compute(user, {TOP_N})"][0]
    print(f"\n{'latency over ' + format(len(sample), ',') + ' sample users':<46} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'p50 ratio':>9}  goal")
    for name, (p50, p99) in {**latency.rows, **query_rows}.items():
        print(f"{name:<46} {p50:8.2f} {p99:8.2f} {p50 / base:9.3f}  {goals.get(name, '')}")
    if query_rows:
        print(f"(per-query rows: {min(len(sample), args.query_sample):,} users, one read "
              f"transaction each, limit {TOP_N})")
    if latency.degraded or latency.not_cached:
        print(f"WARNING: {latency.degraded} answers came back degraded, "
              f"{latency.not_cached} second calls were not served from the cache")
    else:
        print("no answer degraded; every second call came from the cache")

    beats = quality.engine > quality.baseline
    print(f"\n{'hit rate at ' + str(TOP_N) + ' (held-out latest watch)':<46} {'hits':>8} "
          f"{'rate':>8}")
    for name, hits in ((f"engine: compute(user, {TOP_N})", quality.engine),
                       ("engine: list for_user serves", quality.served),
                       ("baseline: most-watched not yet seen", quality.baseline)):
        print(f"{name:<46} {hits:8,} {quality.rate(hits):8.1%}")
    lift = quality.engine / quality.baseline if quality.baseline else math.inf
    print(f"engine / baseline: {lift:.2f}x; goal engine > baseline: {verdict(beats)}")
    print(f"({quality.cold:,} sample users under {tuning.cold_start_watches} training watches "
          f"get popularity blended in; {quality.short_lists:,} lists shorter than {TOP_N})")
    print(f"\nwhole run: {total_s:.1f} s (generation {data.generate_s:.1f} s, load "
          f"{sum(r.seconds for r in loaded):.1f} s, similar-titles job "
          f"{similar.fit_s + similar.write_s:.1f} s, waiting for a quiet machine {waited:.1f} s)")


if __name__ == "__main__":
    main()
