"""What the player reports (kept free of SDK imports: the API module imports it at start)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    title_id: str
    position_s: float
    duration_s: float
    #: One per playback, made by the player; None lets a 30-minute pause start a new play.
    play_id: str | None = None
    #: ``S1E3`` for an episode of a series.
    episode: str | None = None
