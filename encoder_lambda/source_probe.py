"""Describe a source through its presigned URL (ffmpeg reads the container's header and
index with Range requests), and pick the audio tracks to keep."""

from __future__ import annotations

from encoder_lambda.media.probe import SourceInfo, probe_url
from encoder_lambda.source_url import SourceUrl


def probe_source(source: SourceUrl) -> SourceInfo:
    return probe_url(source.url)


def audio_streams(info: SourceInfo) -> list[int]:
    """Stream indexes of every audio track to publish, the default track first."""
    tracks = getattr(info, "audio_tracks", ())
    if tracks:
        return [int(track.index) for track in tracks]
    return [info.audio_index] if info.audio_index is not None else []
