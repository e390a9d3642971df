"""Play a title: entitlement, the stream's addresses and the resume point; stream files.

``/api/titles/{id}/play`` answers where the player finds the manifest (``/stream/<asset>/
manifest.mpd``), its text tracks, thumbnails and where to resume. Every ``/stream/`` request
re-checks the session and the subscription. Manifests, playlists and WebVTT files are served
by the API itself (players resolve the relative URLs inside them against the address they
were loaded from: it must stay ``/stream/``); segments and images redirect to a presigned S3
URL that expires within minutes. Entitlement is the shared check of
:class:`chalicelib.payments.entitlements.Entitlements` (remembered in Redis, revoked when the
subscription changes), the same one progress posts go through.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.catalogue.titles.browse import card, find_title
from chalicelib.catalogue.titles.episodes import episode_key, episode_label
from chalicelib.catalogue.titles.models import EpisodeModel
from chalicelib.openapi.responses import NextEpisode, PlayGrant
from chalicelib.platform.errors import catalogued
from chalicelib.platform.languages import language_name
from chalicelib.platform.logs import logger
from chalicelib.profiles import maturity
from chalicelib.telemetry.plays import PlayRegistry
from chalicelib.viewing.resume import WATCHED_FROM, ResumeStore

ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
#: Small text files served through the API itself, so that players resolve the relative
#: URLs inside them (segments, playlists, sprites) against /stream/, not against S3.
SERVED = {".mpd": "application/dash+xml", ".m3u8": "application/vnd.apple.mpegurl",
          ".vtt": "text/vtt; charset=utf-8"}
MAX_SERVED_BYTES = 2_000_000
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")
MAX_FILE_NAME = 128
#: How long a restricted profile's play grant opens its stream's files.


@dataclass(frozen=True)
class StreamFile:
    """Either a redirect (``url``) or the file itself (``body``)."""

    url: str | None = None
    body: str | None = None
    content_type: str = ""


def stream_path(asset_id: str, name: str) -> str:
    return f"/stream/{asset_id}/{name}"


class Playback:
    def __init__(self, s3: Any, media_bucket: str, require_entitlement: Callable[[str], None],
                 resume: ResumeStore, plays: PlayRegistry, image_base: str,
                 url_seconds: int = 300) -> None:
        self.s3 = s3
        self.media_bucket = media_bucket
        #: Raises the catalogued 402 unless the user may watch (Entitlements.require).
        self.require_entitlement = require_entitlement
        self.resume = resume
        self.image_base = image_base
        self.url_seconds = url_seconds
        #: Registers each grant's play id (playback-quality beacons name it) and the streams
        #: a profile with a ceiling was granted.
        self.plays = plays

    def play(self, user_id: str, title_id: str, episode: str | None = None, *,
             account_id: str | None = None, ceiling: int | None = None) -> PlayGrant:
        """Where to play a film, or an episode of a series (``S1E3``; by default the one in
        progress, or the one after the last one finished, else the first), and where to
        resume. ``user_id`` is the viewer (the profile); the subscription checked is
        ``account_id``'s (the same when not given). A profile with a maturity ceiling is
        refused a title above it (403), and may then fetch this stream's files only."""
        title = find_title(title_id)
        maturity.check(title.maturity_rating, ceiling)  # a kids profile's ceiling
        chosen: dict[str, Any] | None = None
        following: NextEpisode | None = None
        if title.kind == "series":
            chosen, following = self._episodes(user_id, title_id, episode)
            asset = chosen["asset"]
        else:
            asset = title.asset
        if not asset or not ASSET_ID.match(str(asset.get("asset_id", ""))):
            raise catalogued("title_not_playable")
        self.require_entitlement(account_id or user_id)
        asset_id = str(asset["asset_id"])
        if ceiling is not None:
            self.plays.grant_stream(user_id, asset_id)
        resume_id = f"{title_id}#{chosen['key']}" if chosen else title_id
        try:
            point = self.resume.get(user_id, resume_id)
        except Exception:  # Redis down: play from the start rather than not at all
            point = None
        return {
            "episode": ({"label": chosen["label"], "season": chosen["season"],
                         "number": chosen["number"], "name": chosen["name"]}
                        if chosen else None),
            "next_episode": following,
            "title": card(title, self.image_base), "asset_id": asset_id,
            "manifest_url": stream_path(asset_id, "manifest.mpd"),
            "hls_url": stream_path(asset_id, "master.m3u8"),
            "poster_url": stream_path(asset_id, "poster.jpg"),
            "thumbnails_url": stream_path(asset_id, "thumbnails.vtt"),
            "subtitles": [{"language": s.get("language"),
                           "label": language_name(s.get("language")),
                           "url": stream_path(asset_id, str(s.get("file")))}
                          for s in asset.get("subtitles") or []],
            "renditions": [{"name": r.get("name"), "width": r.get("width"),
                            "height": r.get("height")} for r in asset.get("renditions") or []],
            "duration_s": asset.get("duration_s"),
            "resume_s": point["resume_s"] if point else 0.0,
            "progress": point["progress"] if point else 0.0,
            "segments": list(chosen.get("segments") or []) if chosen else [],
            "play_id": self._play_id(user_id, title_id, asset_id,
                                     [str(r.get("name")) for r in asset.get("renditions") or []]),
        }

    def _play_id(self, owner: str, title_id: str, asset_id: str, renditions: list[str]) -> str:
        """A registered play id; with Redis down, an unregistered one (the title still plays,
        only its quality beacons are refused)."""
        try:
            return self.plays.register(owner, title_id, asset_id, renditions)
        except Exception as exc:
            logger.warning("play not registered", title_id=title_id, error=type(exc).__name__)
            return secrets.token_urlsafe(18)

    def stream(self, user_id: str, asset_id: str, name: str,
               viewer_id: str | None = None) -> StreamFile:
        """A manifest, playlist or text track itself; anything else as a presigned URL.
        With ``viewer_id`` (a profile with a maturity ceiling), only the files of a stream
        its play grant named: the ceiling was checked there."""
        if viewer_id is not None and not self.plays.stream_granted(viewer_id, asset_id):
            raise catalogued("above_maturity")
        suffix = name[name.rfind("."):].lower() if "." in name else ""
        if suffix not in SERVED:
            return StreamFile(url=self.stream_url(user_id, asset_id, name))
        self._check(asset_id, name)
        self.require_entitlement(user_id)
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import is_missing

        try:
            found = self.s3.get_object(Bucket=self.media_bucket,
                                       Key=f"media/{asset_id}/{name}")
        except ClientError as exc:
            if is_missing(exc):
                raise catalogued("stream_not_found") from None
            raise
        if int(found.get("ContentLength", 0)) > MAX_SERVED_BYTES:
            raise catalogued("stream_not_found")
        return StreamFile(body=found["Body"].read().decode("utf-8", "replace"),
                          content_type=SERVED[suffix])

    def _episodes(self, user_id: str, series_id: str, wanted: str | None
                  ) -> tuple[dict[str, Any], NextEpisode | None]:
        """The episode to play (with its key and asset) and the playable one after it."""
        playable = [e for e in EpisodeModel.query(series_id) if e.asset]
        if not playable:
            raise catalogued("title_not_playable")
        keys = [e.episode_key for e in playable]
        if wanted is not None:
            key = episode_key(wanted)
            if key is None or key not in keys:
                raise catalogued("episode_not_found", episode=wanted[:12])
            index = keys.index(key)
        else:
            index = self._next_to_watch(user_id, series_id, keys)
        current = playable[index]
        after = playable[index + 1] if index + 1 < len(playable) else None
        chosen = {"key": current.episode_key, "label": episode_label(current.episode_key),
                  "season": int(current.season), "number": int(current.number),
                  "name": current.name, "asset": current.asset,
                  "segments": current.segments or []}
        following: NextEpisode | None = None
        if after is not None:
            label = episode_label(after.episode_key)
            following = {"label": label, "name": after.name,
                         "url": f"/watch/{series_id}?episode={label}",
                         "poster_url": stream_path(str(after.asset["asset_id"]), "poster.jpg")}
        return chosen, following

    def _next_to_watch(self, user_id: str, series_id: str, keys: list[str]) -> int:
        try:
            points = self.resume.many(user_id, [f"{series_id}#{k}" for k in keys])
        except Exception:  # Redis down: from the first episode
            return 0
        if not points:
            return 0
        latest = max(points, key=lambda i: str(points[i].get("at", "")))
        index = keys.index(latest.split("#", 1)[1])
        finished = points[latest]["progress"] >= WATCHED_FROM
        return min(index + 1, len(keys) - 1) if finished else index

    @staticmethod
    def _check(asset_id: str, name: str) -> None:
        if (not ASSET_ID.match(asset_id) or len(name) > MAX_FILE_NAME
                or not FILE_NAME.match(name)):
            raise catalogued("stream_not_found")

    def stream_url(self, user_id: str, asset_id: str, name: str) -> str:
        """A presigned URL of one of an asset's files, for a subscriber."""
        self._check(asset_id, name)
        self.require_entitlement(user_id)
        url: str = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.media_bucket,
                                  "Key": f"media/{asset_id}/{name}"},
            ExpiresIn=self.url_seconds)
        return url
