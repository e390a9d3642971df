"""Response bodies of the playback-quality (QoE) routes, re-exported by
:mod:`chalicelib.openapi.responses` (where routes name their models)."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class PlaybackEventsAccepted(TypedDict):
    #: False when this batch number of the play was received before (counted once).
    counted: bool
    events: int


class PlaybackRow(TypedDict):
    """QoE of a set of plays: all of them, one title's or one rendition's."""

    name: str
    title_id: NotRequired[str]
    #: Plays with an outcome: started, failed to start, or left before the first frame.
    #: For a rendition: the plays that started on it.
    plays: int
    starts: int
    start_failures: int
    exits_before_start: int
    #: From the click on Play to the first frame (milliseconds; null without a start).
    video_start_p50_ms: int | None
    video_start_p95_ms: int | None
    video_start_mean_ms: int | None
    #: Mux's start-up score, per started view (8 / (8 + start seconds) x 100), averaged.
    startup_score: float | None
    #: Rebuffer time / (time watched + rebuffer time); null before anything was watched.
    rebuffer_ratio: float | None
    rebuffer_count: int
    rebuffer_ms: int
    watch_ms: int
    switches: int
    dropped_frames: int
    errors: int
    #: For a rendition: the plays that watched it most.
    most_watched_plays: int
    #: For a title: the rendition its plays watched longest.
    most_watched_rendition: str | None
    #: Start-up times: 2% geometric bucket -> plays (bucket i holds 1.02^i to 1.02^(i+1) ms).
    startup_histogram: dict[str, int]


class PlaybackQuality(TypedDict):
    days: int
    #: The UTC days covered, first and last (today).
    first_day: str
    last_day: str
    overall: PlaybackRow
    titles: list[PlaybackRow]
    renditions: list[PlaybackRow]
