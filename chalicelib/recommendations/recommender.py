"""Recommendations for a user and titles similar to a title, within a time budget.

For a user: the cache, else one read transaction that sums the precomputed SIMILAR weights
from the user's watches ("because you watched", ``similarity_job``), mixed with popularity by
how new the user is. When that list is short (titles no SIMILAR edge reaches yet), the
collaborative and content-based queries fill it: each list's scores are scaled to 0..1 and
weighted. Every result carries its reasons and whether it can be played; the whole catalogue
is ranked. When Neo4j is down or slower than the budget, trending and popular titles answer
instead, marked ``"degraded": true``.

Read your own writes: a title the user has just finished (``RecommendationCache.finished``,
told by the player's progress) is left out of every answer, cached, computed or degraded,
until the graph knows it; the degraded answer also leaves out every title the user has
watched (their records in DynamoDB).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, LiteralString

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.catalogue.titles.posters import poster_url
from chalicelib.openapi.responses import Reason, Recommendations, Recommended
from chalicelib.recommendations import queries
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.fallback import PopularTitles

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

logger = Logger(service="notflix", child=True)


@dataclass(frozen=True)
class Tuning:
    """Weights and bounds (see ``queries``); the defaults are what the benchmark measured."""

    w_genre: float = 5.0
    w_director: float = 4.0
    w_actor: float = 3.0
    w_collaborative: float = 0.6
    w_content: float = 0.4
    #: "Because you watched": the user's latest watches whose SIMILAR edges are summed
    #: (600: only the heaviest 1% of MovieLens users are cut, p99 stays under 100 ms).
    similar_history: int = 600
    #: Below this many watched titles, popularity takes a share of 1 - watched / this.
    cold_start_watches: int = 3
    history: int = 50
    fanout: int = 200
    neighbours: int = 50
    per_neighbour: int = 50
    top_features: int = 5
    per_feature: int = 30
    tau_s: float = 90 * 86_400.0
    candidates: int = 50  # per list, before blending


@dataclass
class _Candidate:
    title: dict[str, Any]
    score: float = 0.0
    reasons: list[tuple[float, Reason]] = field(default_factory=list)


class Recommender:
    def __init__(self, driver: Driver, cache: RecommendationCache, popular: PopularTitles,
                 image_base: str, budget_s: float = 0.3, tuning: Tuning | None = None,
                 database: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.driver = driver
        self.cache = cache
        self.popular = popular
        self.image_base = image_base
        self.budget_s = budget_s
        self.tuning = tuning or Tuning()
        self.database = database
        self.clock = clock
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="graph")

    # -- users ------------------------------------------------------------------------------
    def for_user(self, user_id: str, limit: int) -> Recommendations:
        finished = self._just_finished(user_id)
        cached = self._cached(user_id, limit + len(finished))
        if cached is not None:
            return {"results": _without(cached, finished)[:limit], "degraded": False,
                    "cached": True}
        future = self._pool.submit(self.compute, user_id, self.tuning.candidates)
        try:
            results = future.result(timeout=self.budget_s)
        except FutureTimeout:
            # too slow now (a cold connection, a busy graph): popular titles answer, and the
            # graph's answer, when it comes, is cached for the next request
            future.add_done_callback(lambda done: self._cache_late(user_id, done))
            logger.warning("recommendations degraded", error="TimeoutError")
            return self._degraded(user_id, limit, finished)
        except Exception as exc:  # down, refused: never a 500 for this
            logger.warning("recommendations degraded", error=type(exc).__name__)
            return self._degraded(user_id, limit, finished)
        self._put(user_id, results)
        return {"results": _without(results, finished)[:limit], "degraded": False,
                "cached": False}

    def home_row(self, user_id: str, limit: int) -> list[Recommended]:
        """The home page's row: the user's recommendations, playable titles first (in their
        order), then the best of the rest when fewer than ``limit`` can be played."""
        results = self.for_user(user_id, limit * 2)["results"]
        return playable_first(results)[:limit]

    def compute(self, user_id: str, limit: int) -> list[Recommended]:
        """The blended list straight from the graph (no cache, no budget)."""
        t = self.tuning
        params = self.query_params(user_id, limit)
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            lists = s.execute_read(_user_lists, params, t.cold_start_watches, limit)
        cold = (max(0.0, 1.0 - lists.watched / t.cold_start_watches)
                if t.cold_start_watches else 0.0)
        blend: dict[str, _Candidate] = {}
        self._add(blend, lists.similar, 1 - cold, _watched_reason)
        # titles without SIMILAR edges yet (a new catalogue, a new user's first titles):
        # the older lists fill in (they are only queried then)
        self._add(blend, lists.collaborative, t.w_collaborative * (1 - cold), _watched_reason)
        self._add(blend, lists.content, t.w_content * (1 - cold), _content_reason)
        self._add(blend, lists.popular, cold if lists.watched else 1.0, lambda _row: [_POPULAR])
        return [self._result(c) for c in _ranked(blend)[:limit]]

    def query_params(self, user_id: str, limit: int) -> dict[str, Any]:
        """The parameters of the user queries (``queries``) for this tuning."""
        t = self.tuning
        # every list keeps `candidates` before blending: a title 11th in one list still gets
        # its share from the other when the caller wants 10
        return {"user": user_id, "now": self.clock(), "history": t.history,
                "similar_history": t.similar_history,
                "fanout": t.fanout, "neighbours": t.neighbours, "tau_s": t.tau_s,
                "per_neighbour": t.per_neighbour,
                "top_features": t.top_features, "per_feature": t.per_feature,
                "w_genre": t.w_genre, "w_director": t.w_director, "w_actor": t.w_actor,
                "limit": max(limit, t.candidates)}

    def invalidate(self, user_id: str) -> None:
        self.cache.invalidate(user_id)

    def watched(self, user_id: str) -> set[str]:
        """Every title the user has watched, from their records (DynamoDB), for the answer
        that does not come from the graph."""
        return {item.title_id for item in UserTitleModel.query(
            user_id, filter_condition=UserTitleModel.watched == True,  # noqa: E712
            attributes_to_get=["title_id"])}

    # -- titles -----------------------------------------------------------------------------
    def similar_to(self, title: Mapping[str, Any], limit: int) -> Recommendations:
        """Titles like `title` (a catalogue record); when the graph is degraded, the popular
        titles of its first genre."""
        genres = title.get("genres") or []
        return self.similar(str(title["id"]), genres[0] if genres else None, limit)

    def similar(self, title_id: str, genre: str | None, limit: int) -> Recommendations:
        """Titles like this one by Jaccard similarity; popular ones of its genre if degraded."""
        try:
            rows = self._within_budget(lambda: self._read(queries.SIMILAR,
                                                          {"id": title_id, "limit": limit}))
        except Exception as exc:
            logger.warning("similar titles degraded", error=type(exc).__name__)
            return {"results": self.popular.cards(limit, {title_id}, genre), "degraded": True}
        results = []
        for row in rows:
            reasons: list[Reason] = [
                {"kind": b["kind"], "text": f"Also {b['name']}" if b["kind"] == "genre"
                 else f"With {b['name']}", "name": b["name"]} for b in row["because"]]
            results.append(self._card(row["title"], round(row["score"], 4), reasons))
        return {"results": results, "degraded": False}

    # -- parts ------------------------------------------------------------------------------
    def _cached(self, user_id: str, limit: int) -> list[Recommended] | None:
        try:
            return self.cache.get(user_id, limit)
        except Exception as exc:
            logger.warning("recommendation cache unavailable", error=type(exc).__name__)
            return None

    def _just_finished(self, user_id: str) -> set[str]:
        try:
            return self.cache.finished_titles(user_id)
        except Exception as exc:
            logger.warning("recommendation cache unavailable", error=type(exc).__name__)
            return set()

    def _degraded(self, user_id: str, limit: int, finished: set[str]) -> Recommendations:
        exclude = set(finished)
        try:
            exclude |= self.watched(user_id)
        except Exception as exc:  # the just-finished titles are still left out
            logger.warning("watched titles unavailable", error=type(exc).__name__)
        return {"results": self.popular.cards(limit, exclude), "degraded": True,
                "cached": False}

    def _put(self, user_id: str, results: list[Recommended]) -> None:
        try:
            self.cache.put(user_id, results)
        except Exception as exc:
            logger.warning("recommendation cache unavailable", error=type(exc).__name__)

    def _cache_late(self, user_id: str, done: Future[list[Recommended]]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._put(user_id, done.result())

    def _within_budget(self, work: Callable[[], Any]) -> Any:
        future = self._pool.submit(work)
        try:
            return future.result(timeout=self.budget_s)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(f"the graph took longer than {self.budget_s:g} s") from None

    def _read(self, cypher: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            return list(s.execute_read(_rows, cypher, params))

    @staticmethod
    def _add(blend: dict[str, _Candidate], rows: list[dict[str, Any]], weight: float,
             reasons: Callable[[dict[str, Any]], list[Reason]]) -> None:
        if not rows or weight <= 0:
            return
        top = max(float(r["score"] or 0) for r in rows) or 1.0
        for row in rows:
            title = row["title"]
            part = weight * float(row["score"] or 0) / top
            entry = blend.setdefault(title["id"], _Candidate(title))
            entry.score += part
            for rank, why in enumerate(reasons(row)):
                entry.reasons.append((part / (rank + 1), why))

    def _result(self, candidate: _Candidate) -> Recommended:
        reasons: list[Reason] = []
        for _part, why in sorted(candidate.reasons, key=lambda r: -r[0]):
            if why not in reasons:
                reasons.append(why)
        return self._card(candidate.title, round(candidate.score, 4), reasons or [_POPULAR])

    def _card(self, title: dict[str, Any], score: float, reasons: list[Reason]) -> Recommended:
        """A result from a graph row's title."""
        return {"id": title["id"], "name": title.get("name") or title["id"],
                "kind": title.get("kind"), "year": title.get("year"),
                "poster_url": poster_url(title.get("poster_path"), self.image_base, title["id"],
                                         bool(title.get("playable"))),
                "playable": bool(title.get("playable")), "score": score, "reasons": reasons}


_POPULAR: Reason = {"kind": "popular", "text": "Popular on Notflix"}


def _watched_reason(row: dict[str, Any]) -> list[Reason]:
    because = row.get("because")
    if not because:
        return []
    return [{"kind": "watched", "title_id": because["id"],
             "text": f"Because you watched {because['name'] or because['id']}"}]


def _content_reason(row: dict[str, Any]) -> list[Reason]:
    """The features that weighed most: a genre you like, a director, an actor."""
    reasons: list[Reason] = []
    for pick in row.get("because") or []:
        name = pick["name"]
        text = {"director": f"More from {name}", "actor": f"With {name}"}.get(
            pick["kind"], f"Because you like {name}")
        reasons.append({"kind": pick["kind"], "text": text, "name": name})
    return reasons


def playable_first(results: list[Recommended]) -> list[Recommended]:
    """The playable results first, each group in its own order."""
    return sorted(results, key=lambda r: not r["playable"])


def _ranked(blend: dict[str, _Candidate]) -> list[_Candidate]:
    return sorted(blend.values(), key=lambda c: (-c.score, c.title["id"]))


def _without(results: list[Recommended], titles: set[str]) -> list[Recommended]:
    return [r for r in results if r["id"] not in titles] if titles else results


def _rows(tx: ManagedTransaction, cypher: LiteralString, params: dict[str, Any]
          ) -> list[dict[str, Any]]:
    return [record.data() for record in tx.run(cypher, params)]


@dataclass
class _Lists:
    watched: int
    similar: list[dict[str, Any]]
    popular: list[dict[str, Any]]
    collaborative: list[dict[str, Any]] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)


def _user_lists(tx: ManagedTransaction, params: dict[str, Any], cold_start_watches: int,
                wanted: int) -> _Lists:
    watched = int(tx.run(queries.HISTORY_SIZE, params).single(strict=True)["watched"])
    similar = (_rows(tx, queries.BECAUSE_WATCHED,
                     {**params, "limit_plus_watched": params["limit"] + watched})
               if watched else [])
    popular = (_rows(tx, queries.POPULAR, params)
               if watched < cold_start_watches else [])
    lists = _Lists(watched, similar, popular)
    if watched and len(similar) < wanted:
        lists.collaborative = _rows(tx, queries.COLLABORATIVE, params)
        lists.content = _rows(tx, queries.CONTENT, params)
    return lists
