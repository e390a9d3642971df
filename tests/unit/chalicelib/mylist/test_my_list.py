"""My List in process (moto): idempotent adds and removes, 404s, the cap, newest first with
a cursor, and the card toggles and row of the pages."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.mylist.service import MyListService
from chalicelib.mylist.store import MyListStore
from chalicelib.platform.dynamo import transaction_connection
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.web.render import environment
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film


def test_adding_and_removing_are_idempotent_and_unknown_titles_are_404(
        in_process: Services) -> None:
    viewer, title = unique("viewer-"), film(in_process)
    lists = in_process.my_list
    assert lists.add(viewer, title) == {"title_id": title, "in_list": True, "changed": True}
    assert lists.add(viewer, title) == {"title_id": title, "in_list": True, "changed": False}
    assert lists.contains(viewer, title)
    assert not lists.contains(unique("other-viewer-"), title)  # kept per viewer
    assert lists.remove(viewer, title) == {"title_id": title, "in_list": False, "changed": True}
    assert lists.remove(viewer, title) == {"title_id": title, "in_list": False,
                                           "changed": False}
    for bad in ("no-such-title", "x" * 300, ""):
        with pytest.raises(AppError) as caught:
            lists.add(viewer, bad)
        assert caught.value.status == 404 and caught.value.code == "title_not_found"


def small_list(services: Services, most: int) -> MyListService:
    return MyListService(MyListStore(transaction_connection(services.settings)),
                         services.catalogue.cards,
                         lambda t: bool(services.catalogue.names([t])), max_titles=most)


def test_adds_racing_for_the_last_places_never_pass_the_cap(in_process: Services) -> None:
    viewer, small = unique("viewer-"), small_list(in_process, 3)
    titles = [film(in_process) for _ in range(6)]

    def add(title: str) -> str:
        try:
            return "added" if small.add(viewer, title)["changed"] else "there"
        except AppError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(add, titles))
    assert sorted(outcomes) == ["added"] * 3 + ["my_list_full"] * 3
    assert small.page(viewer, 10)["count"] == 3
    small.remove(viewer, next(t for t, o in zip(titles, outcomes, strict=True) if o == "added"))
    assert small.add(viewer, titles[outcomes.index("my_list_full")])["changed"] is True


def test_a_full_list_refuses_one_more_with_409(in_process: Services) -> None:
    viewer = unique("viewer-")
    small = small_list(in_process, 2)
    first, second, third = (film(in_process) for _ in range(3))
    small.add(viewer, first)
    small.add(viewer, second)
    with pytest.raises(AppError) as caught:
        small.add(viewer, third)
    assert caught.value.status == 409 and caught.value.code == "my_list_full"
    assert "at most 2 titles" in caught.value.message
    assert small.add(viewer, first)["changed"] is False  # one already there is still fine


def test_the_list_is_newest_first_as_cards_page_after_page(in_process: Services) -> None:
    viewer = unique("viewer-")
    titles = [film(in_process) for _ in range(3)]
    for title in titles:
        in_process.my_list.add(viewer, title)
        time.sleep(0.002)  # distinct added_at (milliseconds)
    first = in_process.my_list.page(viewer, 2)
    assert [t["id"] for t in first["titles"]] == [titles[2], titles[1]]
    assert first["count"] == 3 and first["limit"] == 500
    assert first["titles"][0]["playable"] is True and first["titles"][0]["added_at"]
    assert first["next"]
    rest = in_process.my_list.page(viewer, 2, first["next"])
    assert [t["id"] for t in rest["titles"]] == [titles[0]] and rest["next"] is None
    with pytest.raises(AppError) as caught:
        in_process.my_list.page(viewer, 2, "not-a-cursor")
    assert caught.value.code == "bad_cursor"


def test_the_home_page_has_a_my_list_row_and_toggles_on_cards(in_process: Services) -> None:
    viewer, kept, other = unique("viewer-"), film(in_process), film(in_process)
    in_process.my_list.add(viewer, kept)
    snapshot = in_process.my_list.snapshot(viewer, 12)
    cards = in_process.catalogue.cards([kept, other])
    html = environment().get_template("home.html").render(
        user={"id": viewer}, continuing=[], my_list=snapshot.cards, listed=snapshot.ids,
        recommended=cards, fewer_like=[{"title_id": "d", "name": "Heat",
                                        "text": "Fewer titles like Heat: you rated it down"}],
        trending=[], best_title="Best in France", best=[], recent=[])
    row = html.split('id="my-list"')[1].split("</section>")[0]
    assert f"/titles/{kept}" in row and f"/titles/{other}" not in row
    assert f'action="/api/me/list/{kept}/remove?next=' in html
    assert f'action="/api/me/list/{other}/add?next=' in html
    assert "Fewer titles like Heat: you rated it down" in html
    anonymous = environment().get_template("home.html").render(
        user=None, listed=None, trending=cards, best_title="Best", best=[], recent=[])
    assert "/api/me/list/" not in anonymous


def test_a_title_page_without_the_list_has_no_toggle_rather_than_failing(
        in_process: Services) -> None:
    # My List unreadable (a throttled query): the page service leaves `listed` None
    details = in_process.catalogue.details(film(in_process))
    html = environment().get_template("title.html").render(
        user={"id": unique("viewer-")}, title=details, listed=None, thumb="up", seasons=[],
        similar=[], directors=[], cast=[], can_watch=True, resume_s=0.0, season=None,
        ratings=())
    assert "/api/me/list/" not in html
    assert f'action="/api/me/ratings/{details["id"]}/thumb' in html  # the thumbs still work
