"""Playback in process: the entitlement gate, titles that cannot be played, what a play
answer holds (the stream's addresses, tracks, where to resume), series episodes in order,
and the stream files themselves."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from chalicelib.openapi.responses import PlayGrant
from chalicelib.platform.clock import now
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.unit.chalicelib.catalogue_titles import asset, film, series, subscriber


def refusal(services: Services, user_id: str, title_id: str,
            episode: str | None = None) -> tuple[int, str]:
    with pytest.raises(AppError) as refused:
        services.playback.play(user_id, title_id, episode)
    return refused.value.status, refused.value.code



def label(grant: PlayGrant) -> str:
    """The episode a play answer plays (a series' answer always names one)."""
    episode = grant["episode"]
    assert episode is not None
    return episode["label"]

def test_a_subscriber_gets_the_streams_addresses_and_tracks(in_process: Services) -> None:
    stream = asset(5400.0)
    title_id = film(in_process, name="Le Film", stream=stream)
    answer = in_process.playback.play(subscriber(in_process), title_id)

    base = f"/stream/{stream['asset_id']}"
    assert {k: answer[k] for k in ("asset_id", "manifest_url", "hls_url", "poster_url",
                                   "thumbnails_url", "duration_s")} == {
        "asset_id": stream["asset_id"], "manifest_url": f"{base}/manifest.mpd",
        "hls_url": f"{base}/master.m3u8", "poster_url": f"{base}/poster.jpg",
        "thumbnails_url": f"{base}/thumbnails.vtt", "duration_s": 5400.0}
    assert answer["subtitles"] == [
        {"language": "en", "label": "English", "url": f"{base}/subtitles-en.vtt"},
        {"language": "fr", "label": "French", "url": f"{base}/subtitles-fr.vtt"}]
    assert answer["renditions"] == [{"name": "360p", "width": 640, "height": 360},
                                    {"name": "720p", "width": 1280, "height": 720}]
    assert (answer["title"]["id"], answer["title"]["name"]) == (title_id, "Le Film")
    assert (answer["resume_s"], answer["progress"]) == (0.0, 0.0)
    assert (answer["episode"], answer["next_episode"]) == (None, None)


def test_play_resumes_where_the_viewer_stopped(in_process: Services) -> None:
    user_id, title_id = subscriber(in_process), film(in_process)
    in_process.resume.save(user_id, title_id, 240.0, 600.0, 0.4, now())
    answer = in_process.playback.play(user_id, title_id)
    assert (answer["resume_s"], answer["progress"]) == (240.0, 0.4)


@pytest.mark.parametrize("status", ["none", "approval_pending", "suspended", "expired"])
def test_only_subscribers_may_play(in_process: Services, status: str) -> None:
    user_id = unique("viewer-") if status == "none" else subscriber(in_process, status)
    assert refusal(in_process, user_id, film(in_process)) == (402, "subscription_required")


def test_a_title_that_cannot_be_played_is_refused_before_the_subscription(
        in_process: Services) -> None:
    nobody = unique("viewer-")  # no subscription: the title's own refusal comes first
    assert refusal(in_process, nobody, unique("film-")) == (404, "title_not_found")
    assert refusal(in_process, nobody, "x" * 500) == (404, "title_not_found")
    assert refusal(in_process, nobody, film(in_process, playable=False)) == (
        409, "title_not_playable")
    broken = film(in_process, stream={**asset(), "asset_id": "../../etc/passwd"})
    assert refusal(in_process, subscriber(in_process), broken) == (409, "title_not_playable")


def test_a_series_plays_its_episodes_in_order(in_process: Services) -> None:
    user_id, series_id = subscriber(in_process), series(in_process, playable=(1, 3))
    first = in_process.playback.play(user_id, series_id)
    assert first["episode"] == {"label": "S1E1", "season": 1, "number": 1, "name": "Pilot"}
    following = first["next_episode"]
    assert following is not None
    assert {k: v for k, v in following.items() if k != "poster_url"} == {
        "label": "S1E3", "name": "Finale", "url": f"/watch/{series_id}?episode=S1E3"}
    assert following["poster_url"].endswith("/poster.jpg")  # the next episode's own frame
    assert following["poster_url"] != first["poster_url"]
    last = in_process.playback.play(user_id, series_id, "s1e3")
    assert (label(last), last["next_episode"]) == ("S1E3", None)
    assert last["asset_id"] != first["asset_id"]
    assert refusal(in_process, user_id, series_id, "S1E2") == (404, "episode_not_found")
    assert refusal(in_process, user_id, series_id, "episode two") == (404, "episode_not_found")


def test_a_series_continues_from_the_episode_in_progress_or_the_one_after(
        in_process: Services) -> None:
    user_id, series_id = subscriber(in_process), series(in_process, playable=(1, 2, 3))
    start = now() - timedelta(hours=1)
    in_process.resume.save(user_id, f"{series_id}#0001#0001", 1150.0, 1200.0, 0.9583, start)
    after_finishing = in_process.playback.play(user_id, series_id)
    assert (label(after_finishing), after_finishing["resume_s"]) == ("S1E2", 0.0)

    in_process.resume.save(user_id, f"{series_id}#0001#0002", 300.0, 1200.0, 0.25,
                           start + timedelta(minutes=30))
    in_progress = in_process.playback.play(user_id, series_id)
    assert (label(in_progress), in_progress["resume_s"]) == ("S1E2", 300.0)


def test_a_series_without_a_playable_episode_is_not_playable(in_process: Services) -> None:
    series_id = series(in_process, playable=())
    assert refusal(in_process, subscriber(in_process), series_id) == (409,
                                                                      "title_not_playable")


def put_media(services: Services, asset_id: str, name: str, body: bytes) -> None:
    services.resources.s3.put_object(Bucket=services.settings.media_bucket,
                                     Key=f"media/{asset_id}/{name}", Body=body)


def stream_refusal(services: Services, user_id: str, asset_id: str,
                   name: str) -> tuple[int, str]:
    with pytest.raises(AppError) as refused:
        services.playback.stream(user_id, asset_id, name)
    return refused.value.status, refused.value.code


def test_manifests_are_served_and_segments_redirect(in_process: Services) -> None:
    user_id, asset_id = subscriber(in_process), uuid.uuid4().hex
    manifest = b'<?xml version="1.0"?><MPD><BaseURL>video/</BaseURL></MPD>'
    put_media(in_process, asset_id, "manifest.mpd", manifest)

    served = in_process.playback.stream(user_id, asset_id, "manifest.mpd")
    assert (served.body, served.content_type, served.url) == (
        manifest.decode(), "application/dash+xml", None)

    segment = in_process.playback.stream(user_id, asset_id, "video-720p-00001.m4s")
    assert segment.body is None and segment.url is not None
    assert urlsplit(segment.url).path.endswith(f"/media/{asset_id}/video-720p-00001.m4s")
    expires = in_process.settings.stream_url_seconds  # minutes at most
    assert f"X-Amz-Expires={expires}" in segment.url and expires <= 900


@pytest.mark.parametrize(("asset_id", "name"), [
    ("a" * 32, "missing.vtt"),            # no such file
    ("A" * 32, "manifest.mpd"),           # not an asset id
    ("a" * 32, "../manifest.mpd"),        # not a file name
    ("a" * 32, "x" * 130 + ".m4s"),       # too long
])
def test_bad_or_missing_stream_files_are_a_404(in_process: Services, asset_id: str,
                                               name: str) -> None:
    assert stream_refusal(in_process, subscriber(in_process), asset_id, name) == (
        404, "stream_not_found")


def test_stream_files_need_a_subscription_too(in_process: Services) -> None:
    asset_id = "b" * 32
    put_media(in_process, asset_id, "master.m3u8", b"#EXTM3U\n")
    nobody = unique("viewer-")
    for name in ("master.m3u8", "segment-1.m4s"):
        assert stream_refusal(in_process, nobody, asset_id, name) == (402,
                                                                      "subscription_required")
