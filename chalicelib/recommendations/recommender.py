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

Thumbs (``chalicelib.ratings``) are read from DynamoDB with every request, not from the
graph (which hears of them through a queue): a title rated up or down is never offered, in
any answer; computed answers also apply ``rated``'s rules (titles like a thumbs-down title
lose score or drop, a thumbs-up title seeds "Because you liked X"), and every answer says
why titles dropped (``fewer_like``). A recommender built without a thumbs reader (the
benchmarks) answers exactly as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, LiteralString

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.catalogue.titles.posters import poster_url
from chalicelib.openapi.responses import FewerLike, Reason, Recommendations, Recommended
from chalicelib.ratings.thumbs import NO_THUMBS, ViewerThumbs
from chalicelib.recommendations import queries
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.rated import (
    DISLIKE_PENALTY,
    apply_thumbs,
    fewer_like,
    watched_reason,
    without,
)

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
    #: Thumbs (``rated``): the newest titles rated up whose SIMILAR edges seed
    #: recommendations, the newest rated down whose edges take score off, and by how much.
    liked_seeds: int = 50
    disliked_penalised: int = 100
    dislike_penalty: float = DISLIKE_PENALTY


@dataclass
class _Candidate:
    title: dict[str, Any]
    score: float = 0.0
    reasons: list[tuple[float, Reason]] = field(default_factory=list)


class Recommender:
    def __init__(self, driver: Driver, cache: RecommendationCache, popular: PopularTitles,
                 image_base: str, budget_s: float = 0.3, tuning: Tuning | None = None,
                 database: str | None = None, clock: Callable[[], float] = time.time,
                 thumbs: Callable[[str], ViewerThumbs] | None = None) -> None:
        self.driver = driver
        #: A viewer's thumbs (``Ratings.thumbs``, DynamoDB); None: thumbs are not considered.
        self.thumbs = thumbs
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
        thumbs = self._thumbs(user_id)
        hidden = finished | thumbs.rated
        why = fewer_like(thumbs)
        cached = self._cached(user_id, limit + len(hidden))
        if cached is not None:
            return {"results": _without(cached, hidden)[:limit], "degraded": False,
                    "cached": True, "fewer_like": why}
        future = self._pool.submit(self.compute, user_id, self.tuning.candidates, thumbs)
        try:
            results = future.result(timeout=self.budget_s)
        except FutureTimeout:
            # too slow now (a cold connection, a busy graph): popular titles answer, and the
            # graph's answer, when it comes, is cached for the next request
            future.add_done_callback(lambda done: self._cache_late(user_id, done))
            logger.warning("recommendations degraded", error="TimeoutError")
            return {**self._degraded(user_id, limit, hidden), "fewer_like": why}
        except Exception as exc:  # down, refused: never a 500 for this
            logger.warning("recommendations degraded", error=type(exc).__name__)
            return {**self._degraded(user_id, limit, hidden), "fewer_like": why}
        self._put(user_id, results)
        return {"results": _without(results, hidden)[:limit], "degraded": False,
                "cached": False, "fewer_like": why}

    def home(self, user_id: str, limit: int) -> tuple[list[Recommended], list[FewerLike]]:
        """The home page's row, and why titles dropped from it: the user's recommendations,
        playable titles first (in their order), then the best of the rest when fewer than
        ``limit`` can be played."""
        answer = self.for_user(user_id, limit * 2)
        return playable_first(answer["results"])[:limit], answer.get("fewer_like") or []

    def compute(self, user_id: str, limit: int,
                thumbs: ViewerThumbs | None = None) -> list[Recommended]:
        """The blended list straight from the graph (no cache, no budget); ``thumbs``: the
        viewer's, applied by ``rated``'s rules."""
        t = self.tuning
        thumbs = thumbs or NO_THUMBS
        params = self.query_params(user_id, limit)
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            lists = s.execute_read(_user_lists, params, t.cold_start_watches, limit)
            if thumbs:
                s.execute_read(_rated_lists, lists, params, thumbs.up[:t.liked_seeds],
                               thumbs.down[:t.disliked_penalised])
        similar, hidden = lists.similar, frozenset[str]()
        if thumbs:
            similar, dropped = apply_thumbs(lists.similar, lists.liked, lists.penalties,
                                            t.dislike_penalty)
            hidden = dropped | thumbs.rated
        # a liked title never watched here counts as a watch for the popularity blend
        watched = lists.watched + len({e["source"]["id"] for e in lists.liked})
        cold = (max(0.0, 1.0 - watched / t.cold_start_watches)
                if t.cold_start_watches else 0.0)
        liked = frozenset(thumbs.up)

        def reason(row: dict[str, Any]) -> list[Reason]:
            return watched_reason(row, liked)

        blend: dict[str, _Candidate] = {}
        self._add(blend, without(similar, hidden), 1 - cold, reason)
        # titles without SIMILAR edges yet (a new catalogue, a new user's first titles):
        # the older lists fill in (they are only queried then)
        self._add(blend, without(lists.collaborative, hidden), t.w_collaborative * (1 - cold),
                  reason)
        self._add(blend, without(lists.content, hidden), t.w_content * (1 - cold),
                  _content_reason)
        self._add(blend, without(lists.popular, hidden), cold if watched else 1.0,
                  lambda _row: [_POPULAR])
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

    def _thumbs(self, user_id: str) -> ViewerThumbs:
        if self.thumbs is None:
            return NO_THUMBS
        try:
            return self.thumbs(user_id)
        except Exception as exc:  # recommendations without them rather than none
            logger.warning("thumbs unavailable", error=type(exc).__name__)
            return NO_THUMBS

    def _just_finished(self, user_id: str) -> set[str]:
        try:
            return self.cache.finished_titles(user_id)
        except Exception as exc:
            logger.warning("recommendation cache unavailable", error=type(exc).__name__)
            return set()

    def _degraded(self, user_id: str, limit: int, hidden: set[str] | frozenset[str]
                  ) -> Recommendations:
        exclude = set(hidden)
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


def _without(results: list[Recommended], titles: set[str] | frozenset[str]
             ) -> list[Recommended]:
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
    #: Viewers with thumbs only: the liked titles' edges, the disliked titles' penalties.
    liked: list[dict[str, Any]] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)


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


def _rated_lists(tx: ManagedTransaction, lists: _Lists, params: dict[str, Any],
                 liked: Sequence[str], disliked: Sequence[str]) -> None:
    """The thumbs' part of ``lists``: the liked titles' SIMILAR edges, then the disliked
    titles' weights to every candidate so far."""
    if liked:
        lists.liked = _rows(tx, queries.LIKED_SIMILAR, {"user": params["user"],
                                                        "liked": list(liked)})
    if disliked:
        candidates = {r["title"]["id"] for rows in (lists.similar, lists.collaborative,
                                                    lists.content, lists.popular, lists.liked)
                      for r in rows}
        if candidates:
            lists.penalties = {r["id"]: float(r["w"] or 0) for r in _rows(
                tx, queries.DISLIKED_SIMILAR, {"disliked": list(disliked),
                                               "candidates": sorted(candidates)})}
