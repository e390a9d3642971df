"""SIMILAR edges against the real Neo4j: the job's edges replace the old ones, and the engine
sums them from a user's watches, with the watch behind each result as its reason.

The job is fitted on this test's own watches and writes its own titles' edges only (the
session's graph is shared with other tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

from chalicelib.platform.resources import Resources
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.ease import fit
from chalicelib.recommendations.events import (
    TitleRow,
    TitlesEvent,
    WatchesEvent,
    WatchRow,
)
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, Tuning
from chalicelib.recommendations.similarity_job import SimilarityJob
from chalicelib.recommendations.sync import GraphSync
from chalicelib.recommendations.trending import Trending
from chalicelib.services import Services
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
def ns() -> str:
    return unique("sim") + "-"


@pytest.fixture
def recommender(resources: Resources, graph_schema: None, catalogue_services: Services,
                ns: str) -> Iterator[Recommender]:
    prefix = f"{resources.settings.resource_prefix}:{ns}"
    # no popularity blended in for a short history: this graph is shared with other tests
    yield Recommender(resources.neo4j, RecommendationCache(resources.redis, prefix, ttl_s=60),
                      PopularTitles(Trending(resources.redis, prefix), "https://img.example"),
                      "https://img.example", budget_s=5.0, tuning=Tuning(cold_start_watches=0))


def watch(ns: str, user: str, title: str) -> WatchRow:
    return WatchRow(user=f"{ns}{user}", title=f"{ns}{title}", count=1,
                    last_at="2001-01-01T00:00:00Z", progress=1.0, completed=True)


def similar_edges(driver: Driver, ns: str) -> set[tuple[str, str]]:
    records, _, _ = driver.execute_query(
        "MATCH (a:Title)-[:SIMILAR]->(b:Title) WHERE a.id STARTS WITH $ns "
        "RETURN a.id AS a, b.id AS b", ns=ns)
    return {(r["a"].removeprefix(ns), r["b"].removeprefix(ns)) for r in records}


def test_because_you_watched_walks_the_similar_edges(recommender: Recommender,
                                                     resources: Resources, ns: str) -> None:
    driver = resources.neo4j
    names = ("a1", "a2", "a3", "b1", "b2", "b3")
    titles = [TitleRow(id=f"{ns}{n}", name=f"Film {n}", kind="film", popularity=1.0,
                       playable=n != "a3") for n in names]
    # two tastes: users 0-5 watch two of the a titles, users 6-11 two of the b titles;
    # the history is old (2001): no decay may drown it
    watches = [watch(ns, f"u{u}", f"{'a' if u < 6 else 'b'}{k + 1}")
               for u in range(12) for k in range(3) if k != u % 3]
    GraphSync(driver).apply([TitlesEvent(titles), WatchesEvent(
        [*watches, watch(ns, "me", "a1")])])
    job = SimilarityJob(driver)
    job.write(fit([(w.user, w.title) for w in watches], lam=1.0, top_k=4))
    assert ("a1", "a2") in similar_edges(driver, ns)

    results = recommender.compute(f"{ns}me", 3)

    assert {r["id"] for r in results[:2]} == {f"{ns}a2", f"{ns}a3"}
    assert f"{ns}a1" not in [r["id"] for r in results]  # watched
    for result in results[:2]:
        assert result["reasons"][0] == {"kind": "watched", "title_id": f"{ns}a1",
                                        "text": "Because you watched Film a1"}
    playable = {r["id"]: r["playable"] for r in results}
    assert (playable[f"{ns}a2"], playable[f"{ns}a3"]) == (True, False)

    # the next run replaces a title's edges: a1 now leads to b1 only
    job.write(fit([("x", f"{ns}a1"), ("x", f"{ns}b1")], lam=1.0, top_k=4))
    assert {e for e in similar_edges(driver, ns) if e[0] == "a1"} == {("a1", "b1")}
    assert recommender.compute(f"{ns}me", 3)[0]["id"] == f"{ns}b1"
