"""Describe a source through its presigned URL (ffmpeg reads the container's header and
index with Range requests), and pick the audio tracks to keep."""

from __future__ import annotations

from dataclasses import replace

from encoder_lambda.media.binaries import ToolFailed
from encoder_lambda.media.probe import SourceInfo, probe_url
from encoder_lambda.media.video_filters import count_fields
from encoder_lambda.source_url import SourceUrl

#: How much of the source idet reads when the container does not say how it was scanned.
IDET_SECONDS = 10.0


def probe_source(source: SourceUrl) -> SourceInfo:
    return probe_url(source.url)


def audio_streams(info: SourceInfo) -> list[int]:
    """Stream indexes of every audio track to publish, the default track first."""
    tracks = getattr(info, "audio_tracks", ())
    if tracks:
        return [int(track.index) for track in tracks]
    return [info.audio_index] if info.audio_index is not None else []


def decide_field_order(source: SourceUrl, info: SourceInfo) -> SourceInfo:
    """The source with a known field order: the container's, else what ``idet`` sees in
    ten seconds from 10% in (decided once, by the planner; every chunk then agrees)."""
    if not info.has_video or info.field_order is not None:
        return info
    at = min(info.duration_s * 0.1, max(0.0, info.duration_s - IDET_SECONDS))
    try:
        counts = count_fields(source.url, at, IDET_SECONDS, video_index=info.video_index)
    except ToolFailed:  # unreadable there: the chunks will say why; assume progressive
        return replace(info, field_order="progressive")
    return replace(info, field_order=counts.field_order or "progressive")
