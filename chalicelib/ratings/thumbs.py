"""Thumbs on the 1..10 rating scale, both ways.

A thumb is stored as a rating in ``user-titles`` (the attribute IMDb list imports fill), so
both kinds of rating are one thing to the title page, the graph and the recommendations:

- thumbs up is stored as 10, thumbs down as 1;
- a rating reads as thumbs up from :data:`UP_FROM` (7) and as thumbs down at
  :data:`DOWN_AT_MOST` (4) or below; 5 and 6 are no thumb (an imported "fine").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Thumb = Literal["up", "down"]
UP_RATING = 10
DOWN_RATING = 1
UP_FROM = 7
DOWN_AT_MOST = 4


def rating_of(thumb: Thumb) -> int:
    """The rating a thumb stores."""
    return UP_RATING if thumb == "up" else DOWN_RATING


def thumb_of(rating: float | int | Decimal | None) -> Thumb | None:
    """The thumb a rating reads as (None: not rated, or in between)."""
    if rating is None:
        return None
    if rating >= UP_FROM:
        return "up"
    if rating <= DOWN_AT_MOST:
        return "down"
    return None


@dataclass(frozen=True)
class ViewerThumbs:
    """A viewer's thumbs, each list newest first, and the names of the thumbs-down titles
    (what the recommendations say when they drop titles)."""

    up: tuple[str, ...] = ()
    down: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.up or self.down)

    @property
    def rated(self) -> frozenset[str]:
        return frozenset(self.up) | frozenset(self.down)


NO_THUMBS = ViewerThumbs()
