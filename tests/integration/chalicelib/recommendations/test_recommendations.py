"""Recommendations against the real Neo4j and Redis: sync, known answers, caches, trending.

Every test names its own users and titles (unique ids), so tests sharing the session's Neo4j
never see each other's graph.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from neo4j import Driver

from chalicelib.platform.resources import Resources
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.events import (
    GraphEvent,
    PersonRow,
    RatingRow,
    RatingsEvent,
    TitleRow,
    TitlesEvent,
    UserRow,
    UsersEvent,
    WatchesEvent,
    WatchRow,
)
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, Tuning
from chalicelib.recommendations.sync import GraphSync
from chalicelib.recommendations.trending import Trending
from chalicelib.services import Services
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
def driver(resources: Resources, graph_schema: None) -> Driver:
    return resources.neo4j


@pytest.fixture
def sync(driver: Driver) -> GraphSync:
    return GraphSync(driver)


@pytest.fixture
def ns() -> str:
    """This test's id prefix."""
    return unique("r") + "-"


@pytest.fixture
def recommender(driver: Driver, resources: Resources, catalogue_services: Services,
                ns: str) -> Iterator[Recommender]:
    cache = RecommendationCache(resources.redis, f"{resources.settings.resource_prefix}:{ns}",
                                ttl_s=60)
    trending = Trending(resources.redis, f"{resources.settings.resource_prefix}:{ns}")
    yield Recommender(driver, cache, PopularTitles(trending, "https://img.example"),
                      "https://img.example", budget_s=5.0)


def title(ns: str, name: str, *, genres: tuple[str, ...] = (), directors: tuple[str, ...] = (),
          actors: tuple[str, ...] = (), popularity: float = 1.0,
          playable: bool = True) -> TitleRow:
    people = [PersonRow(f"name:{ns}{p}", f"{ns}{p}", "director") for p in directors]
    people += [PersonRow(f"name:{ns}{p}", f"{ns}{p}", "actor") for p in actors]
    return TitleRow(id=f"{ns}{name}", name=f"{ns}{name}", kind="film", year=2020,
                    popularity=popularity, playable=playable,
                    genres=[f"{ns}{g}" for g in genres], people=people)


def watch(ns: str, user: str, name: str, *, count: int = 1, at: str = "2026-11-01T10:00:00Z",
          progress: float = 1.0, completed: bool = True) -> WatchRow:
    return WatchRow(user=f"{ns}{user}", title=f"{ns}{name}", count=count, last_at=at,
                    progress=progress, completed=completed)


def snapshot(driver: Driver, ns: str) -> dict[str, Any]:
    """Every node and edge under this test's prefix, with their properties."""
    records, _, _ = driver.execute_query(
        """
        MATCH (n) WHERE n.id STARTS WITH $ns OR n.key STARTS WITH 'name:' + $ns
                     OR n.name STARTS WITH $ns
        OPTIONAL MATCH (n)-[r]->(m)
        RETURN labels(n) AS labels, properties(n) AS props,
               collect([type(r), properties(r), coalesce(m.id, m.key, m.name)]) AS edges
        """, ns=ns)
    return {str(sorted(r["labels"])) + str(sorted(r["props"].items())):
            sorted(map(str, r["edges"])) for r in records}


def ids(results: Sequence[Mapping[str, Any]]) -> list[str]:
    return [r["id"] for r in results]


# -- sync -----------------------------------------------------------------------------------------
def test_sync_twice_changes_nothing(driver: Driver, sync: GraphSync, ns: str) -> None:
    events: list[GraphEvent] = [
        UsersEvent([UserRow(f"{ns}ann", "2026-11-01T00:00:00Z")]),
        TitlesEvent([title(ns, "heat", genres=("crime", "drama"), directors=("mann",),
                           actors=("pacino", "de niro")),
                     title(ns, "alien", genres=("horror",), directors=("scott",))]),
        WatchesEvent([watch(ns, "ann", "heat", count=2, progress=0.5, completed=False)]),
        RatingsEvent([RatingRow(f"{ns}ann", f"{ns}heat", 9.0, "2026-11-02T00:00:00Z")]),
    ]
    written = sync.apply(events)
    assert written == {"users": 1, "titles": 2, "watches": 1, "ratings": 1}
    first = snapshot(driver, ns)
    sync.apply(events)
    assert snapshot(driver, ns) == first
    records, _, _ = driver.execute_query(
        "MATCH (:User {id: $u})-[w:WATCHED]->(t:Title) RETURN t.id AS t, w.count AS count, "
        "w.progress AS progress, w.completed AS completed", u=f"{ns}ann")
    assert [r.data() for r in records] == [
        {"t": f"{ns}heat", "count": 2, "progress": 0.5, "completed": False}]
    records, _, _ = driver.execute_query(
        "MATCH (t:Title {id: $t}) RETURN [(t)-[:IN_GENRE]->(g) | g.name] AS genres, "
        "[(p)-[:DIRECTED]->(t) | p.name] AS directors, [(p)-[:ACTED_IN]->(t) | p.name] AS cast",
        t=f"{ns}heat")
    found = records[0].data()
    assert sorted(found["genres"]) == [f"{ns}crime", f"{ns}drama"]
    assert found["directors"] == [f"{ns}mann"]
    assert sorted(found["cast"]) == [f"{ns}de niro", f"{ns}pacino"]


def test_watches_keep_the_larger_count_and_the_later_progress(driver: Driver, sync: GraphSync,
                                                             ns: str) -> None:
    sync.apply([TitlesEvent([title(ns, "t")])])
    later = watch(ns, "u", "t", count=3, at="2026-11-03T00:00:00Z", progress=0.95)
    earlier = watch(ns, "u", "t", count=2, at="2026-11-02T00:00:00Z", progress=0.2,
                    completed=False)
    sync.apply([WatchesEvent([later])])
    sync.apply([WatchesEvent([earlier])])  # late delivery of an older update
    records, _, _ = driver.execute_query(
        "MATCH (:User {id: $u})-[w:WATCHED]->() RETURN w.count AS c, w.progress AS p, "
        "w.completed AS done, w.last_at AS at", u=f"{ns}u")
    assert records[0].data() == {"c": 3, "p": 0.95, "done": True, "at": "2026-11-03T00:00:00Z"}


def test_a_changed_title_replaces_its_genres_and_people(driver: Driver, sync: GraphSync,
                                                       ns: str) -> None:
    sync.apply([TitlesEvent([title(ns, "t", genres=("a", "b"), directors=("d1",),
                                   actors=("x",))])])
    sync.apply([TitlesEvent([title(ns, "t", genres=("b", "c"), directors=("d2",))])])
    records, _, _ = driver.execute_query(
        "MATCH (t:Title {id: $t}) RETURN [(t)-[:IN_GENRE]->(g) | g.name] AS genres, "
        "[(p)-[r:DIRECTED|ACTED_IN]->(t) | type(r) + ':' + p.name] AS people", t=f"{ns}t")
    found = records[0].data()
    assert sorted(found["genres"]) == [f"{ns}b", f"{ns}c"]
    assert found["people"] == [f"DIRECTED:{ns}d2"]


# -- recommendations with known answers -----------------------------------------------------------
@pytest.fixture
def small_world(sync: GraphSync, ns: str) -> str:
    """ann watched heat and ronin. bob and cat share both and watched more; dan shares one.

    collaborative for ann: thief (bob + cat: 2 neighbours with overlap 2) before collateral
    (dan: overlap 1); closed is watched by bob but not playable. content for ann: mann
    directed heat, thief and collateral; de niro acts in heat, ronin and casino.
    """
    sync.apply([
        TitlesEvent([
            title(ns, "heat", genres=("crime",), directors=("mann",), actors=("de niro",)),
            title(ns, "ronin", genres=("crime",), directors=("frankenheimer",),
                  actors=("de niro",)),
            title(ns, "thief", genres=("crime",), directors=("mann",), popularity=1),
            title(ns, "collateral", genres=("thriller",), directors=("mann",), popularity=2),
            title(ns, "casino", genres=("drama",), actors=("de niro",), popularity=3),
            title(ns, "closed", genres=("crime",), directors=("mann",), playable=False,
                  popularity=0.5),
            title(ns, "bambi", genres=("family",), popularity=50),
        ]),
        WatchesEvent([
            watch(ns, "ann", "heat"), watch(ns, "ann", "ronin"),
            watch(ns, "bob", "heat"), watch(ns, "bob", "ronin"), watch(ns, "bob", "thief"),
            watch(ns, "bob", "closed"),
            watch(ns, "cat", "heat"), watch(ns, "cat", "ronin"), watch(ns, "cat", "thief"),
            watch(ns, "dan", "ronin"), watch(ns, "dan", "collateral"),
        ]),
    ])
    return ns


def test_collaborative_and_content_answers_with_reasons(recommender: Recommender,
                                                        small_world: str) -> None:
    ns = small_world
    # more than the popular list's candidates (50) and this world's titles together: the
    # shared graph holds other tests' titles, and which are most popular depends on what
    # ran before, so ann's own titles are checked by set, wherever popular ones fall
    results = recommender.compute(f"{ns}ann", Tuning().candidates + 20)
    found = ids(results)
    assert found[0] == f"{ns}thief"  # two neighbours, the director you watched, crime
    assert set(found) >= {f"{ns}thief", f"{ns}collateral", f"{ns}casino"}
    assert f"{ns}heat" not in found and f"{ns}ronin" not in found  # watched
    # the whole catalogue is ranked: a title nobody can play yet is there, and says so
    assert f"{ns}closed" in found
    for result in results:  # ann has watched 2 titles: popular ones are blended in
        if result["id"] == f"{ns}bambi" or not result["id"].startswith(ns):
            assert result["reasons"] == [{"kind": "popular", "text": "Popular on Notflix"}]
    by_id = {r["id"]: r for r in results}
    thief = by_id[f"{ns}thief"]
    texts = [reason["text"] for reason in thief["reasons"]]
    assert any(t.startswith("Because you watched ") for t in texts)
    assert f"More from {ns}mann" in texts
    assert any(r["text"] == f"With {ns}de niro" for r in by_id[f"{ns}casino"]["reasons"])
    assert all(r["reasons"] for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert thief["playable"] is True and thief["poster_url"] == f"/posters/{ns}thief.jpg"
    assert by_id[f"{ns}closed"]["playable"] is False


def test_a_new_user_gets_popular_titles(recommender: Recommender, small_world: str,
                                        sync: GraphSync) -> None:
    ns = small_world
    # more popular than anything earlier runs left in the local graph
    sync.apply([TitlesEvent([title(ns, "blockbuster", popularity=1e9 + time.time())])])
    results = recommender.compute(f"{ns}newcomer", 5)
    assert results[0]["id"] == f"{ns}blockbuster"
    assert results[0]["reasons"] == [{"kind": "popular", "text": "Popular on Notflix"}]
    assert results[0]["playable"] is True


def test_cache_answers_until_a_new_watch(recommender: Recommender, small_world: str,
                                         sync: GraphSync) -> None:
    ns = small_world
    first = recommender.for_user(f"{ns}ann", 5)
    assert first["cached"] is False and first["degraded"] is False
    second = recommender.for_user(f"{ns}ann", 5)
    assert second["cached"] is True and second["results"] == first["results"]
    # ann watches thief: the graph changes and the cache is dropped (as a progress post does)
    sync.apply([WatchesEvent([watch(ns, "ann", "thief")])])
    assert recommender.for_user(f"{ns}ann", 5)["results"] == first["results"]  # still cached
    recommender.invalidate(f"{ns}ann")
    third = recommender.for_user(f"{ns}ann", 5)
    assert third["cached"] is False and f"{ns}thief" not in ids(third["results"])


def test_similar_titles_by_jaccard(recommender: Recommender, small_world: str) -> None:
    ns = small_world
    results = recommender.similar(f"{ns}heat", None, 10)["results"]
    found = ids(results)
    # heat {crime, mann, de niro}: thief {crime, mann} 2/3, closed {crime, mann} 2/3 (less
    # popular, unplayable still listed), ronin {crime, frankenheimer, de niro} 2/4
    assert found[:2] == [f"{ns}thief", f"{ns}closed"]
    assert found.index(f"{ns}ronin") > 1
    assert results[0]["score"] == pytest.approx(2 / 3, abs=1e-3)
    assert {r["name"] for r in results[0]["reasons"]} == {f"{ns}crime", f"{ns}mann"}
    assert f"{ns}heat" not in found and f"{ns}bambi" not in found


class HeldDriver:
    """A Neo4j driver whose sessions open only once the test lets them (a graph slower than
    any budget, whatever the machine's load): ``opened`` counts those that did."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.release = threading.Event()
        self.opened = 0

    def session(self, **config: Any) -> Any:
        self.release.wait(timeout=60)  # a hang guard only: the test releases it
        self.opened += 1
        return self.driver.session(**config)


def test_a_slow_graph_gives_a_degraded_answer(driver: Driver, resources: Resources,
                                              catalogue_services: Services, small_world: str
                                              ) -> None:
    ns = small_world
    trending = Trending(resources.redis, f"{resources.settings.resource_prefix}:{ns}")
    held = HeldDriver(driver)
    impatient = Recommender(cast(Driver, held), RecommendationCache(resources.redis, f"x:{ns}"),
                            PopularTitles(trending, ""), "", budget_s=0.05)
    try:
        answer = impatient.for_user(f"{ns}ann", 5)
        assert answer["degraded"] is True and answer["cached"] is False
        assert impatient.similar(f"{ns}heat", "Drama", 5)["degraded"] is True
        assert held.opened == 0  # both answered without waiting for the graph
    finally:
        held.release.set()


# -- trending --------------------------------------------------------------------------------
def test_trending_decays_with_time(resources: Resources, ns: str) -> None:
    trending = Trending(resources.redis, f"{resources.settings.resource_prefix}:{ns}",
                        half_life_s=3600, rescale_after=4)
    now = time.time()
    for _ in range(3):  # three plays two hours ago: worth 3 / 4 of a play now
        trending.record_play("old", now - 7200)
    trending.record_play("new", now)
    trending.record_play("new", now)
    assert [t for t, _ in trending.top(5)] == ["new", "old"]
    top = dict(trending.top(5))
    assert top["old"] / top["new"] == pytest.approx(3 / 4 / 2, rel=1e-6)
    # ten hours on, the epoch moves (rescale) and the order and ratios hold
    trending.record_play("later", now + 36_000)
    after = dict(trending.top(5))
    assert after["old"] / after["new"] == pytest.approx(3 / 4 / 2, rel=1e-6)
    assert after["later"] > after["new"] * 100
    assert float(resources.redis.get(trending.epoch_key) or 0) == pytest.approx(now + 36_000)


def test_a_viewer_counts_once_per_title_and_utc_day(resources: Resources, ns: str) -> None:
    trending = Trending(resources.redis, f"{resources.settings.resource_prefix}:{ns}",
                        half_life_s=1e9)  # no decay to speak of: each count adds ~1
    noon = datetime(2026, 12, 5, 12, tzinfo=UTC).timestamp()
    assert trending.record_play("film", noon, viewer="user-1") is True
    assert trending.record_play("film", noon + 60, viewer="user-1") is False  # another play
    assert trending.record_play("film", noon + 11 * 3600, viewer="user-1") is False  # 23:00
    assert trending.record_play("other", noon, viewer="user-1") is True  # another title
    assert trending.record_play("film", noon, viewer="user-2") is True  # another viewer
    assert trending.record_play("film", noon + 13 * 3600, viewer="user-1") is True  # next day
    assert trending.record_play("film", noon) is True  # plays without a viewer always count
    assert dict(trending.top(5))["film"] == pytest.approx(4.0, rel=1e-3)


def test_resync_writes_catalogue_titles_to_the_graph(driver: Driver, sync: GraphSync,
                                                     catalogue_services: Services,
                                                     ns: str) -> None:
    from chalicelib.catalogue.titles.records import Person, TitleRecord
    from chalicelib.recommendations.resync import resync_titles

    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=f"{ns}film", kind="film", name="Resynced", source="generated", year=2001,
        genres=(f"{ns}genre",), people=(Person(f"{ns}Director", "director"),))])
    calls: list[tuple[int, int]] = []
    written = resync_titles(sync, progress=lambda done, total: calls.append((done, total)))
    assert written >= 1 and calls[-1][0] == calls[-1][1] >= written
    records, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:DIRECTED]->(t:Title {id: $t})-[:IN_GENRE]->(g:Genre) "
        "RETURN t.name AS name, g.name AS genre, p.name AS director, t.playable AS playable",
        t=f"{ns}film")
    assert [r.data() for r in records] == [{"name": "Resynced", "genre": f"{ns}genre",
                                            "director": f"{ns}Director", "playable": False}]
