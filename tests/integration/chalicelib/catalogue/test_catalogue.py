"""The catalogue end to end: seed, browse, titles and seasons, search, rankings, IMDb lists."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.demo.seeding import SeedResult, seed
from chalicelib.catalogue.demo.wikidata import wikidata_records
from chalicelib.catalogue.rankings import MIN_RATED_FILMS, weighted_rating
from chalicelib.catalogue.rebuild import CatalogueIndexer
from chalicelib.catalogue.titles.facets import rank_key
from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import register

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def services(catalogue_services: Services) -> Services:
    return catalogue_services


#: The most reviewed films of the 17,470, loaded here (all of them would take minutes).
SEEDED = 3000


@pytest.fixture(scope="module")
def seeded(catalogue_services: Services) -> Iterator[SeedResult]:
    yield seed(catalogue_services.catalogue_writer, catalogue_services.catalogue_indexer,
               films=SEEDED)


def film(title_id: str, name: str, year: int | None, *, countries: tuple[str, ...] = (),
         rating: float | None = None, votes: int = 0, popularity: float = 1.0,
         imdb_id: str | None = None, genres: tuple[str, ...] = ("Drama",)) -> TitleRecord:
    return TitleRecord(id=title_id, kind="film", name=name, source="generated", year=year,
                       countries=countries, rating=rating, votes=votes, popularity=popularity,
                       imdb_id=imdb_id, genres=genres)


def get(api_url: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{api_url}{path}", params=params, timeout=30)


def test_seed_loads_the_real_films_and_demo_series_and_a_second_seed_changes_nothing(
        seeded: SeedResult, services: Services) -> None:
    assert seeded.source.rows == 17_472
    assert (seeded.source.kept, seeded.source.duplicates, seeded.source.rejected) == (
        17_470, 2, [])
    assert seeded.written.created == SEEDED + 4 and not seeded.written.failed
    assert seeded.rebuilt.titles >= SEEDED + 4
    again = seed(services.catalogue_writer, services.catalogue_indexer, films=SEEDED)
    assert (again.written.created, again.written.updated, again.written.unchanged) == (
        0, 0, SEEDED + 4)


def test_browse_pages_through_a_facet_in_popularity_order_without_repeats(
        api_url: str, seeded: SeedResult) -> None:
    expected = sorted((r for r in list(wikidata_records())[:SEEDED] if r.year == 1994),
                      key=lambda r: rank_key(r.popularity, r.id))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"year": 1994, "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = get(api_url, "/api/titles", **params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["titles"]) <= 7
        assert all(t["year"] == 1994 for t in body["titles"])
        seen += [t["id"] for t in body["titles"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [r.id for r in expected]


def test_browse_combines_filters_and_refuses_bad_ones(api_url: str, seeded: SeedResult) -> None:
    dramas = get(api_url, "/api/titles", type="film", genre="Drama", year=1994, limit=50).json()
    assert dramas["titles"] and all("Drama" in t["genres"] and t["kind"] == "film"
                                    for t in dramas["titles"])
    # case does not matter
    assert get(api_url, "/api/titles", type="Film", genre="drama", year=1994,
               limit=50).json() == dramas
    japanese = get(api_url, "/api/titles", type="series", country="jp").json()["titles"]
    assert "demo-yoru-no-kissaten" in [t["id"] for t in japanese]
    assert all(t["kind"] == "series" and "JP" in t["countries"] for t in japanese)
    card = japanese[0]
    assert card["has_poster"] is False  # no imported art: its frame once playable, else drawn
    assert card["poster_url"] == f"/posters/{card['id']}.{'jpg' if card['playable'] else 'svg'}"
    for params, code in (({"type": "movie"}, "bad_filter"), ({"year": "nineteen"}, "bad_filter"),
                         ({"country": "XX"}, "bad_filter"), ({"cursor": "!!"}, "bad_cursor"),
                         ({"limit": "0"}, None)):
        response = get(api_url, "/api/titles", **params)
        assert response.status_code == 400, (params, response.text)
        if code:
            assert response.json()["error"]["code"] == code
    other_facet_cursor = get(api_url, "/api/titles", year=1994, limit=1).json()["next"]
    assert get(api_url, "/api/titles", year=1995,
               cursor=other_facet_cursor).json()["error"]["code"] == "bad_cursor"


def test_a_series_lists_its_seasons_and_ordered_episodes(api_url: str,
                                                         seeded: SeedResult) -> None:
    series = get(api_url, "/api/titles/demo-harbour-lights").json()
    assert series["kind"] == "series"
    assert [s["number"] for s in series["seasons"]] == [1, 2, 3]
    assert series["seasons"][1]["episode_count"] == 6
    season = get(api_url, "/api/titles/demo-harbour-lights/seasons/2")
    assert season.status_code == 200
    episodes = season.json()["episodes"]
    assert [e["number"] for e in episodes] == [1, 2, 3, 4, 5, 6]
    assert episodes[0]["name"] == "Harbour Lights 2x01"
    for path in ("/api/titles/demo-harbour-lights/seasons/9",
                 "/api/titles/demo-harbour-lights/seasons/two",
                 "/api/titles/demo-harbour-lights/seasons/\u00b2", "/api/titles/no-such-title",
                 "/api/titles/no-such-title/seasons/1", f"/api/titles/{'x' * 300}"):
        response = get(api_url, path)
        assert response.status_code == 404, path
        assert response.json()["error"]["message"]
    placeholder = get(api_url, "/posters/placeholder.svg")
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"].startswith("image/svg+xml")


def test_search_ignores_case_and_accents_matches_word_prefixes_and_ranks_by_quality(
        api_url: str, services: Services, seeded: SeedResult) -> None:
    services.catalogue_writer.upsert([
        film("t-zoe", "Zoé", 2001, countries=("FR",), popularity=50, imdb_id="tt0211915"),
        film("t-zoe-long", "Le Voyage Extraordinaire de Zoé Lumière", 2001, popularity=80),
        film("t-zoey", "Zoey", 2009, countries=("US",), popularity=10)])
    services.catalogue_indexer.rebuild()

    def names(q: str) -> list[str]:
        """The titles whose name matched (people called Zoe follow them)."""
        response = get(api_url, "/api/search", q=q, limit=50)
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()["results"] if r["match"]["kind"] == "title"]

    # exact name, then names starting with the query, then other word-prefix matches
    assert names("ZOE") == ["Zoé", "Zoey", "Le Voyage Extraordinaire de Zoé Lumière"]
    assert names("zoé") == names("ZOE")
    assert names("voyage zoe") == ["Le Voyage Extraordinaire de Zoé Lumière"]
    assert names("lum extraord") == ["Le Voyage Extraordinaire de Zoé Lumière"]
    assert names("oe") == []
    assert "Amélie" in names("amelie")  # Wikidata's text arrives as UTF-8, accents intact
    godfathers = names("godf")
    assert godfathers[0] == "The Godfather" and "The Godfather Part II" in godfathers
    assert "300" in names("300")
    hit = get(api_url, "/api/search", q="zoe").json()["results"][0]
    assert hit == {"id": "t-zoe", "name": "Zoé", "year": 2001, "imdb_id": "tt0211915",
                   "poster_url": "/posters/t-zoe.svg", "country": "FR", "kind": "film",
                   "match": {"kind": "title", "text": "Zoé"}}
    # outside the documented length: the shared query check; blank: the search's own
    for bad, code in (("", "bad_query_param"), ("x" * 101, "bad_query_param"),
                      ("   ", "bad_query")):
        response = get(api_url, "/api/search", q=bad)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code
    for page in ("0", "x", "1001"):
        response = get(api_url, "/api/search", q="zoe", page=page)
        assert response.status_code == 400, page
        assert response.json()["error"]["code"] == "bad_query_param"


def test_search_finds_people_genres_and_typos_and_pages_honestly(
        api_url: str, seeded: SeedResult) -> None:
    """Issue 20's acceptance queries on the real (Wikidata) films."""
    def search(q: str, **params: Any) -> dict[str, Any]:
        response = get(api_url, "/api/search", q=q, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    coppola = search("coppola", limit=50)["results"]
    reasons = {r["name"]: r["match"]["text"] for r in coppola}
    assert reasons["The Godfather"] == "directed by Francis Ford Coppola"
    assert reasons["Lost in Translation"] == "directed by Sofia Coppola"
    hanks = search("tom hanks", limit=50)
    assert "Captain Phillips" in [r["name"] for r in hanks["results"]]
    assert {r["match"]["text"] for r in hanks["results"]} == {
        "with Tom Hanks", "directed by Tom Hanks"}  # Larry Crowne: he directed it too
    assert hanks["total"] == len(hanks["results"]) and hanks["next"] is None
    godfater = search("godfater")
    assert godfater["did_you_mean"] == "godfather"
    assert godfater["results"][0]["name"] == "The Godfather"

    drama = search("drama", limit=20)
    assert drama["total_exact"] and drama["total"] > 500 and drama["next"] == 2
    assert {"kind": "genre", "text": "Drama"} in [r["match"] for r in drama["results"]]
    second = search("drama", limit=20, page=2)
    assert second["total"] == drama["total"] and second["page"] == 2
    first_ids = {r["id"] for r in drama["results"]}
    assert len(second["results"]) == 20 and not first_ids & {r["id"] for r in second["results"]}
    both = search("drama", limit=40)["results"]
    assert [r["id"] for r in both] == [r["id"] for r in drama["results"] + second["results"]]
    one = search("lost in translation")
    assert (one["total"], len(one["results"]), one["next"]) == (1, 1, None)


def test_country_ranking_matches_hand_computed_weighted_ratings(
        api_url: str, services: Services, resources: Resources) -> None:
    # Tuvalu, Kiribati and Palau: countries no film of the seeded demo catalogue has
    films = [film("nz-a", "Few But Perfect", 2010, countries=("TV",), rating=9.6, votes=40),
             film("nz-b", "Beloved Classic", 1999, countries=("TV", "KI"), rating=8.4,
                  votes=120_000, imdb_id="tt0120737"),
             film("nz-c", "Solid Drama", 2005, countries=("TV",), rating=7.9, votes=8000),
             film("nz-d", "Cult Favourite", 2015, countries=("TV",), rating=8.1, votes=600)]
    # a ranking needs MIN_RATED_FILMS rated films: six middling ones complete Tuvalu's
    filler = [film(f"nz-f{n}", f"Filler {n}", 2000, countries=("TV",), rating=5.0, votes=5000)
              for n in range(MIN_RATED_FILMS - len(films))]
    series = TitleRecord(id="nz-s", kind="series", name="Not A Film", source="generated",
                         countries=("TV",), rating=9.9, votes=90_000)
    services.catalogue_writer.upsert([*films, *filler, series])
    m, c = 1000, 6.8
    CatalogueIndexer(resources.s3, resources.settings.data_bucket, m, c).rebuild()
    expected = sorted(((weighted_rating(f.rating or 0, f.votes, m, c), f) for f in films),
                      key=lambda pair: -pair[0])
    # by hand: b = 120000/121000·8.4 + 1000/121000·6.8 = 8.3868; c = 8000/9000·7.9 + 1000/9000·6.8
    # = 7.7778; d = 600/1600·8.1 + 1000/1600·6.8 = 7.2875; a = 40/1040·9.6 + 1000/1040·6.8 = 6.9077
    assert [round(wr, 4) for wr, _ in expected] == [8.3868, 7.7778, 7.2875, 6.9077]

    response = get(api_url, "/api/rankings/countries/tv", limit=3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["country"] == "TV" and body["min_votes"] == m and body["mean_vote"] == c
    assert body["scale"] == "audience"  # TMDB-style votes, not the demo's critics' reviews
    assert [t["id"] for t in body["titles"]] == ["nz-b", "nz-c", "nz-d"]
    top = body["titles"][0]
    assert top == {"id": "nz-b", "imdb_id": "tt0120737", "name": "Beloved Classic",
                   "year": 1999, "rating": 8.4, "votes": 120_000, "weighted_rating": 8.3868,
                   "poster_path": None, "playable": False, "poster_url": "/posters/nz-b.svg"}
    everything = get(api_url, "/api/rankings/countries/TV", limit=10).json()["titles"]
    assert [t["weighted_rating"] for t in everything[:4]] == [8.3868, 7.7778, 7.2875, 6.9077]
    assert len(everything) == 10 and "nz-s" not in {t["id"] for t in everything}
    # Kiribati has one rated film, Palau none: no ranking, and a 404 that says why
    for few in ("KI", "PW"):
        refused = get(api_url, f"/api/rankings/countries/{few}")
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "no_ranking"
        assert "not enough rated films" in refused.json()["error"]["message"]
    for unknown in ("QQ", "USA", "1A"):
        missing = get(api_url, f"/api/rankings/countries/{unknown}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "unknown_country"
        assert "country code" in missing.json()["error"]["message"]


IMDB_HEADER = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),"
               "Year,Genres,Num Votes,Release Date,Directors")


def imdb_row(const: str, rating: str, title: str, year: str) -> str:
    return (f'{const},{rating},2024-05-01,"{title}",https://www.imdb.com/title/{const}/,movie,'
            f'8.0,120,{year},Drama,1000,{year}-01-01,Someone')


def test_an_imdb_list_is_matched_by_id_then_title_and_year_and_recorded(
        api_url: str, services: Services, seeded: SeedResult) -> None:
    services.catalogue_writer.upsert([
        film("t-matched-by-id", "Das Boot", 1981, countries=("DE",), rating=8.4, votes=250_000,
             imdb_id="tt0082096")])
    account = register(api_url)
    csv_text = "\n".join([
        IMDB_HEADER,
        imdb_row("tt0082096", "9", "The Boat", "1981"),  # same id, IMDb's English title
        imdb_row("tt0111161", "10", "The Shawshank Redemption", "1994"),  # Wikidata's id
        imdb_row("tt9999991", "", "A Film Nobody Has", "2003"),
    ]) + "\n"
    response = httpx.post(f"{api_url}/api/me/imports/imdb", content=csv_text.encode(),
                          headers={**account.bearer, "Content-Type": "text/csv"}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    matched = {m["imdb_id"]: m for m in body["matched"]}
    assert matched["tt0082096"] == {"countrycode": "DE", "name": "Das Boot", "year": 1981,
                                    "imdb_id": "tt0082096", "id": "t-matched-by-id",
                                    "personal_rating": 9, "rating": 8.4}
    shawshank = matched["tt0111161"]
    assert shawshank["name"] == "The Shawshank Redemption" and shawshank["year"] == 1994
    assert shawshank["personal_rating"] == 10 and shawshank["countrycode"] == "US"
    assert shawshank["id"] == "wd-tt0111161"
    assert body["unmatched"] == [{"name": "A Film Nobody Has", "year": 2003,
                                  "imdb_id": "tt9999991"}]
    records = {r.title_id: r for r in UserTitleModel.query(account.user["id"])}
    assert set(records) == {"t-matched-by-id", shawshank["id"]}
    assert records["t-matched-by-id"].watched and records["t-matched-by-id"].rating == 9
    assert records["t-matched-by-id"].rated_at == "2024-05-01T00:00:00.000Z"

    again = httpx.post(f"{api_url}/api/me/imports/imdb", content=csv_text.encode(),
                       headers={**account.bearer, "Content-Type": "text/csv"}, timeout=60)
    assert again.json()["counts"] == body["counts"]
    assert len(list(UserTitleModel.query(account.user["id"]))) == 2


def test_a_malformed_imdb_list_is_refused_naming_the_line(api_url: str) -> None:
    account = register(api_url)
    bad = "\n".join([IMDB_HEADER, imdb_row("tt0082096", "9", "Das Boot", "1981"),
                     imdb_row("tt0082097", "eleven", "Other", "1981")])
    response = httpx.post(f"{api_url}/api/me/imports/imdb", content=bad.encode(),
                          headers={**account.bearer, "Content-Type": "text/csv"}, timeout=30)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_csv" and error["message"].startswith("Line 3:")
    assert "Your Rating" in error["message"]
    assert list(UserTitleModel.query(account.user["id"])) == []  # nothing half-imported
    in_json = httpx.post(f"{api_url}/api/me/imports/imdb", json={"csv": bad},
                         headers=account.bearer, timeout=30)
    assert in_json.status_code == 400 and in_json.json()["error"]["message"].startswith("Line 3")
    wrong_json = httpx.post(f"{api_url}/api/me/imports/imdb", json={"rows": []},
                            headers=account.bearer, timeout=30)
    assert wrong_json.status_code == 415
    assert wrong_json.json()["error"]["code"] == "csv_type"
    xml = httpx.post(f"{api_url}/api/me/imports/imdb", content=b"<list/>",
                     headers={**account.bearer, "Content-Type": "application/xml"}, timeout=30)
    assert xml.status_code == 415
    assert xml.json()["error"]["code"] == "unsupported_media_type"
    anonymous = httpx.post(f"{api_url}/api/me/imports/imdb", content=bad.encode(),
                           headers={"Content-Type": "text/csv"}, timeout=30)
    assert anonymous.status_code == 401


class DynamoCalls:
    """Counts the DynamoDB requests pynamodb makes (every model goes through dispatch)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pynamodb.connection.base import Connection

        original = Connection.dispatch
        operations = self.operations

        def counting(connection: Connection, operation_name: str,
                     operation_kwargs: dict[str, Any]) -> dict[str, Any]:
            operations.append(operation_name)
            return original(connection, operation_name, operation_kwargs)

        monkeypatch.setattr(Connection, "dispatch", counting)


def test_an_imdb_list_costs_a_bounded_number_of_dynamodb_requests(
        services: Services, seeded: SeedResult, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.catalogue.importing.imdb_csv import parse

    rows = 300
    services.catalogue_writer.upsert([
        film(f"t-bulk-{n}", f"Bulk Film {n}", 1990 + n % 30, imdb_id=f"tt{7_000_000 + n}")
        for n in range(0, rows, 2)])  # half match by IMDb id, half by name and year, or not
    records = parse("\n".join([IMDB_HEADER, *(
        imdb_row(f"tt{7_000_000 + n}", str(1 + n % 10), f"Bulk Film {n}", str(1990 + n % 30))
        for n in range(rows))]) + "\n")
    calls = DynamoCalls()
    calls.install(monkeypatch)
    outcome = services.imdb_import.run("bulk-user", records)
    assert outcome["counts"] == {"rows": rows, "matched": rows // 2, "unmatched": rows // 2}
    reads = [op for op in calls.operations if op != "UpdateItem"]
    # the keys of every row (IMDb id and name#year) 100 a call, then the candidate titles
    assert len(reads) <= 2 * rows // 100 + rows // 100 + 2, sorted(set(reads))
    assert set(reads) == {"BatchGetItem"}
    # a matched row updates its title's item in place (keeping the viewer's plays and thumbs):
    # one UpdateItem each (a retried one may add a call), none for the unmatched rows
    assert rows // 2 <= calls.operations.count("UpdateItem") <= rows // 2 + 5


def test_an_imdb_list_over_the_row_limit_or_with_a_lone_surrogate_is_a_4xx(
        api_url: str) -> None:
    from chalicelib.catalogue.importing.imdb_csv import MAX_ROWS

    account = register(api_url)
    surrogate = httpx.post(f"{api_url}/api/me/imports/imdb", content=b'{"csv": "\\ud800"}',
                           headers={**account.bearer, "Content-Type": "application/json"},
                           timeout=30)
    assert surrogate.status_code == 400, surrogate.text
    assert surrogate.json()["error"]["code"] == "text_not_unicode"
    too_long = "\n".join(["Const,Title", *(f"tt{8_000_000 + n},X" for n in range(MAX_ROWS + 1))])
    refused = httpx.post(f"{api_url}/api/me/imports/imdb", content=too_long.encode(),
                         headers={**account.bearer, "Content-Type": "text/csv"}, timeout=30)
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["code"] == "imdb_too_many_rows"
    assert f"{MAX_ROWS:,}".replace(",", "") in refused.json()["error"]["message"]
    assert list(UserTitleModel.query(account.user["id"])) == []


def test_the_backfill_gives_titles_written_before_the_match_keys_their_keys(
        services: Services, seeded: SeedResult) -> None:
    from pynamodb.models import Model

    from chalicelib.catalogue.importing.imdb_csv import parse
    from chalicelib.catalogue.importing.imdb_import import find_all
    from chalicelib.catalogue.titles.match_key_backfill import backfill
    from chalicelib.catalogue.titles.match_keys import imdb_key, name_key, titles_by_key
    from chalicelib.catalogue.titles.models import CATALOGUE_MODELS, FacetModel, MatchKeyModel
    from chalicelib.catalogue.titles.text import title_year_key
    from chalicelib.platform.dynamo import bind_models
    from localcloud.cli.shared import BATCH_READ_TIMEOUT_SECONDS

    services.catalogue_writer.upsert([film("t-before-keys", "Older Than Keys", 1977,
                                           imdb_id="tt0076000")])
    keys = [imdb_key("tt0076000"), name_key(title_year_key("Older Than Keys", 1977))]
    for key in keys:  # as a catalogue written before the table existed
        MatchKeyModel(key).delete()
    assert titles_by_key(keys) == {}
    # with the read timeout `notflix catalogue match-keys` runs it with (a batch job, tens of
    # thousands of writes from 8 threads): the suite's other workers load the same emulator
    models: dict[type[Model], str] = {
        m: n for m, n in CATALOGUE_MODELS.items() if m in (FacetModel, MatchKeyModel)}
    bind_models(dataclasses.replace(services.settings,
                                    aws_read_timeout_s=BATCH_READ_TIMEOUT_SECONDS), models)
    try:
        assert backfill() >= SEEDED + 4
    finally:
        bind_models(services.settings, models)
    rows = parse("\n".join([IMDB_HEADER, imdb_row("tt0076000", "7", "Older Than Keys", "1977"),
                            imdb_row("tt0000009", "7", "Older Than Keys", "1977")]))
    assert [t.id if t else None for t in find_all(rows)] == ["t-before-keys", "t-before-keys"]


def test_a_renamed_title_leaves_its_old_match_keys(services: Services) -> None:
    from chalicelib.catalogue.titles.match_keys import imdb_key, name_key
    from chalicelib.catalogue.titles.models import MatchKeyModel
    from chalicelib.catalogue.titles.text import title_year_key

    old_name = name_key(title_year_key("First Cut", 1990))
    services.catalogue_writer.upsert([film("t-renamed", "First Cut", 1990, imdb_id="tt0099001")])
    assert "t-renamed" in MatchKeyModel.get(old_name).title_ids
    services.catalogue_writer.upsert([film("t-renamed", "Final Cut", 1991, imdb_id="tt0099002")])
    assert "t-renamed" not in (MatchKeyModel.get(old_name).title_ids or set())
    assert "t-renamed" not in (MatchKeyModel.get(imdb_key("tt0099001")).title_ids or set())
    for key in (name_key(title_year_key("Final Cut", 1991)), imdb_key("tt0099002")):
        assert MatchKeyModel.get(key).title_ids == {"t-renamed"}
