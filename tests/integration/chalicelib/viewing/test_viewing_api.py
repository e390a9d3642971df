"""Progress posts and recommendations through the real API, the graph-sync worker and Neo4j."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest
from neo4j import Driver

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Person, TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscriber
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
#: The graph-sync worker's queue, with its retries, on the loaded suite's shared Neo4j.
SYNC_S = 120
ASSET = {"asset_id": "a" * 32, "manifest": "media/x/manifest.mpd", "duration_s": 600.0}


@pytest.fixture
def titles(catalogue_services: Services) -> dict[str, str]:
    """Two playable films by one director, one without a stream yet, and two other playable
    films (a viewer who has watched three titles is past the cold start, when popular titles
    take a share of the recommendations)."""
    ns = unique("v")
    # genres of their own: the shared stack's thousands of dramas would outrank B by genre
    genre = f"{ns} Drama"
    records = [
        TitleRecord(id=f"{ns}-a", kind="film", name=f"{ns} A", source="generated", year=2001,
                    genres=(genre,), popularity=5.0,
                    people=(Person(f"{ns} Director", "director"),)),
        TitleRecord(id=f"{ns}-b", kind="film", name=f"{ns} B", source="generated", year=2002,
                    genres=(genre,), popularity=4.0,
                    people=(Person(f"{ns} Director", "director"),)),
        TitleRecord(id=f"{ns}-c", kind="film", name=f"{ns} C", source="generated", year=2003,
                    genres=(genre,)),
        *(TitleRecord(id=f"{ns}-{x}", kind="film", name=f"{ns} {x.upper()}",
                      source="generated", year=1960, genres=(f"{ns} Western",)) for x in "de"),
    ]
    catalogue_services.catalogue_writer.upsert(records)
    # as the encoder's publish step does
    for playable in (f"{ns}-a", f"{ns}-b", f"{ns}-d", f"{ns}-e"):
        assert attach_asset(playable, ASSET)
        catalogue_services.graph_feed.title_published(playable)
    return {"a": f"{ns}-a", "b": f"{ns}-b", "unplayable": f"{ns}-c", "d": f"{ns}-d",
            "e": f"{ns}-e", "genre": genre}


def post(api_url: str, account: Account | None, body: Any) -> httpx.Response:
    return httpx.post(f"{api_url}/api/me/progress", json=body, timeout=20,
                      headers=account.bearer if account else {})


def completed(driver: Driver, user_id: str, title_id: str) -> bool:
    return bool((watched_edge(driver, user_id, title_id) or {}).get("completed"))


def watched_edge(driver: Driver, user_id: str, title_id: str) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        "MATCH (:User {id: $u})-[w:WATCHED]->(:Title {id: $t}) RETURN w.count AS count, "
        "w.completed AS completed, w.progress AS progress", u=user_id, t=title_id)
    return records[0].data() if records else None


def test_progress_counts_plays_feeds_the_graph_and_trending(
        api_url: str, resources: Resources, titles: dict[str, str], graph_worker: None) -> None:
    driver = resources.neo4j
    account, _ = subscriber(api_url)
    user_id = account.user["id"]
    eventually(lambda: driver.execute_query("MATCH (u:User {id: $u}) RETURN u", u=user_id)[0],
               timeout=SYNC_S)
    film = titles["a"]
    first = post(api_url, account, {"title_id": film, "position_s": 30, "duration_s": 600,
                                    "play_id": "play-00000001"})
    assert first.status_code == 200, first.text
    assert first.json().items() >= {"play_count": 1, "new_play": True, "resume_s": 30,
                                    "progress": 0.05, "watched": False}.items()
    again = post(api_url, account, {"title_id": film, "position_s": 60, "duration_s": 600,
                                    "play_id": "play-00000001"}).json()
    assert again["play_count"] == 1 and again["new_play"] is False
    assert eventually(lambda: watched_edge(driver, user_id, film), timeout=SYNC_S)["count"] == 1
    prefix = resources.settings.resource_prefix
    assert resources.redis.zscore(f"{prefix}:trending", film) is not None
    assert film in resources.redis.zrange(f"{prefix}:continue:{user_id}", 0, -1)
    # from 90% it is watched: out of continue-watching, resume from the start, graph completed
    done = post(api_url, account, {"title_id": film, "position_s": 560, "duration_s": 600,
                                   "play_id": "play-00000001"}).json()
    assert done["watched"] is True and done["resume_s"] == 0 and done["play_count"] == 1
    assert film not in resources.redis.zrange(f"{prefix}:continue:{user_id}", 0, -1)
    eventually(lambda: (watched_edge(driver, user_id, film) or {}).get("completed"), timeout=SYNC_S)
    # a second playback counts a second play
    second = post(api_url, account, {"title_id": film, "position_s": 10, "duration_s": 600,
                                     "play_id": "play-00000002"}).json()
    assert second["play_count"] == 2 and second["new_play"] is True
    assert second["resume_s"] == 0  # under 5%: starts over
    eventually(lambda: (watched_edge(driver, user_id, film) or {}).get("count") == 2,
               timeout=SYNC_S)
    # without a play id, a post right after continues the same play
    same = post(api_url, account, {"title_id": film, "position_s": 40, "duration_s": 600})
    assert same.json()["play_count"] == 2 and same.json()["play_id"] == "play-00000002"
    # recommendations: B shares A's director and genre; A is watched, and D and E too (three
    # watched titles: past the cold start, the whole catalogue's popular titles take no share)
    for n, other in enumerate((titles["d"], titles["e"])):
        post(api_url, account, {"title_id": other, "position_s": 590, "duration_s": 600,
                                "play_id": f"play-0000001{n}"})
        eventually(partial(completed, driver, user_id, other), timeout=SYNC_S)
    def recommendations() -> dict[str, Any] | None:
        recs = httpx.get(f"{api_url}/api/me/recommendations", headers=account.bearer,
                         timeout=20)
        assert recs.status_code == 200, recs.text
        answer: dict[str, Any] = recs.json()
        return None if answer["degraded"] else answer

    # a cold API's first graph query may miss the 300 ms budget (popular titles answer then);
    # the graph's answer is cached when it arrives
    body = eventually(recommendations, timeout=10, interval=0.5)
    found = [r["id"] for r in body["results"]]
    assert titles["b"] in found and film not in found
    # the whole catalogue is ranked: a title without a stream may be there, saying so
    assert all(r["playable"] is (r["id"] != titles["unplayable"]) for r in body["results"]
               if r["id"] in titles.values())
    b = next(r for r in body["results"] if r["id"] == titles["b"])
    assert any(reason["text"].startswith("More from ") for reason in b["reasons"])
    assert recommendations_now(api_url, account)["cached"] is True
    # watching B (a new play) drops the cached list: the next one is computed and leaves B out
    post(api_url, account, {"title_id": titles["b"], "position_s": 100, "duration_s": 600,
                            "play_id": "play-00000003"})
    eventually(lambda: (watched_edge(driver, user_id, titles["b"]) or {}).get("count") == 1,
               timeout=SYNC_S)
    fresh = recommendations_now(api_url, account)
    assert fresh["cached"] is False
    assert titles["b"] not in [r["id"] for r in fresh["results"]] or fresh["degraded"]


def recommendations_now(api_url: str, account: Account) -> dict[str, Any]:
    response = httpx.get(f"{api_url}/api/me/recommendations", headers=account.bearer,
                         timeout=20)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_an_imdb_list_becomes_watched_and_rated_edges(
        api_url: str, resources: Resources, titles: dict[str, str],
        catalogue_services: Services, graph_worker: None) -> None:
    imdb_id = f"tt{unique('')[:7].translate(str.maketrans('abcdef', '123456'))}"
    record = TitleRecord(id=f"{titles['a']}-imdb", kind="film", name="Rated Film",
                         source="generated", year=1999, imdb_id=imdb_id)
    catalogue_services.catalogue_writer.upsert([record])
    account = register(api_url)
    csv_text = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),"
                "Year,Genres,Num Votes,Release Date,Directors\n"
                f'{imdb_id},8,2024-05-01,"Rated Film",https://www.imdb.com/title/{imdb_id}/,'
                "movie,8.0,120,1999,Drama,1000,1999-01-01,Someone\n")
    response = httpx.post(f"{api_url}/api/me/imports/imdb", content=csv_text.encode(),
                          headers={**account.bearer, "Content-Type": "text/csv"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["matched"] == 1

    def edges() -> dict[str, Any] | None:
        records, _, _ = resources.neo4j.execute_query(
            "MATCH (u:User {id: $u})-[r:RATED]->(t:Title {id: $t}) "
            "MATCH (u)-[w:WATCHED]->(t) RETURN r.rating AS rating, w.completed AS completed, "
            "t.name AS name", u=account.user["id"], t=record.id)
        return records[0].data() if records else None

    assert eventually(edges, timeout=30) == {"rating": 8.0, "completed": True,
                                             "name": "Rated Film"}


def test_bad_progress_posts_are_clear_4xx(api_url: str, titles: dict[str, str]) -> None:
    account = register(api_url)
    film = titles["a"]
    cases = [
        ({"title_id": film, "position_s": 700, "duration_s": 600}, 422, "bad_progress"),
        ({"title_id": film, "position_s": -1, "duration_s": 600}, 422, None),
        ({"title_id": film, "position_s": 1, "duration_s": 0}, 422, None),
        ({"title_id": film, "position_s": 1}, 422, None),
        ({"title_id": film, "position_s": False, "duration_s": 60}, 422, None),
        ({"title_id": film, "position_s": "12", "duration_s": 60}, 422, None),
        ({"title_id": film, "position_s": 1, "duration_s": 60, "extra": 1}, 422, None),
        ({"title_id": film, "position_s": 1, "duration_s": 60, "play_id": "x"}, 422, None),
        ({"title_id": "../etc", "position_s": 1, "duration_s": 60}, 422, None),
        ({"title_id": "no-such-title", "position_s": 1, "duration_s": 60}, 404,
         "title_not_found"),
        ({"title_id": titles["unplayable"], "position_s": 1, "duration_s": 60}, 409,
         "title_not_playable"),
        # what playing needs: a free account records no progress (and so no trending play)
        ({"title_id": film, "position_s": 1, "duration_s": 60, "play_id": "play-00000001"},
         402, "subscription_required"),
    ]
    for body, status, code in cases:
        response = post(api_url, account, body)
        assert response.status_code == status, (body, response.text)
        error = response.json()["error"]
        assert error["message"]
        if code:
            assert error["code"] == code
    nan = httpx.post(f"{api_url}/api/me/progress", headers={
        **account.bearer, "Content-Type": "application/json"}, timeout=20,
        content=f'{{"title_id": "{film}", "position_s": NaN, "duration_s": 60}}')
    assert nan.status_code == 400  # NaN is not JSON: the body parser refuses it
    assert nan.json()["error"]["code"] == "malformed_json"
    assert post(api_url, None, {"title_id": film, "position_s": 1,
                                "duration_s": 60}).status_code == 401
    assert httpx.get(f"{api_url}/api/me/recommendations", timeout=20).status_code == 401


def test_similar_titles_route(api_url: str, titles: dict[str, str], resources: Resources,
                              graph_worker: None) -> None:
    driver = resources.neo4j
    eventually(lambda: driver.execute_query("MATCH (t:Title {id: $t})<-[:DIRECTED]-() "
                                            "RETURN t", t=titles["b"])[0], timeout=30)
    response = httpx.get(f"{api_url}/api/titles/{titles['a']}/similar", timeout=20)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["degraded"] is False
    assert body["results"][0]["id"] == titles["b"]
    assert {r["name"] for r in body["results"][0]["reasons"]} >= {titles["genre"]}
    missing = httpx.get(f"{api_url}/api/titles/no-such-title/similar", timeout=20)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "title_not_found"
    bad = httpx.get(f"{api_url}/api/titles/{titles['a']}/similar?limit=abc", timeout=20)
    assert 400 <= bad.status_code < 500 and bad.json()["error"]["message"]


def test_a_subscriber_counts_once_a_day_in_trending_however_many_plays(
        api_url: str, resources: Resources, titles: dict[str, str]) -> None:
    account, _ = subscriber(api_url)
    film = titles["b"]
    key = f"{resources.settings.resource_prefix}:trending"

    def play(n: int) -> None:
        posted = post(api_url, account, {"title_id": film, "position_s": 5, "duration_s": 600,
                                         "play_id": f"play-{n:08d}"})
        assert posted.status_code == 200, posted.text
        assert posted.json()["new_play"] is True  # each is a play of the user's own history

    play(0)
    once = resources.redis.zscore(key, film)
    assert once is not None
    for n in range(1, 40):
        play(n)
    assert resources.redis.zscore(key, film) == once
    other, _ = subscriber(api_url)
    assert post(api_url, other, {"title_id": film, "position_s": 5, "duration_s": 600,
                                 "play_id": "play-00000001"}).status_code == 200
    assert (resources.redis.zscore(key, film) or 0) > once
