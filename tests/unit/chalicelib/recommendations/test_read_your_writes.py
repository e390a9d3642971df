"""Read your own writes: a title the user has just finished is never offered again, whether the
answer comes from the graph (which hears of the watch later, through a queue), the cache, or
the degraded fallback; results say whether they can be played and the home row puts those
first. In process: the graph is a stub (down, or answering as if it had not heard yet)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from neo4j import Driver

from chalicelib.openapi.responses import Recommended
from chalicelib.ratings.thumbs import ViewerThumbs
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, playable_first
from chalicelib.recommendations.trending import Trending
from chalicelib.services import Services
from chalicelib.viewing.updates import Progress
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film, subscriber


class GraphDown:
    def session(self, **_kwargs: Any) -> Any:
        raise ConnectionError("Neo4j is down")


class LaggingGraph(Recommender):
    """The graph's answer computed before the watch reached it: it still offers ``stale``."""

    stale: tuple[Recommended, ...] = ()

    def compute(self, user_id: str, limit: int,
                thumbs: ViewerThumbs | None = None) -> list[Recommended]:
        return list(self.stale[:limit])


def result(title_id: str, playable: bool = True) -> Recommended:
    return {"id": title_id, "name": title_id, "kind": "film", "year": 2001,
            "poster_url": None, "playable": playable, "score": 1.0,
            "reasons": [{"kind": "watched", "text": "Because you watched X"}]}


def recommender(services: Services, cls: type[Recommender] = Recommender,
                trending: Trending | None = None) -> Recommender:
    trending = trending or Trending(services.resources.redis, unique("trending-"))
    return cls(cast(Driver, GraphDown()), services.recommendation_cache,
               PopularTitles(trending, "https://img.example"), "https://img.example",
               budget_s=5.0)


def finish(services: Services, user_id: str, title_id: str) -> None:
    for position in (60.0, 570.0):
        services.progress.record(user_id, Progress(title_id, position, 600.0, "play-0001"))


def ids(results: list[Recommended]) -> list[str]:
    return [r["id"] for r in results]


@pytest.fixture
def viewer(in_process: Services) -> str:
    return subscriber(in_process)


def test_the_degraded_answer_leaves_out_what_was_just_finished(in_process: Services,
                                                               viewer: str) -> None:
    just_watched, other = film(in_process), film(in_process)
    trending = Trending(in_process.resources.redis, unique("trending-"))
    for n in range(3):  # the title just watched is the most played of all
        trending.record_play(just_watched, viewer=f"someone-{n}")
    trending.record_play(other)
    recs = recommender(in_process, trending=trending)

    finish(in_process, viewer, just_watched)
    answer = recs.for_user(viewer, 10)

    assert answer["degraded"] is True
    assert just_watched not in ids(answer["results"])
    assert other in ids(answer["results"])
    # and while a stranger, who has not watched it, is still offered it
    assert just_watched in ids(recs.for_user(unique("stranger-"), 10)["results"])


def test_the_degraded_answer_leaves_out_older_watches_too(in_process: Services,
                                                         viewer: str) -> None:
    watched_long_ago = film(in_process)
    trending = Trending(in_process.resources.redis, unique("trending-"))
    trending.record_play(watched_long_ago)
    recs = recommender(in_process, trending=trending)
    finish(in_process, viewer, watched_long_ago)
    in_process.resources.redis.delete(  # the "just finished" memory has expired
        f"{in_process.settings.resource_prefix}:recs:{viewer}:finished")

    assert watched_long_ago not in ids(recs.for_user(viewer, 10)["results"])


def test_a_graph_that_has_not_heard_of_the_watch_yet_does_not_offer_it(
        in_process: Services, viewer: str) -> None:
    just_watched, other = film(in_process), film(in_process)
    recs = recommender(in_process, LaggingGraph)
    cast(LaggingGraph, recs).stale = (result(just_watched), result(other))
    assert ids(recs.for_user(viewer, 10)["results"]) == [just_watched, other]  # now cached

    finish(in_process, viewer, just_watched)

    fresh = recs.for_user(viewer, 10)  # computed again: the cache was dropped
    assert (ids(fresh["results"]), fresh["cached"]) == ([other], False)
    # a late answer cached after the watch is filtered as it is read
    in_process.recommendation_cache.put(viewer, [result(just_watched), result(other)])
    cached = recs.for_user(viewer, 10)
    assert (ids(cached["results"]), cached["cached"]) == ([other], True)


def test_results_say_if_they_can_be_played_and_the_home_row_puts_those_first(
        in_process: Services, viewer: str) -> None:
    stale = (result("t1", playable=False), result("t2"), result("t3", playable=False),
             result("t4"))
    assert ids(playable_first(list(stale))) == ["t2", "t4", "t1", "t3"]
    recs = recommender(in_process, LaggingGraph)
    cast(LaggingGraph, recs).stale = stale

    assert ids(recs.home(viewer, 3)[0]) == ["t2", "t4", "t1"]
    assert [r["playable"] for r in recs.for_user(viewer, 4)["results"]] == [
        False, True, False, True]  # the API keeps the ranking and says which can be played

    playable = film(in_process)
    trending = Trending(in_process.resources.redis, unique("trending-"))
    trending.record_play(playable)
    degraded = recommender(in_process, trending=trending).for_user(unique("viewer-"), 5)
    assert degraded["results"][0]["id"] == playable
    assert degraded["results"][0]["playable"] is True
