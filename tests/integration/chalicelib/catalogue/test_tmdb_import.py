"""TMDB imports against the local TMDB: export streaming, retries, failures, resumption."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.importing.models import ImportFailureModel
from chalicelib.catalogue.titles.models import TitleModel, str_list
from chalicelib.platform.errors import AppError
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.paths import PROJECT_ROOT
from localcloud.tmdb_sim.server import FakeTmdb, make_movie, make_series
from tests.conftest import TMDB_TEST_KEY
from tests.integration.auth_client import Account, register
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def services(catalogue_services: Services) -> Services:
    return catalogue_services


@pytest.fixture(scope="module")
def admin(api_url: str, catalogue_services: Services) -> Account:
    account = register(api_url)
    catalogue_services.accounts.set_roles(account.user["id"], ["admin", "viewer"])
    return account


def line(payload: dict[str, Any], kind: str = "movie") -> bytes:
    if kind == "movie":
        entry = {"adult": payload["adult"], "id": payload["id"],
                 "original_title": payload["original_title"],
                 "popularity": payload["popularity"], "video": payload["video"]}
    else:
        entry = {"id": payload["id"], "original_name": payload["original_name"],
                 "popularity": payload["popularity"]}
    return json.dumps(entry).encode()


def test_an_admin_started_import_streams_the_export_retries_and_keeps_failures(
        api_url: str, import_worker: None, fake_tmdb: FakeTmdb, admin: Account,
        services: Services) -> None:
    day = date(2031, 3, 14)
    films = [make_movie(9001, title="Glacier Lagoon", countries=("IS",), vote_average=8.2,
                        vote_count=5000, popularity=90.0),
             make_movie(9002, title="Throttled But Fine", countries=("IS",), popularity=40.0),
             make_movie(9003, title="Always Broken", countries=("IS",)),
             make_movie(9004, title="Northern Lights Café", countries=("IS", "NO"),
                        vote_average=7.0, vote_count=300, popularity=5.0)]
    adult = make_movie(9005, title="Adult Entry", adult=True)
    video = make_movie(9006, title="Video Entry", video=True)
    show = make_series(9101, name="Fjord Station", countries=("IS",), seasons=2,
                       episodes=(3, 4))
    fake_tmdb.add(*films, adult, video, show)
    fake_tmdb.publish_export("movie", day, [
        line(films[0]), b'{"adult":false,"id":', line(films[1]), line(adult),
        b'{"adult":false,"original_title":"No Id","popularity":1.0,"video":false}',
        line(films[2]), line(video), line(films[3]), b""])
    fake_tmdb.publish_export("tv", day, [line(show, "tv")])
    fake_tmdb.script("/3/movie/9002", [429, 200])
    fake_tmdb.script("/3/movie/9003", [500] * 12)

    no_auth = httpx.post(f"{api_url}/api/admin/imports/tmdb", json={}, timeout=30)
    assert no_auth.status_code == 401
    viewer = register(api_url)
    forbidden = httpx.post(f"{api_url}/api/admin/imports/tmdb", json={},
                           headers=viewer.bearer, timeout=30)
    assert forbidden.status_code == 403
    bad = httpx.post(f"{api_url}/api/admin/imports/tmdb", json={"kinds": ["people"]},
                     headers=admin.bearer, timeout=30)
    assert bad.status_code == 422

    started = httpx.post(f"{api_url}/api/admin/imports/tmdb", headers=admin.bearer,
                         json={"date": day.isoformat()}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/api/admin/imports/{run_id}"

    def finished() -> dict[str, Any] | None:
        status = httpx.get(f"{api_url}/api/admin/imports/{run_id}", headers=admin.bearer,
                           timeout=30).json()
        return status if status["status"] in ("DONE", "FAILED") else None

    run = eventually(finished, timeout=120, interval=0.5)
    assert run["status"] == "DONE", run
    counts = run["counts"]
    assert counts["lines"] == 9 + 1 and counts["bad_lines"] == 2
    assert counts["skipped_adult_or_video"] == 2
    assert counts["created"] == 4 and counts["failed"] == 1 and counts["fetched"] == 4
    failures = {f["item"]: f for f in run["failures"]}
    assert "500" in failures["movie:9003"]["error"]
    assert '"status_code": 11' in failures["movie:9003"]["raw"] or \
        '"status_code":11' in failures["movie:9003"]["raw"]
    bad_lines = [key for key in failures if key.startswith("export:movie:2031-03-14:line:")]
    assert sorted(bad_lines) == ["export:movie:2031-03-14:line:2",
                                 "export:movie:2031-03-14:line:5"]
    assert ImportFailureModel.get("movie:9003").attempts >= 1

    throttled = fake_tmdb.requests_for("/3/movie/9002")
    assert [r.status for r in throttled] == [429, 200]
    assert throttled[1].time - throttled[0].time >= 0.95  # Retry-After: 1 was honoured
    assert not fake_tmdb.requests_for("/3/movie/9005")  # adult entries are never fetched

    lagoon = TitleModel.get("movie-9001")
    assert (lagoon.name, str_list(lagoon.countries), lagoon.imdb_id) == ("Glacier Lagoon", ["IS"],
                                                                "tt0009001")
    assert any(p["role"] == "director" for p in lagoon.people)
    season = httpx.get(f"{api_url}/api/titles/tv-9101/seasons/2", timeout=30).json()
    assert [e["number"] for e in season["episodes"]] == [1, 2, 3, 4]
    results = httpx.get(f"{api_url}/api/search", params={"q": "northern cafe"},
                        timeout=30).json()["results"]
    assert [r["id"] for r in results] == ["movie-9004"]
    assert results[0]["poster_url"] == "https://image.tmdb.org/t/p/w342/p9004.jpg"
    # the rankings were rebuilt too: Iceland's few imported films are not enough for one
    ranking = httpx.get(f"{api_url}/api/rankings/countries/IS", timeout=30)
    assert ranking.status_code == 404 and ranking.json()["error"]["code"] == "no_ranking"
    listed = httpx.get(f"{api_url}/api/admin/imports", headers=admin.bearer, timeout=30).json()
    assert run_id in [r["id"] for r in listed["runs"]]


def test_a_run_out_of_time_resumes_and_later_runs_fetch_only_new_ids(
        fake_tmdb: FakeTmdb, services: Services) -> None:
    day = date(2031, 4, 1)
    films = [make_movie(9200 + n, title=f"Resumable {n}", countries=("FI",)) for n in range(10)]
    fake_tmdb.add(*films)
    fake_tmdb.publish_export("movie", day, [line(f) for f in films])
    imports = services.imports
    run = imports.create(["movie"], day, None, "test")
    calls = 0

    def budget() -> float:
        nonlocal calls
        calls += 1
        return 900.0 if calls <= 4 else 1.0  # four ids, then "the Lambda is about to stop"

    assert imports.work(run["id"], remaining=budget, requeue=False) == "PAUSED"
    paused = imports.status(run["id"])
    assert paused["status"] == "PAUSED" and paused["counts"]["fetched"] == 4
    assert imports.work(run["id"], requeue=False) == "DONE"
    done = imports.status(run["id"])
    assert done["counts"]["fetched"] == 10 and done["counts"]["created"] == 10
    for film in films:  # every id fetched exactly once across both invocations
        assert len(fake_tmdb.requests_for(f"/3/movie/{film['id']}")) == 1

    rerun = imports.create(["movie"], day, None, "test")
    assert imports.work(rerun["id"], requeue=False) == "DONE"
    assert imports.status(rerun["id"])["counts"]["up_to_date"] == 10
    assert imports.status(rerun["id"])["counts"]["fetched"] == 0

    newcomer = make_movie(9299, title="Resumable Newcomer", countries=("FI",))
    fake_tmdb.add(newcomer)
    next_day = date(2031, 4, 2)
    fake_tmdb.publish_export("movie", next_day, [line(f) for f in [*films, newcomer]])
    limited = imports.create(["movie"], next_day, 5, "test")
    assert imports.work(limited["id"], requeue=False) == "DONE"
    counts = imports.status(limited["id"])["counts"]
    assert (counts["to_fetch"], counts["fetched"], counts["up_to_date"]) == (1, 1, 10)
    assert len(fake_tmdb.requests_for("/3/movie/9299")) == 1
    assert len(fake_tmdb.requests_for("/3/movie/9200")) == 1


def test_an_import_without_an_export_for_the_day_fails_with_a_message(
        services: Services) -> None:
    imports = services.imports
    run = imports.create(["movie"], date(2030, 1, 1), None, "test")
    assert imports.work(run["id"], requeue=False) == "FAILED"
    status = imports.status(run["id"])
    message = status["message"] or ""
    assert status["status"] == "FAILED" and "no export for 2030-01-01" in message
    assert "tmdb-test-key" not in message


def test_only_one_run_works_at_a_time(services: Services) -> None:
    imports = services.imports
    first = imports.create(["movie"], date(2031, 5, 1), None, "test")
    second = imports.create(["movie"], date(2031, 5, 1), None, "test")
    runs = imports.runs
    runs.acquire("tmdb", first["id"])
    try:
        with pytest.raises(AppError) as busy:
            imports.work(second["id"], requeue=False)
        assert busy.value.status == 409 and first["id"] in busy.value.message
        assert imports.status(second["id"])["status"] == "QUEUED"
    finally:
        runs.release("tmdb", first["id"])
    runs.acquire("tmdb", second["id"])  # free again once released
    runs.release("tmdb", second["id"])


def test_the_cli_imports_with_a_progress_bar(fake_tmdb: FakeTmdb, stack_env: dict[str, str],
                                             tmdb_env: dict[str, str], resources: Resources,
                                             services: Services) -> None:
    day = date(2031, 6, 1)
    films = [make_movie(9400 + n, title=f"Command Line {n}", countries=("EE",))
             for n in range(3)]
    fake_tmdb.add(*films)
    fake_tmdb.publish_export("movie", day, [line(f) for f in films])
    env = {**stack_env, **tmdb_env, "NOTFLIX_PREFIX": resources.settings.resource_prefix,
           "COLUMNS": "200"}
    notflix = str(Path(sys.executable).with_name("notflix"))
    result = subprocess.run([notflix, "import", "tmdb", "--date", day.isoformat(), "--kind",
                             "movie"], env=env, cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "films: details" in result.stdout and "ETA" in result.stdout
    assert "DONE: " in result.stdout and "created 3" in result.stdout
    assert TMDB_TEST_KEY not in result.stdout + result.stderr
    assert services.catalogue.title("movie-9402").name == "Command Line 2"
    refused = subprocess.run([notflix, "import", "tmdb", "--kind", "people"], env=env,
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "movie, tv or all" in refused.stdout + refused.stderr
