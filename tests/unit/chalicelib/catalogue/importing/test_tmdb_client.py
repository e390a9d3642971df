"""The TMDB client against the local TMDB over real HTTP: retries, throttling, auth, exports."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from chalicelib.catalogue.importing.tmdb_client import (
    TmdbAuthError,
    TmdbClient,
    TmdbError,
    TmdbNotFound,
    export_name,
    parse_retry_after,
)
from chalicelib.catalogue.importing.tmdb_export import ExportStats, open_export, parse_lines
from localcloud.tmdb_sim.server import FakeTmdb, Scripted, make_movie, make_series
from tests.support import free_port

T = TypeVar("T")
API_KEY = "k3y-that-must-never-leak-0123456789"
BEARER = "eyJhbGciOiJIUzI1NiJ9.bearer-that-must-never-leak"
DAY = date(2026, 3, 4)


@pytest.fixture
def fake() -> Iterator[FakeTmdb]:
    with FakeTmdb(api_key=API_KEY, bearer_token=BEARER) as server:
        server.add(*(make_movie(i) for i in range(1, 41)))
        yield server


def call(fake: FakeTmdb, use: Callable[[TmdbClient], Awaitable[T]], **options: Any) -> T:
    """Run `use` with a client for `fake`: fast retries unless the test says otherwise."""
    settings: dict[str, Any] = {"api_key": API_KEY, "backoff_seconds": 0.01,
                                "max_backoff_seconds": 0.05, "rate_per_second": 1000.0,
                                **options}

    api_url = settings.pop("api_url", fake.api_url)

    async def run() -> T:
        async with httpx.AsyncClient(timeout=5) as http:
            return await use(TmdbClient(http, api_url=api_url, export_url=fake.export_url,
                                        **settings))

    return asyncio.run(run())


def test_movie_details_come_with_credits_and_external_ids(fake: FakeTmdb) -> None:
    movie = call(fake, lambda c: c.movie(7))
    assert movie["id"] == 7 and movie["title"] == make_movie(7)["title"]
    assert movie["credits"]["cast"] and movie["external_ids"]["imdb_id"] == "tt0000007"
    [request] = fake.requests_for("/3/movie/7")
    assert request.appended == ["credits", "external_ids"]
    assert request.query["api_key"] == API_KEY
    assert "authorization" not in request.headers


def test_a_bearer_token_goes_in_the_authorization_header(fake: FakeTmdb) -> None:
    assert call(fake, lambda c: c.movie(3), api_key="", bearer_token=BEARER)["id"] == 3
    [request] = fake.requests_for("/3/movie/3")
    assert request.headers["authorization"] == f"Bearer {BEARER}"
    assert "api_key" not in request.query


def test_credentials_are_required() -> None:
    with pytest.raises(ValueError, match="api_key or a bearer_token"):
        TmdbClient(httpx.AsyncClient(), api_url="http://x/3", export_url="http://x/p/exports")


def test_429_is_retried_after_the_wait_tmdb_asked_for(fake: FakeTmdb) -> None:
    fake.script("/3/movie/7", [429, 200], retry_after="1")

    async def use(client: TmdbClient) -> tuple[dict[str, Any], TmdbClient]:
        return await client.movie(7), client

    movie, client = call(fake, use)
    assert movie["id"] == 7
    first, second = fake.requests_for("/3/movie/7")
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 0.95
    assert (client.stats.throttled, client.stats.retries, client.stats.requests) == (1, 1, 2)


def test_a_429_pauses_every_caller_not_just_the_throttled_one(fake: FakeTmdb) -> None:
    fake.script("/3/movie/1", [429], retry_after="1")

    async def use(client: TmdbClient) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(client.movie(i) for i in (1, 2, 3))))

    assert [m["id"] for m in call(fake, use, rate_per_second=5.0)] == [1, 2, 3]
    throttled = next(r for r in fake.requests if r.status == 429)
    later = [r for r in fake.requests if r.time > throttled.time]
    assert len(later) == 3 and all(r.time - throttled.time >= 0.95 for r in later)


def test_retry_after_longer_than_we_wait_for_gives_up_at_once(fake: FakeTmdb) -> None:
    fake.script("/3/movie/7", [429, 200], retry_after="120")
    with pytest.raises(TmdbError) as info:
        call(fake, lambda c: c.movie(7), max_retry_after_seconds=5)
    assert info.value.status == 429 and '"status_code": 25' in info.value.body
    assert len(fake.requests_for("/3/movie/7")) == 1


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 3, 4, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 04 Mar 2026 08:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Wed, 04 Mar 2026 07:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_5xx_is_retried_until_attempts_run_out_and_other_ids_are_unaffected(
        fake: FakeTmdb) -> None:
    fake.script("/3/movie/5", [500] * 10)

    async def use(client: TmdbClient) -> list[Any]:
        return list(await asyncio.gather(*(client.movie(i) for i in (4, 5, 6)),
                                         return_exceptions=True))

    four, five, six = call(fake, use, attempts=3)
    assert four["id"] == 4 and six["id"] == 6
    assert isinstance(five, TmdbError) and not isinstance(five, TmdbNotFound)
    assert five.status == 500
    assert json.loads(five.body) == {"success": False, "status_code": 11, "status_message":
                                     "Internal error: Something went wrong, contact TMDB."}
    assert len(fake.requests_for("/3/movie/5")) == 3


def test_a_5xx_then_success_is_a_success(fake: FakeTmdb) -> None:
    fake.script("/3/movie/8", [503, 502, 200])
    assert call(fake, lambda c: c.movie(8))["id"] == 8
    assert [r.status for r in fake.requests_for("/3/movie/8")] == [503, 502, 200]


def test_404_is_not_found_and_not_retried(fake: FakeTmdb) -> None:
    with pytest.raises(TmdbNotFound) as info:
        call(fake, lambda c: c.movie(999))
    assert info.value.status == 404 and json.loads(info.value.body)["status_code"] == 34
    assert len(fake.requests_for("/3/movie/999")) == 1


def test_other_4xx_are_not_retried(fake: FakeTmdb) -> None:
    fake.script("/3/movie/9", [Scripted(422, {"success": False, "status_code": 5,
                                              "status_message": "Invalid parameters"})])
    with pytest.raises(TmdbError) as info:
        call(fake, lambda c: c.movie(9))
    assert info.value.status == 422
    assert len(fake.requests_for("/3/movie/9")) == 1


def test_a_wrong_key_is_an_auth_error_that_never_shows_the_key(
        fake: FakeTmdb, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "wrong-k3y-also-secret-987654321"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TmdbAuthError) as info:
        call(fake, lambda c: c.movie(1), api_key=wrong)
    error = info.value
    assert error.status == 401 and json.loads(error.body)["status_code"] == 7
    assert len(fake.requests_for("/3/movie/1")) == 1
    shown = " ".join([str(error), repr(error), error.body, error.url, caplog.text])
    assert wrong not in shown
    assert "api_key=***" in caplog.text  # httpx's request line, redacted


def test_unreachable_tmdb_is_an_error_without_the_key(fake: FakeTmdb) -> None:
    dead = f"http://127.0.0.1:{free_port()}/3"
    with pytest.raises(TmdbError) as info:
        call(fake, lambda c: c.movie(1), api_url=dead, attempts=2)
    assert info.value.status == 0 and "unreachable" in str(info.value)
    assert API_KEY not in f"{info.value} {info.value!r} {info.value.body}"


def test_the_rate_limit_holds_across_concurrent_calls(fake: FakeTmdb) -> None:
    async def use(client: TmdbClient) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(client.movie(i) for i in range(1, 31))))

    started = time.monotonic()
    movies = call(fake, use, rate_per_second=20.0, concurrency=8)
    elapsed = time.monotonic() - started
    assert sorted(m["id"] for m in movies) == list(range(1, 31))
    assert elapsed >= 1.3  # 29 gaps of 1/20 s
    times = sorted(r.time for r in fake.requests)
    busiest = max(sum(1 for t in times if start <= t < start + 0.5) for start in times)
    assert busiest <= 12  # 10 per half second, plus scheduling slack


def test_series_seasons_are_fetched_in_batches_of_20_and_merged_in_order(
        fake: FakeTmdb) -> None:
    series = make_series(77, seasons=45, episodes=3, specials=2)
    for season in series["seasons"]:
        season["episodes"].reverse()  # the client must not rely on TMDB's order
    fake.add(series)
    payload = call(fake, lambda c: c.series(77))
    assert [s["season_number"] for s in payload["seasons"]] == list(range(46))
    for season in payload["seasons"]:
        expected = 2 if season["season_number"] == 0 else 3
        assert [e["episode_number"] for e in season["episodes"]] == list(range(1, expected + 1))
        assert all(e["season_number"] == season["season_number"] for e in season["episodes"])
    assert payload["credits"]["cast"] and payload["external_ids"]["imdb_id"] == "tt0000077"
    assert not any(key.startswith("season/") for key in payload)
    requests = fake.requests_for("/3/tv/77")
    assert len(requests) == 1 + 3  # details, then seasons 0-19, 20-39, 40-45
    assert all(len(r.appended) <= 20 for r in requests)
    assert sorted(a for r in requests[1:] for a in r.appended) == sorted(
        f"season/{n}" for n in range(46))


def test_a_series_without_seasons_needs_one_request(fake: FakeTmdb) -> None:
    fake.add(make_series(78, seasons=0, episodes=[]))
    assert call(fake, lambda c: c.series(78))["seasons"] == []
    assert len(fake.requests_for("/3/tv/78")) == 1


def test_export_names_follow_tmdb() -> None:
    assert export_name("movie", DAY) == "movie_ids_03_04_2026.json.gz"
    assert export_name("tv", date(2025, 12, 31)) == "tv_series_ids_12_31_2025.json.gz"


def test_export_download_streams_to_disk_and_parses(fake: FakeTmdb, tmp_path: Path) -> None:
    good = [json.dumps({"adult": False, "id": i, "original_title": f"Film {i}",
                        "popularity": 0.6, "video": False}).encode() for i in range(100, 30100)]
    odd = [b'{"adult":false,"id":5,"original_tit', b'{"original_title":"no id"}',
           b'{"adult":true,"id":6,"original_title":"x","popularity":1,"video":false}',
           b'{"adult":false,"id":7,"original_title":"clip","popularity":1,"video":true}']
    fake.publish_export("movie", DAY, good[:10] + odd + good[10:])
    path = call(fake, lambda c: c.download_export("movie", DAY, tmp_path))
    assert path == tmp_path / "movie_ids_03_04_2026.json.gz"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left over
    stats = ExportStats()
    with open_export(path) as lines:
        ids = [entry.tmdb_id for entry in parse_lines(lines, stats)]
    assert ids == list(range(100, 30100))
    assert stats.skipped_adult_or_video == 2 and len(stats.bad) == 2


def test_an_export_built_from_the_catalogue(fake: FakeTmdb, tmp_path: Path) -> None:
    fake.add(make_series(500), make_series(501))
    fake.publish_export("tv", DAY)
    path = call(fake, lambda c: c.download_export("tv", DAY, tmp_path / "tv.json.gz"))
    with open_export(path) as lines:
        assert [e.tmdb_id for e in parse_lines(lines, ExportStats())] == [500, 501]


def test_a_missing_export_says_which_day(fake: FakeTmdb, tmp_path: Path) -> None:
    with pytest.raises(TmdbNotFound, match="no export for 2026-03-04"):
        call(fake, lambda c: c.download_export("movie", DAY, tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert len(fake.requests_for("/p/exports/movie_ids_03_04_2026.json.gz")) == 1


def test_an_export_5xx_is_retried(fake: FakeTmdb, tmp_path: Path) -> None:
    fake.publish_export("movie", DAY)
    fake.script("/p/exports/movie_ids_03_04_2026.json.gz", [503, 200])
    path = call(fake, lambda c: c.download_export("movie", DAY, tmp_path))
    with open_export(path) as lines:
        assert len(list(parse_lines(lines, ExportStats()))) == 40
