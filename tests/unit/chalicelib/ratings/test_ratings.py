"""Thumbs in process (moto): conditional writes, who is told, and imported IMDb ratings read
as thumbs on the title page."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.auth.sessions import Session
from chalicelib.auth.users import User
from chalicelib.catalogue.importing.imdb_csv import ImdbRow
from chalicelib.catalogue.importing.imdb_import import ImdbImporter, Match
from chalicelib.catalogue.titles.models import TitleModel, UserTitleModel
from chalicelib.platform.errors import AppError
from chalicelib.ratings.service import Ratings
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film


@pytest.fixture
def told(in_process: Services) -> list[tuple[str, str, int | None]]:
    return []


def ratings(services: Services, told: list[tuple[str, str, int | None]]) -> Ratings:
    return Ratings(lambda t: bool(services.catalogue.names([t])), services.catalogue.names,
                   on_rated=lambda v, t, r, _at: told.append((v, t, r)))


def test_a_thumb_is_a_rating_set_once_and_cleared_once(
        in_process: Services, told: list[tuple[str, str, int | None]]) -> None:
    viewer, title = unique("viewer-"), film(in_process)
    service = ratings(in_process, told)
    assert service.get(viewer, title) == {"title_id": title, "thumb": None, "rating": None,
                                          "rated_at": None}
    up = service.set(viewer, title, "up")
    assert (up["thumb"], up["rating"], up["changed"]) == ("up", 10, True)
    assert service.set(viewer, title, "up")["changed"] is False  # nobody told twice
    assert service.set(viewer, title, "down")["rating"] == 1
    assert service.get(viewer, title)["thumb"] == "down"
    assert service.clear(viewer, title)["changed"] is True
    assert service.clear(viewer, title)["changed"] is False
    assert told == [(viewer, title, 10), (viewer, title, 1), (viewer, title, None)]
    item = UserTitleModel.get(viewer, title)
    assert item.rating is None and item.source == "rating" and item.watched is False


def test_a_thumb_keeps_what_the_player_recorded(in_process: Services,
                                                told: list[tuple[str, str, int | None]]
                                                ) -> None:
    viewer, title = unique("viewer-"), film(in_process)
    UserTitleModel(viewer, title, watched=True, source="player", updated_at="t",
                   play_count=2).save()
    ratings(in_process, told).set(viewer, title, "up")
    item = UserTitleModel.get(viewer, title)
    assert (item.watched, item.source, item.play_count, item.rating) == (True, "player", 2, 10)


def test_unknown_titles_are_404(in_process: Services,
                                told: list[tuple[str, str, int | None]]) -> None:
    service = ratings(in_process, told)
    with pytest.raises(AppError) as caught:
        service.set("v", "no-such-title", "up")
    assert caught.value.status == 404
    with pytest.raises(AppError) as caught:
        service.get("v", "x" * 300)
    assert caught.value.status == 404
    with pytest.raises(AppError) as caught:
        service.clear("v", "")
    assert caught.value.status == 404
    assert told == []


def test_imported_ratings_read_as_thumbs(in_process: Services,
                                         told: list[tuple[str, str, int | None]]) -> None:
    viewer = unique("viewer-")
    loved, fine, hated = (film(in_process, name=f"Film {n} {unique('')}")
                          for n in ("loved", "fine", "hated"))
    rows = {loved: 8, fine: 5, hated: 3}
    ImdbImporter().record(viewer, [
        Match(ImdbRow(n, f"tt{n:07d}", t, 2001, rating, "2024-01-0" + str(n), "movie", None),
              TitleModel.get(t)) for n, (t, rating) in enumerate(rows.items(), start=1)])
    service = ratings(in_process, told)
    assert service.get(viewer, loved)["thumb"] == "up"
    assert service.get(viewer, fine) == {"title_id": fine, "thumb": None, "rating": 5,
                                         "rated_at": "2024-01-02T00:00:00.000Z"}
    assert service.get(viewer, hated)["thumb"] == "down"
    thumbs = service.thumbs(viewer)
    assert (thumbs.up, thumbs.down) == ((loved,), (hated,))
    assert thumbs.names == {hated: TitleModel.get(hated).name}
    # the title page shows the viewer's own, and a visitor none
    who = Principal(User(viewer, f"{viewer}@example.com", "Viewer", frozenset({"viewer"}),
                         "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "hash", 1),
                    Session(viewer, "digest", "2024-01-01T00:00:00.000Z", "127.0.0.1", "test"),
                    "token", via_cookie=True)
    assert in_process.pages.title(who, loved, None)["thumb"] == "up"
    assert in_process.pages.title(who, hated, None)["thumb"] == "down"
    assert in_process.pages.title(None, loved, None)["thumb"] is None
