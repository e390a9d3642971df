"""Resume points and the "continue watching" row, in process on fakeredis and moto."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.platform.clock import iso, now
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film, series


def test_a_point_between_five_and_ninety_percent_resumes_where_it_stopped(
        in_process: Services) -> None:
    user_id, at = unique("viewer-"), now()
    in_process.resume.save(user_id, "t-mid", 300.0, 600.0, 0.5, at)
    assert in_process.resume.get(user_id, "t-mid") == {
        "position_s": 300.0, "duration_s": 600.0, "at": iso(at), "progress": 0.5,
        "resume_s": 300.0}
    assert [m for m, _ in in_process.resume.continuing(user_id, 10)] == ["t-mid"]


def test_the_ends_restart_and_leave_continue_watching(in_process: Services) -> None:
    user_id, at = unique("viewer-"), now()
    in_process.resume.save(user_id, "t-x", 300.0, 600.0, 0.5, at)
    in_process.resume.save(user_id, "t-x", 560.0, 600.0, 0.9333, at + timedelta(seconds=5))
    in_process.resume.save(user_id, "t-early", 10.0, 600.0, 0.0167, at)
    points = in_process.resume.many(user_id, ["t-x", "t-early", "t-never"])
    assert {k: (p["resume_s"], p["progress"]) for k, p in points.items()} == {
        "t-x": (0.0, 0.9333), "t-early": (0.0, 0.0167)}
    assert in_process.resume.continuing(user_id, 10) == []
    assert in_process.resume.get(user_id, "t-never") is None
    assert in_process.resume.many(user_id, []) == {}


def test_continuing_is_most_recent_first_and_limited(in_process: Services) -> None:
    user_id, start = unique("viewer-"), now() - timedelta(hours=1)
    for minute, title_id in enumerate(["t-a", "t-b", "t-c", "t-d"]):
        in_process.resume.save(user_id, title_id, 100.0, 600.0, 0.1667,
                               start + timedelta(minutes=minute))
    in_process.resume.save(user_id, "t-a", 200.0, 600.0, 0.3333, start + timedelta(minutes=9))
    assert [m for m, _ in in_process.resume.continuing(user_id, 3)] == ["t-a", "t-d", "t-c"]
    assert in_process.resume.continuing(unique("viewer-"), 3) == []


def test_continue_watching_shows_cards_newest_first_and_a_series_once(
        in_process: Services) -> None:
    user_id, start = unique("viewer-"), now() - timedelta(hours=1)
    older, newer, serial = film(in_process), film(in_process), series(in_process)
    saves = [(unique("gone-"), 0),  # not in the catalogue: left out
             (older, 1), (f"{serial}#0001#0001", 2), (newer, 3), (f"{serial}#0001#0003", 4)]
    for member, minute in saves:
        in_process.resume.save(user_id, member, 120.0, 600.0, 0.2,
                               start + timedelta(minutes=minute))

    row = in_process.continue_watching.titles(user_id, 10)

    assert [(r["id"], r["episode"]) for r in row] == [(serial, "S1E3"), (newer, None),
                                                       (older, None)]
    assert {k: row[1][k] for k in ("resume_s", "progress", "playable", "kind")} == {
        "resume_s": 120.0, "progress": 0.2, "playable": True, "kind": "film"}
    assert row[0]["watched_at"] == iso(start + timedelta(minutes=4))
    assert [r["id"] for r in in_process.continue_watching.titles(user_id, 1)] == [serial]
    assert in_process.continue_watching.titles(unique("viewer-"), 10) == []


def test_a_card_resumes_in_one_click_and_says_what_is_left(in_process: Services) -> None:
    user_id, at = unique("viewer-"), now()
    title_id, serial = film(in_process), series(in_process)
    in_process.resume.save(user_id, title_id, 1200.0, 5400.0, 0.2222, at)
    in_process.resume.save(user_id, f"{serial}#0001#0003", 600.0, 1320.0, 0.4545,
                           at + timedelta(seconds=1))
    cards = {c["id"]: c for c in in_process.continue_watching.titles(user_id, 10)}
    assert (cards[title_id]["watch_url"], cards[title_id]["left_s"]) == (
        f"/watch/{title_id}", 4200.0)
    assert (cards[serial]["watch_url"], cards[serial]["episode"], cards[serial]["left_s"]) == (
        f"/watch/{serial}?episode=S1E3", "S1E3", 720.0)


def test_removing_a_title_takes_it_and_its_episodes_out_of_the_row_only(
        in_process: Services) -> None:
    user_id, at = unique("viewer-"), now()
    serial, other = series(in_process), film(in_process)
    for n, key in enumerate(("0001#0001", "0001#0003")):
        in_process.resume.save(user_id, f"{serial}#{key}", 300.0, 1320.0, 0.2273,
                               at + timedelta(seconds=n))
    in_process.resume.save(user_id, other, 300.0, 600.0, 0.5, at)
    assert in_process.continue_watching.remove(user_id, serial) == 2
    assert [c["id"] for c in in_process.continue_watching.titles(user_id, 10)] == [other]
    # the resume point stays: playing the episode again still resumes there
    point = in_process.resume.get(user_id, f"{serial}#0001#0003")
    assert point is not None and point["resume_s"] == 300.0
    assert in_process.continue_watching.remove(user_id, serial) == 0
