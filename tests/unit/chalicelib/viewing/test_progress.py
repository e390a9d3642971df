"""Progress posts in process: plays counted once per play id, completions from 90%, the
resume point and "continue watching", the history entries, and who may post at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.openapi.responses import ProgressRecorded
from chalicelib.platform.clock import iso, now
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.viewing.updates import Progress
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film, series, subscriber


def post(services: Services, user_id: str, title_id: str, position_s: float,
         duration_s: float = 600.0, play_id: str | None = None,
         episode: str | None = None) -> ProgressRecorded:
    return services.progress.record(user_id, Progress(title_id, position_s, duration_s,
                                                      play_id, episode))


def history(services: Services, user_id: str) -> list[tuple[str, str]]:
    """(event, title id) newest first."""
    return [(e["event"], e["title"]["id"])
            for e in services.history.page(user_id, 50, None)["history"]]


def continuing(services: Services, user_id: str) -> list[str]:
    key = f"{services.settings.resource_prefix}:continue:{user_id}"
    return [str(m) for m in services.resources.redis.zrange(key, 0, -1)]


def refusal(services: Services, user_id: str, title_id: str, position_s: float = 30.0,
            **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(AppError) as refused:
        post(services, user_id, title_id, position_s, **kwargs)
    return refused.value.status, refused.value.code


def test_a_play_is_counted_once_per_play_id(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    first = post(in_process, user_id, title_id, 30, play_id="play-00000001")
    assert {k: first[k] for k in ("play_count", "new_play", "progress", "resume_s",
                                  "watched")} == {"play_count": 1, "new_play": True,
                                                  "progress": 0.05, "resume_s": 30,
                                                  "watched": False}
    again = post(in_process, user_id, title_id, 120, play_id="play-00000001")
    assert (again["play_count"], again["new_play"], again["resume_s"]) == (1, False, 120)
    assert history(in_process, user_id) == [("started", title_id)]

    other = post(in_process, user_id, title_id, 10, play_id="play-00000002")
    assert (other["play_count"], other["new_play"]) == (2, True)
    assert history(in_process, user_id) == [("started", title_id)] * 2


def test_a_new_play_feeds_trending_and_continue_watching(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    prefix = in_process.settings.resource_prefix
    post(in_process, user_id, title_id, 60, play_id="play-00000001")
    assert in_process.resources.redis.zscore(f"{prefix}:trending", title_id) is not None
    assert continuing(in_process, user_id) == [title_id]
    point = in_process.resume.get(user_id, title_id)
    assert point is not None and (point["position_s"], point["resume_s"]) == (60, 60)


def test_from_ninety_percent_the_title_is_watched_once(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    post(in_process, user_id, title_id, 300, play_id="play-00000001")
    done = post(in_process, user_id, title_id, 540, play_id="play-00000001")
    assert (done["watched"], done["resume_s"], done["progress"]) == (True, 0, 0.9)
    assert continuing(in_process, user_id) == []
    post(in_process, user_id, title_id, 590, play_id="play-00000001")
    assert history(in_process, user_id) == [("finished", title_id), ("started", title_id)]
    item = UserTitleModel.get(user_id, title_id, consistent_read=True)
    assert item.watched is True and item.pending_play_id is None  # follow-ups done


def test_under_five_percent_a_title_starts_over(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    early = post(in_process, user_id, title_id, 29, play_id="play-00000001")
    assert (early["resume_s"], early["progress"]) == (0, 0.0483)
    assert continuing(in_process, user_id) == []


def test_without_a_play_id_a_pause_of_half_an_hour_starts_a_new_play(
        in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    first = post(in_process, user_id, title_id, 60)
    assert first["play_id"].startswith("auto-")
    assert post(in_process, user_id, title_id, 90)["play_id"] == first["play_id"]

    UserTitleModel(user_id, title_id).update(actions=[
        UserTitleModel.last_at.set(iso(now() - timedelta(minutes=31)))])
    later = post(in_process, user_id, title_id, 120)

    assert later["play_id"] != first["play_id"]
    assert (later["play_count"], later["new_play"]) == (2, True)


def test_a_position_past_the_end_is_refused_and_a_little_over_is_clamped(
        in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    assert refusal(in_process, user_id, title_id, 602.0) == (422, "bad_progress")
    clamped = post(in_process, user_id, title_id, 600.5, play_id="play-00000001")
    assert (clamped["position_s"], clamped["progress"]) == (600, 1.0)


def test_only_a_subscriber_records_progress(in_process: Services) -> None:
    title_id = film(in_process)
    for user_id in (unique("viewer-"), subscriber(in_process, "suspended")):
        assert refusal(in_process, user_id, title_id) == (402, "subscription_required")
        assert in_process.resume.get(user_id, title_id) is None
        assert history(in_process, user_id) == []
        with pytest.raises(UserTitleModel.DoesNotExist):
            UserTitleModel.get(user_id, title_id, consistent_read=True)


def test_unknown_and_unplayable_titles_are_refused(in_process: Services) -> None:
    user_id = subscriber(in_process)
    assert refusal(in_process, user_id, unique("nothing-")) == (404, "title_not_found")
    assert refusal(in_process, user_id, film(in_process, playable=False)) == (
        409, "title_not_playable")


def test_an_episode_is_named_and_must_have_a_stream(in_process: Services) -> None:
    user_id, series_id = subscriber(in_process), series(in_process)
    assert refusal(in_process, user_id, series_id) == (404, "episode_not_found")
    assert refusal(in_process, user_id, series_id, episode="S1E2") == (404, "episode_not_found")
    assert refusal(in_process, user_id, series_id, episode="S2E1") == (404, "episode_not_found")

    answer = post(in_process, user_id, series_id, 300, duration_s=1200, episode="s01e03",
                  play_id="play-00000001")

    assert answer["episode"] == "S1E3"
    assert in_process.resume.get(user_id, f"{series_id}#0001#0003") is not None
    assert in_process.resume.get(user_id, series_id) is None
    (entry,) = in_process.history.page(user_id, 10, None)["history"]
    assert (entry["event"], entry["episode"]) == ("started", "S1E3")


def test_a_post_that_failed_after_counting_is_completed_by_its_retry(
        in_process: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    service = in_process.progress

    def unavailable(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("DynamoDB throttled the history write")

    with monkeypatch.context() as patch:
        patch.setattr(service.history, "record", unavailable)
        with pytest.raises(RuntimeError):
            post(in_process, user_id, title_id, 60, play_id="play-00000001")
    assert history(in_process, user_id) == []
    pending = UserTitleModel.get(user_id, title_id, consistent_read=True)
    assert pending.pending_play_id == "play-00000001" and pending.play_count == 1

    retried = post(in_process, user_id, title_id, 60, play_id="play-00000001")

    assert (retried["play_count"], retried["new_play"]) == (1, True)
    (entry,) = in_process.history.page(user_id, 10, None)["history"]
    assert (entry["event"], entry["at"]) == ("started", pending.pending_started_at)
    post(in_process, user_id, title_id, 90, play_id="play-00000001")
    assert history(in_process, user_id) == [("started", title_id)]
