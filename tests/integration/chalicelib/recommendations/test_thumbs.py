"""Thumbs against the real stack: ratings in DynamoDB (moto server), the SIMILAR model in
Neo4j, the cache in Redis. A thumbs-down title and its nearest similar titles drop and the
answer says why; a thumbs-up title seeds "Because you liked X" without a watch; the degraded
answer leaves thumbs-down titles out too.

The similarity job is fitted on this test's own watches and writes its own titles' edges
only (the session's graph is shared with other tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from neo4j import Driver

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.ease import fit
from chalicelib.recommendations.events import TitleRow, TitlesEvent, WatchesEvent, WatchRow
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, Tuning
from chalicelib.recommendations.similarity_job import SimilarityJob
from chalicelib.recommendations.sync import GraphSync
from chalicelib.recommendations.trending import Trending
from chalicelib.services import Services
from tests.support import unique

pytestmark = pytest.mark.integration
NAMES = ("a1", "a2", "a3", "b1", "b2", "b3")
ASSET = {"asset_id": "c" * 32, "manifest": "media/x/manifest.mpd", "duration_s": 600.0}


@pytest.fixture
def ns() -> str:
    return unique("thumbs") + "-"


@pytest.fixture
def trending(resources: Resources, ns: str) -> Trending:
    return Trending(resources.redis, f"{resources.settings.resource_prefix}:{ns}")


def make(resources: Resources, services: Services, trending: Trending, ns: str,
         driver: Any = None) -> Recommender:
    # no popularity blended in for a short history: this graph is shared with other tests
    return Recommender(driver or resources.neo4j,
                       RecommendationCache(resources.redis,
                                           f"{resources.settings.resource_prefix}:{ns}", 60),
                       PopularTitles(trending, "https://img.example"), "https://img.example",
                       budget_s=10.0, tuning=Tuning(cold_start_watches=0),
                       thumbs=services.ratings.thumbs)


@pytest.fixture
def graph(resources: Resources, graph_schema: None, catalogue_services: Services,
          ns: str) -> Iterator[None]:
    """Two tastes: users 0-5 watch two of the a titles, users 6-11 two of the b titles; each
    title is in the catalogue (DynamoDB) and the graph, with SIMILAR edges fitted on them."""
    driver = resources.neo4j
    catalogue_services.catalogue_writer.upsert([
        TitleRecord(id=f"{ns}{n}", kind="film", name=f"Film {ns}{n}", source="generated",
                    year=2001, genres=(f"{ns}genre",)) for n in NAMES])
    titles = [TitleRow(id=f"{ns}{n}", name=f"Film {ns}{n}", kind="film", popularity=1.0,
                       playable=True) for n in NAMES]
    watches = [watch(ns, f"u{u}", f"{'a' if u < 6 else 'b'}{k + 1}")
               for u in range(12) for k in range(3) if k != u % 3]
    GraphSync(driver).apply([TitlesEvent(titles), WatchesEvent(
        [*watches, watch(ns, "me", "a1")])])
    SimilarityJob(driver).write(fit([(w.user, w.title) for w in watches], lam=1.0, top_k=4))
    yield


def watch(ns: str, user: str, title: str) -> WatchRow:
    return WatchRow(user=f"{ns}{user}", title=f"{ns}{title}", count=1,
                    last_at="2001-01-01T00:00:00Z", progress=1.0, completed=True)


def ids(results: list[Any]) -> list[str]:
    return [r["id"] for r in results]


def test_a_thumbs_down_title_and_titles_like_it_drop_and_the_answer_says_why(
        graph: None, resources: Resources, catalogue_services: Services, trending: Trending,
        ns: str) -> None:
    me = f"{ns}me"
    recommender = make(resources, catalogue_services, trending, ns)
    before = recommender.for_user(me, 5)
    assert {f"{ns}a2", f"{ns}a3"} <= set(ids(before["results"][:2]))
    assert before["fewer_like"] == []

    rated = catalogue_services.ratings.set(me, f"{ns}a2", "down")
    assert (rated["thumb"], rated["rating"]) == ("down", 1)
    recommender.cache.invalidate(me)  # as the route's rating does for the app's cache

    after = recommender.for_user(me, 5)
    assert after["degraded"] is False
    # a2 is never offered; a3, as like a2 as it is like a1, lost twice that and fell below 0
    assert f"{ns}a2" not in ids(after["results"])
    assert f"{ns}a3" not in ids(after["results"])
    assert after["fewer_like"] == [{
        "title_id": f"{ns}a2", "name": f"Film {ns}a2",
        "text": f"Fewer titles like Film {ns}a2: you rated it down"}]
    # read from the cache now: still without them, still saying why
    cached = recommender.for_user(me, 5)
    assert cached["cached"] is True and f"{ns}a2" not in ids(cached["results"])
    assert cached["fewer_like"] == after["fewer_like"]

    # cleared: both come back
    catalogue_services.ratings.clear(me, f"{ns}a2")
    recommender.cache.invalidate(me)
    again = recommender.for_user(me, 5)
    assert {f"{ns}a2", f"{ns}a3"} <= set(ids(again["results"]))


def test_a_thumbs_up_title_seeds_because_you_liked_without_a_watch(
        graph: None, resources: Resources, catalogue_services: Services, trending: Trending,
        ns: str) -> None:
    fan = f"{ns}fan"  # has watched nothing here
    catalogue_services.ratings.set(fan, f"{ns}b1", "up")
    answer = make(resources, catalogue_services, trending, ns).for_user(fan, 5)
    assert set(ids(answer["results"][:2])) == {f"{ns}b2", f"{ns}b3"}
    assert f"{ns}b1" not in ids(answer["results"])
    for result in answer["results"][:2]:
        assert result["reasons"][0] == {"kind": "liked", "title_id": f"{ns}b1",
                                        "text": f"Because you liked Film {ns}b1"}

    # watched and liked: the reason says liked
    me = f"{ns}me"
    catalogue_services.ratings.set(me, f"{ns}a1", "up")
    mine = make(resources, catalogue_services, trending, ns).for_user(me, 5)
    assert mine["results"][0]["reasons"][0]["text"] == f"Because you liked Film {ns}a1"


class GraphDown:
    def session(self, **_kwargs: Any) -> Any:
        raise ConnectionError("Neo4j is down")


def test_the_degraded_answer_leaves_thumbs_down_titles_out(
        graph: None, resources: Resources, catalogue_services: Services, trending: Trending,
        ns: str) -> None:
    disliked, other = f"{ns}b2", f"{ns}b3"
    for title_id in (disliked, other):
        assert attach_asset(title_id, ASSET)
    for n in range(3):  # the disliked title is the most played of all
        trending.record_play(disliked, viewer=f"someone-{n}")
    trending.record_play(other)
    viewer = f"{ns}picky"
    down = make(resources, catalogue_services, trending, ns, cast(Driver, GraphDown()))
    assert disliked in ids(down.for_user(viewer, 10)["results"])

    catalogue_services.ratings.set(viewer, disliked, "down")
    answer = down.for_user(viewer, 10)
    assert answer["degraded"] is True
    assert disliked not in ids(answer["results"]) and other in ids(answer["results"])
    assert [f["title_id"] for f in answer["fewer_like"]] == [disliked]
