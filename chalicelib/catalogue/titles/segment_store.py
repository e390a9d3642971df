"""Finds a season's intro and credits once an episode is published, and stores them on each
episode (``EpisodeModel.segments``), where the player reads them."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.catalogue.titles.models import EpisodeModel
from chalicelib.catalogue.titles.segments import season_segments
from chalicelib.platform.logs import logger


def refresh_season(s3: Any, media_bucket: str, series_id: str, season: int) -> int:
    """Compare the season's published episodes' fingerprints; write each one's segments.
    The number of episodes given at least one segment.

    Read consistently: two episodes published at once each run this after attaching their
    own asset, so whichever runs second sees both (an eventually consistent read could let
    both miss the other)."""
    episodes = [e for e in EpisodeModel.query(series_id, consistent_read=True)
                if e.asset and int(e.season) == season]
    fingerprints: dict[str, dict[str, Any]] = {}
    for episode in episodes:
        name = episode.asset.get("fingerprint")
        if not name:
            continue
        key = f"media/{episode.asset['asset_id']}/{name}"
        try:
            body = s3.get_object(Bucket=media_bucket, Key=key)["Body"].read()
            fingerprints[episode.episode_key] = json.loads(body)
        except Exception as exc:  # one unreadable fingerprint leaves the others' matches
            logger.warning("fingerprint unreadable", key=key, error=type(exc).__name__)
    found = season_segments(fingerprints)
    marked = 0
    for episode in episodes:
        segments = [s.as_json() for s in found.get(episode.episode_key, [])]
        if segments != (episode.segments or []):
            try:  # never recreate an episode removed meanwhile
                episode.update(actions=[EpisodeModel.segments.set(segments)],
                               condition=EpisodeModel.episode_key.exists())
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue
        marked += bool(segments)
    logger.info("season segments found", series_id=series_id, season=season,
                episodes=len(episodes), fingerprinted=len(fingerprints), with_segments=marked)
    return marked
