"""Viewing history in process: newest first, a page at a time with an opaque cursor that
only pages through its caller's own history."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from chalicelib.openapi.responses import TitleCard
from chalicelib.platform.clock import iso, now
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film


def test_history_pages_newest_first_to_the_end(in_process: Services) -> None:
    user_id, title_id = unique("viewer-"), film(in_process, name="Paged")
    start = now() - timedelta(hours=1)
    for minute in range(5):
        in_process.history.record(user_id, title_id, "started", 60.0 * minute, 0.1,
                                  start + timedelta(minutes=minute))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = in_process.history.page(user_id, 2, cursor)
        seen += [entry["at"] for entry in page["history"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [iso(start + timedelta(minutes=m)) for m in (4, 3, 2, 1, 0)]
    assert pages == 3


def test_an_entry_carries_its_title_card_and_position(in_process: Services) -> None:
    user_id, title_id = unique("viewer-"), film(in_process, name="Carded")
    at = now() - timedelta(minutes=5)
    in_process.history.record(user_id, title_id, "finished", 570.0, 0.95, at)
    gone = unique("gone-")  # a title no longer in the catalogue still shows its id
    in_process.history.record(user_id, gone, "started", 0.0, 0.0, at - timedelta(minutes=1))

    entries = in_process.history.page(user_id, 10, None)["history"]

    assert [e["title"]["id"] for e in entries] == [title_id, gone]
    card = cast(TitleCard, entries[0]["title"])  # a title still in the catalogue
    assert card["name"] == "Carded" and card["playable"]
    assert {k: entries[0][k] for k in ("at", "event", "episode", "position_s", "progress")} == {
        "at": iso(at), "event": "finished", "episode": None, "position_s": 570.0,
        "progress": 0.95}
    assert entries[1]["title"] == {"id": gone}


def test_recording_the_same_event_twice_keeps_one_entry(in_process: Services) -> None:
    user_id, title_id = unique("viewer-"), film(in_process)
    at = now()
    for _ in range(2):
        in_process.history.record(user_id, title_id, "started", 12.0, 0.02, at)
    page = in_process.history.page(user_id, 10, None)
    assert len(page["history"]) == 1 and page["next"] is None


def test_a_cursor_never_reaches_another_users_history(in_process: Services) -> None:
    alice, bob, title_id = unique("viewer-"), unique("viewer-"), film(in_process)
    start = now() - timedelta(hours=1)
    for user_id in (alice, bob):
        for minute in range(3):
            in_process.history.record(user_id, title_id, "started", 1.0, 0.1,
                                      start + timedelta(minutes=minute))
    alices_cursor = in_process.history.page(alice, 1, None)["next"]
    assert alices_cursor is not None
    # the cursor is a position, not a user: with Bob's id it pages Bob's own entries
    bobs = in_process.history.page(bob, 5, alices_cursor)["history"]
    assert [e["at"] for e in bobs] == [iso(start + timedelta(minutes=m)) for m in (1, 0)]
    assert in_process.history.page(unique("viewer-"), 5, alices_cursor)["history"] == []


@pytest.mark.parametrize("cursor", ["not base64 at all!", "eyJ4IjogMX0=", "W10="])
def test_a_cursor_the_api_did_not_give_out_is_a_400(in_process: Services, cursor: str) -> None:
    with pytest.raises(AppError) as refused:
        in_process.history.page(unique("viewer-"), 10, cursor)
    assert (refused.value.status, refused.value.code) == (400, "bad_cursor")
