"""TMDB details payloads -> TitleRecord: real-shaped payloads, nulls, and payloads we refuse."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.importing.tmdb_client import TmdbClient
from chalicelib.catalogue.importing.tmdb_mapping import MappingError, movie_record, series_record
from chalicelib.catalogue.titles.records import Episode, Person, TitleRecord
from localcloud.tmdb_sim.server import FakeTmdb, make_movie, make_series


def test_a_movie_maps_every_field() -> None:
    payload = make_movie(550, title="Fight Club", year=1999, countries=("us", "DE"),
                         genres=("Drama", "Thriller"), vote_average=8.4, vote_count=30000,
                         popularity=61.4, imdb_id="tt0137523", runtime=139, cast=20)
    record = movie_record(payload)
    assert record.id == "movie-550" and record.kind == "film" and record.source == "tmdb"
    assert (record.name, record.original_name, record.year) == ("Fight Club", "Fight Club", 1999)
    assert record.genres == ("Drama", "Thriller") and record.countries == ("US", "DE")
    assert (record.runtime, record.rating, record.votes) == (139, 8.4, 30000)
    assert record.popularity == 61.4 and record.poster_path == "/p550.jpg"
    assert (record.tmdb_id, record.imdb_id) == (550, "tt0137523")
    assert record.overview.startswith("Fight Club") and record.seasons == ()

    crew = payload["credits"]["crew"]
    director = next(c for c in crew if c["job"] == "Director")
    screenplay = next(c for c in crew if c["job"] == "Screenplay")
    roles = [p.role for p in record.people]
    assert roles == ["director", "writer"] + ["actor"] * 15  # no novelist, composer, producer
    assert record.people[0] == Person(director["name"], "director", tmdb_id=director["id"])
    assert record.people[1].name == screenplay["name"]
    actors = [p for p in record.people if p.role == "actor"]
    billed = sorted(payload["credits"]["cast"], key=lambda c: c["order"])[:15]
    assert [(a.name, a.character, a.order) for a in actors] == [
        (c["name"], c["character"], i) for i, c in enumerate(billed)]


def test_nulls_and_empty_values_are_tolerated() -> None:
    payload = make_movie(12, year=None, vote_count=0, imdb_id=None, runtime=0)
    payload.update({"genres": None, "production_countries": None, "overview": None,
                    "poster_path": None, "popularity": None, "original_title": None,
                    "credits": {"cast": [{"name": "No Order", "character": None, "order": None},
                                         {"name": None, "order": 0},
                                         {"id": 5, "name": "Twice", "character": "A", "order": 2},
                                         {"id": 5, "name": "Twice", "character": "B", "order": 3}],
                                "crew": None}})
    record = movie_record(payload)
    assert record.year is None  # release_date ""
    assert record.rating is None and record.votes == 0  # vote_count 0
    assert record.imdb_id is None and record.runtime is None and record.poster_path is None
    assert (record.genres, record.countries, record.overview) == ((), (), "")
    assert record.original_name == "" and record.popularity == 0.0
    assert record.people == (Person("Twice", "actor", character="A", order=0, tmdb_id=5),
                             Person("No Order", "actor", order=1))
    assert movie_record({"id": 1, "title": "Bare"}) == TitleRecord(
        id="movie-1", kind="film", name="Bare", source="tmdb", tmdb_id=1)


def test_the_imdb_id_comes_from_external_ids_and_must_look_like_one() -> None:
    payload = make_movie(13, imdb_id=None)
    payload["external_ids"]["imdb_id"] = "tt7654321"
    assert movie_record(payload).imdb_id == "tt7654321"
    payload["imdb_id"] = payload["external_ids"]["imdb_id"] = "nm0000123"
    assert movie_record(payload).imdb_id is None
    payload["imdb_id"], payload["external_ids"] = "", None
    assert movie_record(payload).imdb_id is None


def test_a_series_maps_creators_countries_runtime_and_ordered_seasons() -> None:
    payload = make_series(1399, name="A Long Story", year=2011, countries=("gb",), seasons=3,
                          episodes=[4, 2, 3], specials=1, episode_run_time=(52, 60))
    creator = payload["created_by"][0]
    payload["seasons"].reverse()
    for season in payload["seasons"]:
        season["episodes"].reverse()
    payload["seasons"][0]["episodes"][0]["runtime"] = None
    record = series_record(payload)
    assert record.id == "tv-1399" and record.kind == "series" and record.year == 2011
    assert record.name == "A Long Story" and record.countries == ("GB",)
    assert record.runtime == 52 and record.imdb_id == "tt0001399"
    assert record.people[0] == Person(creator["name"], "creator", tmdb_id=creator["id"])
    assert [s.number for s in record.seasons] == [0, 1, 2, 3]
    assert [s.name for s in record.seasons] == ["Specials", "Season 1", "Season 2", "Season 3"]
    assert [[e.number for e in s.episodes] for s in record.seasons] == [
        [1], [1, 2, 3, 4], [1, 2], [1, 2, 3]]
    assert [s.episode_count for s in record.seasons] == [1, 4, 2, 3]
    last = record.seasons[-1].episodes[-1]
    assert isinstance(last, Episode) and last.runtime is None and last.air_date
    assert last.name.startswith("Episode 3")


def test_series_fallbacks() -> None:
    payload = make_series(7, countries=("FR",), year=None, seasons=1, episodes=1,
                          episode_run_time=())
    payload.update({"origin_country": [], "created_by": None, "seasons": [
        {"season_number": 1, "name": None, "air_date": "", "episode_count": None,
         "episodes": [{"episode_number": 1, "name": None, "overview": None, "air_date": None},
                      {"episode_number": None, "name": "unnumbered"}]},
        {"season_number": None, "name": "no number"}]})
    record = series_record(payload)
    assert record.countries == ("FR",)  # production_countries, as origin_country is empty
    assert record.year is None and record.runtime is None
    assert record.seasons[0].name == "Season 1" and record.seasons[0].air_date is None
    assert record.seasons[0].episode_count == 1
    assert record.seasons[0].episodes == (Episode(1, "Episode 1"),)
    assert not any(p.role == "creator" for p in record.people)


def test_a_series_fetched_over_http_maps() -> None:
    async def fetch(fake: FakeTmdb) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as http:
            client = TmdbClient(http, api_url=fake.api_url, export_url=fake.export_url,
                                api_key="key", rate_per_second=1000)
            return await client.series(42)

    with FakeTmdb(api_key="key") as fake:
        fake.add(make_series(42, seasons=22, episodes=2))
        record = series_record(asyncio.run(fetch(fake)))
    assert [s.number for s in record.seasons] == list(range(1, 23))
    assert all([e.number for e in s.episodes] == [1, 2] for s in record.seasons)


@pytest.mark.parametrize(("change", "reason"), [
    ({"id": None}, "no valid id"),
    ({"id": "550"}, "id must be an integer"),
    ({"id": True}, "id must be an integer"),
    ({"title": None, "original_title": None}, "550 has no title"),
    ({"title": "  ", "original_title": ""}, "550 has no title"),
    ({"title": 550}, "title must be a string"),
    ({"genres": "Drama"}, "genres must be a list"),
    ({"genres": ["Drama"]}, "genres[0] must be an object"),
    ({"vote_average": "8.1"}, "vote_average must be a number"),
    ({"credits": []}, "credits must be an object"),
    ({"credits": {"cast": [{"name": "x", "order": "1"}]}}, "credits.cast[0].order"),
    ({"release_date": 1999}, "release_date must be a string"),
])
def test_unmappable_movies_say_why(change: dict[str, Any], reason: str) -> None:
    payload = {**make_movie(550), **change}
    with pytest.raises(MappingError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        movie_record(payload)


@pytest.mark.parametrize(("change", "reason"), [
    ({"name": None, "original_name": None}, "has no name"),
    ({"origin_country": "GB"}, "origin_country must be a list of strings"),
    ({"episode_run_time": [None]}, "episode_run_time must be a list of integers"),
    ({"seasons": [1, 2]}, r"seasons\[0\] must be an object"),
])
def test_unmappable_series_say_why(change: dict[str, Any], reason: str) -> None:
    payload = {**copy.deepcopy(make_series(9)), **change}
    with pytest.raises(MappingError, match=reason):
        series_record(payload)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(MappingError, match="must be an object"):
        movie_record([])  # type: ignore[arg-type]
    with pytest.raises(MappingError, match="must be an object"):
        series_record(None)  # type: ignore[arg-type]
