"""Posters in process: `/posters/<id>.svg` draws a title's poster with cache headers and an
ETag, `/posters/<id>.jpg` leads to its own poster frame; cards, the title page, the player,
search results and rankings point at imported art, else the frame, else the generated poster."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.services import Services
from chalicelib.web.render import page
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import subscriber


def record(name: str = "Night Harbour", *, poster_path: str | None = None,
           genres: tuple[str, ...] = ("Crime", "Drama"), year: int | None = 1987,
           genre: str | None = None, rating: float | None = None,
           votes: int = 0) -> TitleRecord:
    """A film of Antarctica (a country no other test ranks)."""
    return TitleRecord(id=unique("art-"), kind="film", name=name, source="generated",
                       year=year, genres=(*((genre,) if genre else ()), *genres),
                       countries=("AQ",), poster_path=poster_path, rating=rating, votes=votes)


def stream() -> dict[str, Any]:
    asset_id = uuid.uuid4().hex
    return {"asset_id": asset_id, "manifest": f"media/{asset_id}/manifest.mpd",
            "poster": f"media/{asset_id}/poster.jpg", "duration_s": 60.0}


@pytest.fixture
def client(in_process: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """The app's own routes, answering from the in-process services."""
    import app
    from chalicelib.routes import catalogue, pages

    monkeypatch.setattr(catalogue, "services", in_process)
    monkeypatch.setattr(pages, "services", in_process)
    with Client(app.app) as test_client:
        yield test_client


def test_the_generated_poster_is_served_with_cache_headers_and_an_etag(
        in_process: Services, client: Client) -> None:
    film = record("Tom & Jerry <Live>", year=1999)
    in_process.catalogue_writer.upsert([film])

    answer = client.http.get(f"/posters/{film.id}.svg")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    assert "max-age=604800" in answer.headers["Cache-Control"]
    assert "public" in answer.headers["Cache-Control"]
    etag = answer.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    svg = answer.body.decode()
    ET.fromstring(svg)  # noqa: S314  (our own output, the thing under test)
    assert "Tom &amp; Jerry &lt;Live&gt;" in svg and ">1999<" in svg

    again = client.http.get(f"/posters/{film.id}.svg", headers={"If-None-Match": etag})
    assert (again.status_code, again.body) == (304, b"")
    assert again.headers["ETag"] == etag
    stale = client.http.get(f"/posters/{film.id}.svg", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag

    renamed = TitleRecord(**{**{f: getattr(film, f) for f in film.__struct_fields__},
                             "name": "Tom & Jerry Again"})
    in_process.catalogue_writer.upsert([renamed])
    changed = client.http.get(f"/posters/{film.id}.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Tom &amp; Jerry Again" in changed.body.decode()


def test_an_unknown_title_is_404_and_a_malformed_name_400(client: Client) -> None:
    missing = client.http.get(f"/posters/{unique('nobody-')}.svg")
    assert missing.status_code == 404
    assert "No title has this id" in missing.body.decode()
    for bad in ("x.png", "noextension", "a%20b.svg", "..%2Fsecret.svg", f"{'x' * 65}.svg"):
        refused = client.http.get(f"/posters/{bad}")
        assert refused.status_code == 400, bad
        assert "/posters/<title id>.svg" in refused.body.decode()
    # the old address still answers
    old = client.http.get("/posters/placeholder.svg")
    assert old.status_code == 200 and old.headers["Content-Type"] == "image/svg+xml"


def test_the_frame_address_redirects_to_the_frame_or_to_the_generated_poster(
        in_process: Services, client: Client) -> None:
    encoded, plain = record("Encoded"), record("Plain")
    in_process.catalogue_writer.upsert([encoded, plain])
    asset = stream()
    assert attach_asset(encoded.id, asset)

    found = client.http.get(f"/posters/{encoded.id}.jpg")
    assert found.status_code == 302
    location = urlsplit(found.headers["Location"])
    assert location.path.endswith(f"/media/{asset['asset_id']}/poster.jpg")
    assert "Signature" in location.query or "X-Amz-Signature" in location.query
    assert "max-age" in found.headers["Cache-Control"]

    fallback = client.http.get(f"/posters/{plain.id}.jpg")
    assert (fallback.status_code, fallback.headers["Location"]) == (
        302, f"/posters/{plain.id}.svg")
    assert client.http.get(f"/posters/{unique('nobody-')}.jpg").status_code == 404


def test_a_series_frame_is_its_first_playable_episodes(in_process: Services) -> None:
    series_id = unique("art-series-")
    in_process.catalogue_writer.upsert([TitleRecord(
        id=series_id, kind="series", name="Serial", source="generated",
        seasons=(Season(number=1, name="One", episode_count=3, episodes=(
            Episode(1, "Pilot"), Episode(2, "Middle"), Episode(3, "Finale"))),))])
    assert in_process.artwork.frame_url(series_id) is None
    second, third = stream(), stream()
    assert attach_asset(series_id, third, "0001#0003")
    assert attach_asset(series_id, second, "0001#0002")
    url = in_process.artwork.frame_url(series_id)
    assert url is not None and f"/media/{second['asset_id']}/poster.jpg" in url
    card = in_process.catalogue.cards([series_id])[0]
    assert card["poster_url"] == f"/posters/{series_id}.jpg"


def test_cards_point_at_imported_art_then_the_frame_then_the_generated_poster(
        in_process: Services) -> None:
    genre = unique("genre-")
    plain = record("Plain", genre=genre)
    tmdb = record("Designed", genre=genre, poster_path="/designed.jpg")
    encoded = record("Encoded", genre=genre)
    encoded_tmdb = record("Encoded and designed", genre=genre, poster_path="/both.jpg")
    in_process.catalogue_writer.upsert([plain, tmdb, encoded, encoded_tmdb])
    assert attach_asset(encoded.id, stream()) and attach_asset(encoded_tmdb.id, stream())
    base = in_process.settings.image_base_url
    expected = {plain.id: f"/posters/{plain.id}.svg", tmdb.id: f"{base}/designed.jpg",
                encoded.id: f"/posters/{encoded.id}.jpg", encoded_tmdb.id: f"{base}/both.jpg"}

    browsed, _ = in_process.catalogue.browse(Filters(genre=genre), 10, None)
    assert {c["id"]: c["poster_url"] for c in browsed} == expected
    cards = in_process.catalogue.cards(list(expected))
    assert {c["id"]: c["poster_url"] for c in cards} == expected
    assert all("placeholder" not in str(c["poster_url"]) for c in [*browsed, *cards])
    for title_id, url in expected.items():
        assert in_process.catalogue.details(title_id)["poster_url"] == url


def test_a_recommendation_from_the_graph_follows_the_rule() -> None:
    """A graph row carries the title's imported art and whether it is playable."""
    from chalicelib.recommendations.recommender import Recommender

    base = "https://images.example/w342"
    recommender = Recommender(cast(Any, None), cast(Any, None), cast(Any, None), base)
    rows: dict[str, dict[str, Any]] = {
        "r-plain": {"id": "r-plain", "poster_path": None, "playable": False},
        "r-encoded": {"id": "r-encoded", "poster_path": None, "playable": True},
        "r-art": {"id": "r-art", "poster_path": "/art.jpg", "playable": True}}
    assert {i: recommender._card(row, 1.0, [])["poster_url"] for i, row in rows.items()} == {
        "r-plain": "/posters/r-plain.svg", "r-encoded": "/posters/r-encoded.jpg",
        "r-art": f"{base}/art.jpg"}


def test_an_encoded_title_shows_its_frame_on_its_page_and_in_the_player(
        in_process: Services, client: Client) -> None:
    film = record("Frame Film")
    in_process.catalogue_writer.upsert([film])
    asset = stream()
    assert attach_asset(film.id, asset)

    title_page = client.http.get(f"/titles/{film.id}")
    assert title_page.status_code == 200
    assert f'class="poster" src="/posters/{film.id}.jpg"' in title_page.body.decode()

    grant = in_process.playback.play(subscriber(in_process), film.id)
    html = page("watch.html", None, play=grant).body
    assert isinstance(html, str)
    assert f'poster="/stream/{asset["asset_id"]}/poster.jpg"' in html
    assert grant["title"]["poster_url"] == f"/posters/{film.id}.jpg"


def test_a_title_without_art_shows_its_generated_poster_on_its_page(
        in_process: Services, client: Client) -> None:
    film = record("No Art Yet")
    in_process.catalogue_writer.upsert([film])
    html = client.http.get(f"/titles/{film.id}").body.decode()
    assert f'class="poster" src="/posters/{film.id}.svg"' in html
    assert "placeholder" not in html


def test_search_results_and_rankings_carry_the_same_rule(in_process: Services) -> None:
    """A rebuild writes each title's artwork into the search index and the rankings."""
    from chalicelib.catalogue.rebuild import CatalogueIndexer
    from chalicelib.catalogue.search.service import SearchService

    word = unique("q")
    rated: dict[str, Any] = {"rating": 9.9, "votes": 10_000_000, "genres": ()}
    plain = record(f"Plain {word}", **rated)
    encoded = record(f"Encoded {word}", **rated)
    designed = record(f"Designed {word}", poster_path="/designed.jpg", **rated)
    # a country is ranked once it has 10 rated films
    others = [record(f"Other {n} {word}", rating=5.0, votes=10) for n in range(7)]
    in_process.catalogue_writer.upsert([plain, encoded, designed, *others])
    assert attach_asset(encoded.id, stream())
    bucket = unique("search-")
    in_process.resources.s3.create_bucket(Bucket=bucket)
    CatalogueIndexer(in_process.resources.s3, bucket, 1000, 6.8).rebuild()
    base = in_process.settings.image_base_url
    expected = {plain.id: f"/posters/{plain.id}.svg", encoded.id: f"/posters/{encoded.id}.jpg",
                designed.id: f"{base}/designed.jpg"}

    search = SearchService(in_process.resources.s3, bucket, 0, base)
    found = {h["id"]: h["poster_url"] for h in search.search(word, 10)["results"]}
    assert {i: url for i, url in found.items() if i in expected} == expected
    ranking = in_process.catalogue.ranking("AQ", 100)["titles"]
    ours = {e["id"]: (e.get("poster_url"), e.get("playable")) for e in ranking
            if e["id"] in expected}
    assert ours == {i: (url, i == encoded.id) for i, url in expected.items()}
