"""My List and ratings through the real API (moto server, Redis): idempotent writes, 404s,
form posts answered 303, and an IMDb list's ratings shown as thumbs on the title page."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.services import Services
from tests.integration.auth_client import register
from tests.support import unique

pytestmark = pytest.mark.integration


def titles(services: Services, count: int) -> list[str]:
    ns = unique("lists")
    ids = [f"{ns}-{n}" for n in range(count)]
    services.catalogue_writer.upsert([
        TitleRecord(id=i, kind="film", name=f"List film {i}", source="generated", year=2002,
                    genres=("Drama",), imdb_id=f"tt9{abs(hash(i)) % 10**6:06d}{n}")
        for n, i in enumerate(ids)])
    return ids


def test_my_list_adds_removes_idempotently_newest_first(api_url: str,
                                                         catalogue_services: Services) -> None:
    account = register(api_url)
    first, second = titles(catalogue_services, 2)
    with httpx.Client(base_url=api_url, headers=account.bearer, timeout=30) as api:
        assert api.get("/api/me/list").json() == {"titles": [], "count": 0, "limit": 500,
                                                   "next": None}
        added = api.put(f"/api/me/list/{first}")
        assert added.status_code == 200, added.text
        assert added.json() == {"title_id": first, "in_list": True, "changed": True}
        assert api.put(f"/api/me/list/{first}").json()["changed"] is False
        api.put(f"/api/me/list/{second}")
        listed = api.get("/api/me/list").json()
        assert [t["id"] for t in listed["titles"]] == [second, first]
        assert listed["count"] == 2 and listed["titles"][0]["playable"] is False
        paged = api.get("/api/me/list", params={"limit": 1}).json()
        assert [t["id"] for t in paged["titles"]] == [second]
        rest = api.get("/api/me/list", params={"limit": 1, "cursor": paged["next"]}).json()
        assert [t["id"] for t in rest["titles"]] == [first] and rest["next"] is None

        missing = api.put("/api/me/list/no-such-title-here")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "title_not_found"
        assert api.get("/api/me/list", params={"cursor": "nope"}).status_code == 400

        removed = api.delete(f"/api/me/list/{first}")
        assert removed.json() == {"title_id": first, "in_list": False, "changed": True}
        assert api.delete(f"/api/me/list/{first}").json()["changed"] is False
        assert api.delete("/api/me/list/no-such-title-here").json()["changed"] is False
        assert [t["id"] for t in api.get("/api/me/list").json()["titles"]] == [second]
    # another account's list is its own
    other = register(api_url)
    assert httpx.get(f"{api_url}/api/me/list", headers=other.bearer,
                     timeout=30).json()["count"] == 0
    assert httpx.get(f"{api_url}/api/me/list", timeout=30).status_code == 401


def test_ratings_set_and_clear_idempotently_and_refuse_bad_thumbs(
        api_url: str, catalogue_services: Services) -> None:
    account = register(api_url)
    (title,) = titles(catalogue_services, 1)
    with httpx.Client(base_url=api_url, headers=account.bearer, timeout=30) as api:
        assert api.get(f"/api/me/ratings/{title}").json() == {
            "title_id": title, "thumb": None, "rating": None, "rated_at": None}
        up = api.put(f"/api/me/ratings/{title}", json={"thumb": "up"})
        assert up.status_code == 200, up.text
        assert up.json().items() >= {"thumb": "up", "rating": 10, "changed": True}.items()
        assert api.put(f"/api/me/ratings/{title}", json={"thumb": "up"}).json()["changed"] is False
        assert api.get(f"/api/me/ratings/{title}").json()["thumb"] == "up"
        for bad in ({"thumb": "sideways"}, {"thumb": 10}, {}, {"thumb": "up", "x": 1}):
            refused = api.put(f"/api/me/ratings/{title}", json=bad)
            assert refused.status_code == 422, (bad, refused.text)
        assert api.put("/api/me/ratings/no-such-title-here",
                       json={"thumb": "down"}).status_code == 404
        cleared = api.delete(f"/api/me/ratings/{title}")
        assert cleared.json() == {"title_id": title, "thumb": None, "rating": None,
                                  "rated_at": None, "changed": True}
        assert api.delete(f"/api/me/ratings/{title}").json()["changed"] is False


def test_forms_post_and_go_back(api_url: str, catalogue_services: Services) -> None:
    account = register(api_url)
    (title,) = titles(catalogue_services, 1)
    form = {**account.bearer, "Content-Type": "application/x-www-form-urlencoded"}
    with httpx.Client(base_url=api_url, headers=form, timeout=30) as api:
        added = api.post(f"/api/me/list/{title}/add", params={"next": "/#my-list"})
        assert added.status_code == 303 and added.headers["location"] == "/#my-list"
        rated = api.post(f"/api/me/ratings/{title}/thumb", content=b"thumb=down",
                         params={"next": "//evil.example/"})
        assert rated.status_code == 303 and rated.headers["location"] == f"/titles/{title}"
        removed = api.post(f"/api/me/list/{title}/remove")
        assert removed.status_code == 303
        # a card on a long search's page goes back to that page (the words encoded)
        search = "/search?" + urlencode({"q": "東京物語 " * 20})
        again = api.post(f"/api/me/list/{title}/add", params={"next": search})
        assert again.status_code == 303 and again.headers["location"] == search
        api.post(f"/api/me/list/{title}/remove")
    with httpx.Client(base_url=api_url, headers=account.bearer, timeout=30) as api:
        assert api.get("/api/me/list").json()["count"] == 0
        assert api.get(f"/api/me/ratings/{title}").json()["thumb"] == "down"


IMDB_HEADER = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),"
               "Year,Genres,Num Votes,Release Date,Directors")


def test_an_imported_imdb_list_shows_as_thumbs(api_url: str,
                                               catalogue_services: Services) -> None:
    account = register(api_url)
    loved, fine, hated = titles(catalogue_services, 3)
    imdb = {t: catalogue_services.catalogue.title(t).imdb_id for t in (loved, fine, hated)}
    csv_text = "\n".join([IMDB_HEADER, *(
        f'{imdb[t]},{rating},2024-05-01,"List film {t}",https://www.imdb.com/title/{imdb[t]}/,'
        f"movie,8.0,120,2002,Drama,1000,2002-01-01,Someone"
        for t, rating in ((loved, 8), (fine, 6), (hated, 2)))]) + "\n"
    imported = httpx.post(f"{api_url}/api/me/imports/imdb", content=csv_text.encode(),
                          headers={**account.bearer, "Content-Type": "text/csv"}, timeout=60)
    assert imported.status_code == 200, imported.text
    assert imported.json()["counts"]["matched"] == 3
    with httpx.Client(base_url=api_url, headers=account.bearer, timeout=30) as api:
        assert api.get(f"/api/me/ratings/{loved}").json()["thumb"] == "up"
        assert api.get(f"/api/me/ratings/{fine}").json()["thumb"] is None
        assert api.get(f"/api/me/ratings/{hated}").json()["thumb"] == "down"
        page = api.get(f"/titles/{loved}").text
        assert 'aria-pressed="true" aria-label="Thumbs up"' in page
        assert 'aria-pressed="false" aria-label="Thumbs down"' in page
        recs = api.get("/api/me/recommendations").json()
        assert loved not in [r["id"] for r in recs["results"]]
        assert [f["title_id"] for f in recs["fewer_like"]] == [hated]


def test_a_thumb_drops_the_cached_recommendations_and_says_why(
        api_url: str, catalogue_services: Services) -> None:
    account = register(api_url)
    (title,) = titles(catalogue_services, 1)
    with httpx.Client(base_url=api_url, headers=account.bearer, timeout=30) as api:
        first = api.get("/api/me/recommendations").json()
        assert (first["cached"], first["fewer_like"]) == (False, [])
        assert api.get("/api/me/recommendations").json()["cached"] is True
        assert api.put(f"/api/me/ratings/{title}", json={"thumb": "down"}).status_code == 200
        after = api.get("/api/me/recommendations").json()
        assert after["cached"] is False  # the rating dropped them: computed again
        assert [f["title_id"] for f in after["fewer_like"]] == [title]
        assert title not in [r["id"] for r in after["results"]]
        assert api.get("/api/me/recommendations").json()["cached"] is True
        assert api.delete(f"/api/me/ratings/{title}").json()["changed"] is True
        cleared = api.get("/api/me/recommendations").json()
        assert (cleared["cached"], cleared["fewer_like"]) == (False, [])
