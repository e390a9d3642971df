"""Profiles over the real API: separate viewers in one account, and a kids profile that no
route lets reach a title above its ceiling."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import Account
from tests.integration.subscriptions import subscriber
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
MANIFEST = b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>'


def call(api_url: str, method: str, path: str, account: Account,
         headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{api_url}{path}", headers={**account.bearer,
                                                               **(headers or {})},
                         timeout=30, follow_redirects=False, **kwargs)


@pytest.fixture
def films(catalogue_services: Services, resources: Resources) -> dict[str, str]:
    """Three playable films of one genre of their own: rated R, rated G, and unrated."""
    ns = unique("k")
    genre = f"Genre {ns}"
    ids = {"r": f"{ns}-r", "g": f"{ns}-g", "unrated": f"{ns}-u"}
    catalogue_services.catalogue_writer.upsert([
        TitleRecord(id=ids["r"], kind="film", name=f"Night {ns}", source="generated",
                    genres=(genre,), maturity="R", popularity=90.0),
        TitleRecord(id=ids["g"], kind="film", name=f"Meadow {ns}", source="generated",
                    genres=(genre,), maturity="G", popularity=80.0),
        TitleRecord(id=ids["unrated"], kind="film", name=f"Fog {ns}", source="generated",
                    genres=(genre,), popularity=70.0)])
    for key, title_id in list(ids.items()):
        asset = uuid.uuid4().hex
        resources.s3.put_object(Bucket=resources.settings.media_bucket,
                                Key=f"media/{asset}/manifest.mpd", Body=MANIFEST)
        assert attach_asset(title_id, {"asset_id": asset, "duration_s": 600.0,
                                       "renditions": [{"name": "720p", "width": 1280,
                                                       "height": 720}]})
        ids[f"{key}-asset"] = asset
    ids["genre"] = genre
    return ids


def profile(api_url: str, account: Account, **fields: Any) -> dict[str, Any]:
    created = call(api_url, "POST", "/api/me/profiles", account, json=fields)
    assert created.status_code == 201, created.text
    return dict(created.json())


def choose(api_url: str, account: Account, profile_id: str, **body: Any) -> httpx.Response:
    return call(api_url, "POST", f"/api/me/profiles/{profile_id}/choose", account, json=body)


def watch_half(api_url: str, account: Account, title_id: str) -> None:
    posted = call(api_url, "POST", "/api/me/progress", account,
                  json={"title_id": title_id, "position_s": 300.0, "duration_s": 600.0,
                        "play_id": unique("play")})
    assert posted.status_code == 200, posted.text


def row(api_url: str, account: Account) -> list[str]:
    found = call(api_url, "GET", "/api/me/continue-watching", account)
    assert found.status_code == 200, found.text
    return [t["id"] for t in found.json()["titles"]]


def test_two_profiles_of_one_account_watch_separately(
        api_url: str, films: dict[str, str], resources: Resources, graph_worker: None) -> None:
    account, _ = subscriber(api_url)
    listed = call(api_url, "GET", "/api/me/profiles", account).json()
    [main] = listed["profiles"]
    assert main["id"] == account.user["id"] and main["main"] and listed["current"] == main["id"]
    second = profile(api_url, account, name="Second", avatar="teal")

    watch_half(api_url, account, films["r"])  # as the main profile
    assert choose(api_url, account, second["id"]).status_code == 200
    assert call(api_url, "GET", "/api/me/profiles", account).json()["current"] == second["id"]
    assert row(api_url, account) == []  # the main profile's film is not the second's
    watch_half(api_url, account, films["g"])
    assert row(api_url, account) == [films["g"]]
    resumed = call(api_url, "GET", f"/api/titles/{films['r']}/play", account).json()
    assert resumed["resume_s"] == 0.0  # the main's resume point is its own

    assert choose(api_url, account, main["id"]).status_code == 200
    assert row(api_url, account) == [films["r"]]
    history = call(api_url, "GET", "/api/me/history", account).json()["history"]
    assert {e["title"]["id"] for e in history} == {films["r"]}

    # each profile is its own viewer in the recommendation graph
    def watches() -> dict[str, set[str]] | None:
        with resources.neo4j.session() as session:
            rows = session.run(
                "MATCH (u:User)-[:WATCHED]->(t:Title) WHERE u.id IN $ids "
                "RETURN u.id AS user, collect(t.id) AS titles",
                ids=[main["id"], second["id"]]).data()
        found = {r["user"]: set(r["titles"]) for r in rows}
        return found if len(found) == 2 else None

    assert eventually(watches, timeout=120, interval=1.0) == {
        main["id"]: {films["r"]}, second["id"]: {films["g"]}}


def test_a_deleted_profiles_viewing_is_erased_everywhere(
        api_url: str, films: dict[str, str], resources: Resources, graph_worker: None) -> None:
    account, _ = subscriber(api_url)
    main = account.user["id"]
    second = profile(api_url, account, name="Leaving")["id"]
    watch_half(api_url, account, films["r"])  # the main profile's
    assert choose(api_url, account, second).status_code == 200
    watch_half(api_url, account, films["g"])
    assert call(api_url, "PUT", f"/api/me/list/{films['g']}", account).status_code == 200
    assert call(api_url, "PUT", f"/api/me/ratings/{films['g']}", account,
                json={"thumb": "up"}).status_code == 200

    def edges(user: str) -> set[str]:
        with resources.neo4j.session() as session:
            return {r["kind"] for r in session.run(
                "MATCH (:User {id: $id})-[r]->(:Title) RETURN type(r) AS kind", id=user)}

    eventually(lambda: edges(second) == {"WATCHED", "RATED"}, timeout=120, interval=1.0)
    assert choose(api_url, account, main).status_code == 200
    gone = call(api_url, "DELETE", f"/api/me/profiles/{second}", account)
    assert gone.status_code == 204, gone.text

    settings = resources.settings
    for table, key in (("my-list", "viewer_id"), ("user-titles", "user_id"),
                       ("viewing-history", "user_id")):
        left = resources.dynamodb.query(
            TableName=settings.table_name(table), KeyConditionExpression=f"{key} = :v",
            ExpressionAttributeValues={":v": {"S": second}}, Select="COUNT")
        assert left["Count"] == 0, table
    assert resources.redis.exists(f"{settings.resource_prefix}:resume:{second}",
                                  f"{settings.resource_prefix}:continue:{second}") == 0
    eventually(lambda: edges(second) == set(), timeout=120, interval=1.0)
    assert edges(main) == {"WATCHED"} and row(api_url, account) == [films["r"]]
    assert [p["id"] for p in call(api_url, "GET", "/api/me/profiles",
                                  account).json()["profiles"]] == [main]


def test_a_kids_profile_cannot_reach_a_title_above_its_ceiling_through_any_route(
        api_url: str, films: dict[str, str], catalogue_services: Services) -> None:
    catalogue_services.catalogue_indexer.rebuild()  # as an import does after writing titles
    account, _ = subscriber(api_url)
    kid = profile(api_url, account, name="Kid", kids=True, maturity_ceiling="PG")
    assert kid["maturity_ceiling"] == "PG" and kid["kids"]

    def search_ids() -> set[str]:
        found = call(api_url, "GET", "/api/search", account, params={"q": films["r"][:-2]})
        return {h["id"] for h in found.json().get("results", [])} if found.is_success else set()

    browse = {"type": "film", "genre": films["genre"], "limit": "50"}
    # the main profile sees all three
    assert {t["id"] for t in call(api_url, "GET", "/api/titles", account,
                                  params=browse).json()["titles"]} == {
        films["r"], films["g"], films["unrated"]}
    assert films["r"] in eventually(search_ids, timeout=120, interval=2.0)

    assert choose(api_url, account, kid["id"]).status_code == 200
    listing = call(api_url, "GET", "/api/titles", account, params=browse).json()["titles"]
    assert [t["id"] for t in listing] == [films["g"]]  # R and unrated hidden
    assert films["r"] not in search_ids() and films["g"] in search_ids()
    for hidden in (films["r"], films["unrated"]):
        for method, path, body in (
                ("GET", f"/api/titles/{hidden}", None),
                ("GET", f"/api/titles/{hidden}/similar", None),
                ("GET", f"/api/titles/{hidden}/play", None),
                ("POST", "/api/me/progress", {"title_id": hidden, "position_s": 1.0,
                                              "duration_s": 600.0}),
                ("PUT", f"/api/me/list/{hidden}", None),
                ("GET", f"/api/me/ratings/{hidden}", None),
                ("PUT", f"/api/me/ratings/{hidden}", {"thumb": "up"}),
                ("GET", f"/titles/{hidden}", None),
                ("GET", f"/watch/{hidden}", None)):
            refused = call(api_url, method, path, account, json=body)
            assert refused.status_code == 403, (path, refused.text)
            if path.startswith("/api/"):
                assert refused.json()["error"]["code"] == "above_maturity"
    # each profile has its own list: the main profile's R film is not the kids profile's
    assert choose(api_url, account, account.user["id"]).status_code == 200
    assert call(api_url, "PUT", f"/api/me/list/{films['r']}", account).status_code == 200
    assert choose(api_url, account, kid["id"]).status_code == 200
    assert call(api_url, "PUT", f"/api/me/list/{films['g']}", account).status_code == 200
    assert [t["id"] for t in call(api_url, "GET", "/api/me/list", account).json()[
        "titles"]] == [films["g"]]
    # a stream's files are the kids profile's only through a play grant it was given
    stream = call(api_url, "GET", f"/stream/{films['r-asset']}/manifest.mpd", account)
    assert stream.status_code == 403
    granted = call(api_url, "GET", f"/api/titles/{films['g']}/play", account)
    assert granted.status_code == 200, granted.text
    assert call(api_url, "GET", f"/stream/{films['g-asset']}/manifest.mpd",
                account).status_code == 200
    for page in ("/", f"/browse?genre={films['genre']}", f"/search?q={films['r'][:-2]}"):
        html = call(api_url, "GET", page, account, headers={"Accept": "text/html"}).text
        assert films["r"] not in html and films["unrated"] not in html, page
    assert films["g"] in call(api_url, "GET", f"/browse?genre={films['genre']}", account,
                              headers={"Accept": "text/html"}).text
    # a kids profile cannot manage profiles, nor unlock itself
    assert call(api_url, "POST", "/api/me/profiles", account,
                json={"name": "Sneaky"}).status_code == 403
    assert call(api_url, "PATCH", f"/api/me/profiles/{kid['id']}", account,
                json={"kids": False}).status_code == 403


def test_an_admin_rating_lets_an_unrated_title_through(
        api_url: str, films: dict[str, str], catalogue_services: Services) -> None:
    from tests.integration.auth_client import register_as

    admin = register_as(api_url, catalogue_services, "admin", "viewer")
    account, _ = subscriber(api_url)
    kid = profile(api_url, account, name="Kid", kids=True)
    choose(api_url, account, kid["id"])
    assert call(api_url, "GET", f"/api/titles/{films['unrated']}", account).status_code == 403
    bad = call(api_url, "PUT", f"/api/admin/titles/{films['unrated']}/maturity", admin,
               json={"rating": "PG-14"})
    assert bad.status_code == 422 and "PG-13" in bad.json()["error"]["message"]
    rated = call(api_url, "PUT", f"/api/admin/titles/{films['unrated']}/maturity", admin,
                 json={"rating": "tv-g"})
    assert rated.status_code == 200 and rated.json()["maturity"] == "TV-G"
    assert call(api_url, "GET", f"/api/titles/{films['unrated']}", account).status_code == 200
    assert call(api_url, "PUT", "/api/admin/titles/no-such-title/maturity", admin,
                json={"rating": "G"}).status_code == 404
    assert call(api_url, "PUT", f"/api/admin/titles/{films['unrated']}/maturity", account,
                json={"rating": "G"}).status_code == 403  # not an admin


def test_a_locked_profile_wants_its_pin_and_a_wrong_one_is_a_clear_403(
        api_url: str) -> None:
    account, _ = subscriber(api_url)
    locked = profile(api_url, account, name="Private", pin="2468")
    assert locked["locked"]
    missing = choose(api_url, account, locked["id"])
    assert missing.status_code == 403 and "PIN" in missing.json()["error"]["message"]
    assert choose(api_url, account, locked["id"], pin="1357").status_code == 403
    assert choose(api_url, account, locked["id"], pin="12345").status_code == 422
    assert choose(api_url, account, locked["id"], pin="2468").status_code == 200
    assert choose(api_url, account, "p-nope").status_code == 404
    for n in range(3):  # the main profile, "Private" and three more: five
        profile(api_url, account, name=f"More {n}")
    assert len(call(api_url, "GET", "/api/me/profiles", account).json()["profiles"]) == 5
    full = call(api_url, "POST", "/api/me/profiles", account, json={"name": "Sixth"})
    assert full.status_code == 409 and "5" in full.json()["error"]["message"]
