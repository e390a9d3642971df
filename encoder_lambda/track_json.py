"""Tracks as the tasks hand them to the assembler (JSON), and the two changes tasks make to
them: a chunk's segments moved to its place in the title, an audio track renamed."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from encoder_lambda.media.packaging import Segment, Track


def track_to_json(track: Track) -> dict[str, Any]:
    data = asdict(track)
    data["segments"] = [[s.start, s.duration] for s in track.segments]
    return data


def track_from_json(data: dict[str, Any]) -> Track:
    fields = dict(data)
    fields["segments"] = tuple(Segment(int(a), int(b)) for a, b in data["segments"])
    return Track(**fields)


def shifted(track: Track, offset: int) -> Track:
    """The same track with every segment ``offset`` ticks later."""
    return replace(track, segments=tuple(Segment(s.start + offset, s.duration)
                                         for s in track.segments))


def renamed(track: Track, ident: str, *, language: str | None, label: str | None,
            default: bool) -> Track:
    return replace(track, id=ident, language=language, label=label, default=default)


def joined(parts: list[Track]) -> Track:
    """One rung over the whole title from its per-chunk tracks, in chunk order."""
    first = parts[0]
    segments = tuple(s for part in parts for s in part.segments)
    return replace(first, segments=segments)
