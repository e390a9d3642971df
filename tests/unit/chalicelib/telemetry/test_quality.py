"""The play registry and the QoE aggregates in process (fakeredis with Lua): ownership,
idempotent batches, one outcome per play, ratios, per-title and per-rendition rows, and the
play grant's play id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.telemetry import histogram
from chalicelib.telemetry.plays import PlayRegistry
from chalicelib.telemetry.quality import QualityStore
from chalicelib.telemetry.schemas import PlaybackEventsIn
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import film, subscriber

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(in_process: Services) -> QualityStore:
    """A store of its own (own key prefix) on the in-process Redis, at a fixed time."""
    prefix = unique("qoe-test-")
    redis = in_process.resources.redis
    return QualityStore(redis, prefix, PlayRegistry(redis, prefix), clock=lambda: NOON)


def batch(play_id: str, seq: int, *events: dict[str, Any]) -> PlaybackEventsIn:
    return PlaybackEventsIn.model_validate({"play_id": play_id, "seq": seq,
                                           "events": list(events)})


def names(ids: list[str]) -> dict[str, str]:
    return {i: f"Name of {i}" for i in ids}


def new_play(store: QualityStore, owner: str = "owner-1", title: str = "t-1") -> str:
    return store.plays.register(owner, title, "a" * 32, ["360p", "720p"])


def test_plays_percentiles_ratio_and_score(store: QualityStore) -> None:
    startups = [400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 3000]
    for n, ms in enumerate(startups):
        play = new_play(store, title="t-a" if n % 2 else "t-b")
        store.record("owner-1", batch(
            play, 0, {"type": "start", "startup_ms": ms, "rendition": "720p"},
            {"type": "rendition_time", "rendition": "720p", "ms": 9000},
            {"type": "rendition_time", "rendition": "360p", "ms": 1000},
            {"type": "rebuffer", "ms": 500, "rendition": "720p"}))
    report = store.report(1, names)
    overall = report["overall"]
    assert (overall["plays"], overall["starts"], overall["rebuffer_count"]) == (10, 10, 10)
    exact50 = histogram.exact_percentile(startups, 0.5)
    exact95 = histogram.exact_percentile(startups, 0.95)
    assert exact50 is not None and exact95 is not None
    assert abs((overall["video_start_p50_ms"] or 0) - exact50) <= exact50 * 0.0101
    assert abs((overall["video_start_p95_ms"] or 0) - exact95) <= exact95 * 0.0101
    assert overall["rebuffer_ratio"] == pytest.approx(5000 / (100_000 + 5000), abs=1e-6)
    mean_score = sum(histogram.startup_score(ms / 1000) for ms in startups) / len(startups)
    assert overall["startup_score"] == pytest.approx(mean_score, abs=0.05)
    assert report["first_day"] == report["last_day"] == "2026-03-01"
    assert [(t["name"], t["plays"]) for t in report["titles"]] == [
        ("Name of t-a", 5), ("Name of t-b", 5)]
    assert report["titles"][0]["most_watched_rendition"] == "720p"
    by_rendition = {r["name"]: r for r in report["renditions"]}
    assert by_rendition["720p"]["plays"] == 10
    assert by_rendition["720p"]["most_watched_plays"] == 10
    assert by_rendition["360p"]["most_watched_plays"] == 0
    assert by_rendition["360p"]["watch_ms"] == 10_000


def test_a_batch_sent_twice_counts_once(store: QualityStore) -> None:
    play = new_play(store)
    events = ({"type": "start", "startup_ms": 800, "rendition": "360p"},
              {"type": "rebuffer", "ms": 300})
    assert store.record("owner-1", batch(play, 0, *events)).duplicate is False
    assert store.record("owner-1", batch(play, 0, *events)).duplicate is True
    store.record("owner-1", batch(play, 1, {"type": "rebuffer", "ms": 200}))
    overall = store.report(1, names)["overall"]
    assert (overall["plays"], overall["rebuffer_count"], overall["rebuffer_ms"]) == (1, 2, 500)


def test_another_owners_play_is_refused_and_not_counted(store: QualityStore) -> None:
    play = new_play(store, owner="owner-1")
    for owner, play_id in (("owner-2", play), ("owner-1", "no-such-play-id")):
        with pytest.raises(AppError) as refused:
            store.record(owner, batch(play_id, 0, {"type": "start", "startup_ms": 800,
                                                   "rendition": "360p"}))
        assert (refused.value.status, refused.value.code) == (404, "play_not_found")
    assert store.report(1, names)["overall"]["plays"] == 0


def test_one_outcome_per_play_and_a_failure_may_still_start(store: QualityStore) -> None:
    started, left, failed, recovered = (new_play(store) for _ in range(4))
    store.record("owner-1", batch(started, 0, {"type": "start", "startup_ms": 900,
                                               "rendition": "360p"}))
    store.record("owner-1", batch(started, 1, {"type": "start", "startup_ms": 5000,
                                               "rendition": "360p"}))
    store.record("owner-1", batch(started, 2, {"type": "exit_before_start", "waited_ms": 1}))
    store.record("owner-1", batch(left, 0, {"type": "exit_before_start", "waited_ms": 4000}))
    store.record("owner-1", batch(left, 1, {"type": "start", "startup_ms": 900,
                                            "rendition": "360p"}))
    store.record("owner-1", batch(failed, 0, {"type": "error", "code": "manifest",
                                              "before_start": True},
                                  {"type": "exit_before_start", "waited_ms": 3000}))
    store.record("owner-1", batch(recovered, 0, {"type": "error", "code": "segment",
                                                 "before_start": True}))
    store.record("owner-1", batch(recovered, 1, {"type": "start", "startup_ms": 2000,
                                                 "rendition": "720p"}))
    overall = store.report(1, names)["overall"]
    assert {k: overall[k] for k in ("plays", "starts", "start_failures",
                                    "exits_before_start", "errors")} == {
        "plays": 4, "starts": 2, "start_failures": 1, "exits_before_start": 1, "errors": 2}
    assert overall["video_start_p95_ms"] == pytest.approx(2000, rel=0.011)


def test_the_rendition_watched_most_moves_with_the_play(store: QualityStore) -> None:
    play = new_play(store)
    store.record("owner-1", batch(play, 0, {"type": "start", "startup_ms": 500,
                                            "rendition": "360p"},
                                  {"type": "rendition_time", "rendition": "360p", "ms": 4000}))
    store.record("owner-1", batch(play, 1, {"type": "switch", "from": "360p", "to": "720p"},
                                  {"type": "rendition_time", "rendition": "720p", "ms": 6000},
                                  {"type": "rendition_time", "rendition": "1080p", "ms": 10},
                                  {"type": "dropped_frames", "frames": 3}))
    report = store.report(1, names)
    rows = {r["name"]: r for r in report["renditions"]}
    assert rows["720p"]["most_watched_plays"] == 1 and rows["360p"]["most_watched_plays"] == 0
    assert rows["720p"]["switches"] == 1 and "1080p" not in rows  # not the play's: "other"
    assert rows["other"]["watch_ms"] == 10
    assert report["overall"]["dropped_frames"] == 3


def test_days_out_of_range_are_a_400(store: QualityStore) -> None:
    for days in (0, 36):
        with pytest.raises(AppError) as refused:
            store.report(days, names)
        assert refused.value.status == 400


@pytest.mark.parametrize("body", [
    {"play_id": "p" * 10, "seq": 0, "events": []},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "start", "startup_ms": 1,
                                                "rendition": "360p"}] * 2},
    {"play_id": "p" * 10, "seq": 0, "events": [
        {"type": "start", "startup_ms": 1, "rendition": "360p"},
        {"type": "exit_before_start", "waited_ms": 1}]},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "rebuffer", "ms": 10**9}]},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "rebuffer", "ms": "12"}]},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "rebuffer", "ms": 1, "x": 1}]},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "teleport"}]},
    {"play_id": "p" * 10, "seq": 0, "events": [{"type": "rebuffer", "ms": 1}] * 65},
])
def test_bad_batches_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PlaybackEventsIn.model_validate(body)


def test_a_play_grant_carries_a_play_id_registered_to_its_owner(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    grant = in_process.playback.play(user_id, title_id)
    play = in_process.plays.find(grant["play_id"])
    assert play is not None
    assert (play.owner, play.title_id, play.asset_id, play.renditions) == (
        user_id, title_id, grant["asset_id"], ("360p", "720p"))
    # a profile watching on the account: the play is the profile's, the subscription the
    # account's
    other = in_process.playback.play("p-profile7", title_id, account_id=user_id)["play_id"]
    assert other != grant["play_id"]
    assert (in_process.plays.find(other) or play).owner == "p-profile7"


def test_the_route_documents_the_range_the_report_keeps() -> None:
    from chalicelib.routes.telemetry import DAYS
    from chalicelib.telemetry.quality import MAX_REPORT_DAYS

    assert (DAYS.minimum, DAYS.maximum) == (1, MAX_REPORT_DAYS)


def test_a_batch_whose_recording_failed_counts_once_when_the_player_sends_it_again(
        store: QualityStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever of the record's Redis requests fails (the connection lost), the player's
    retry of the batch counts once: the batch is never marked seen without its counters."""
    import redis

    connection = type(store.redis.connection_pool.get_connection())
    real_send: Any = connection.send_packed_command
    sent = 0
    fail_at: int | None = None

    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        if fail_at is not None and sent >= fail_at:  # lost from then on (retries too)
            raise redis.ConnectionError("connection lost")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(connection, "send_packed_command", send)

    def events() -> list[dict[str, Any]]:
        return [{"type": "start", "startup_ms": 700, "rendition": "720p"},
                {"type": "rendition_time", "rendition": "720p", "ms": 5000}]

    store.record("owner-1", batch(new_play(store, title="t-whole"), 0, *events()))
    play = new_play(store, title="t-whole")  # the script is loaded now: count a record's
    sent = 0
    store.record("owner-1", batch(play, 0, *events()))
    requests = sent
    assert requests >= 1
    for n in range(1, requests + 1):
        play = new_play(store, title="t-whole")
        sent, fail_at = 0, n
        with pytest.raises(redis.ConnectionError):
            store.record("owner-1", batch(play, 0, *events()))
        fail_at = None
        assert store.record("owner-1", batch(play, 0, *events())).duplicate is False
        assert store.record("owner-1", batch(play, 0, *events())).duplicate is True
    row = next(r for r in store.report(1, names)["titles"] if r["title_id"] == "t-whole")
    plays = requests + 2
    assert (row["plays"], row["starts"], row["watch_ms"]) == (plays, plays, 5000 * plays)
