"""A generated poster's colours: a hue family per genre, varied a little per title.

Each genre has a base hue (crime steel blue, horror blood red, comedy warm yellow...); a genre
not listed gets a hue of its own from its name. A title's first genre gives the palette's
main hue, its second (if any) the gradient's other end. The title's id shifts both hues and
lightnesses a little, so two dramas differ while staying recognisably dramas, and the same
title always gets the same colours. Every colour behind the text is dark enough for white
text to reach a contrast of at least 4.5:1 (WCAG AA).
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.platform.colours import contrast

#: Base hue in degrees of each genre (TMDB's names and the Wikidata set's), folded to lower case.
GENRE_HUES: dict[str, int] = {
    "action": 8, "adventure": 28, "action & adventure": 18, "animation": 45, "comedy": 48,
    "family": 95, "kids": 100, "crime": 212, "film-noir": 225, "documentary": 168,
    "biography": 150, "news": 200, "drama": 272, "fantasy": 292, "sci-fi & fantasy": 250,
    "science fiction": 190, "history": 36, "horror": 352, "music": 318, "musical": 318,
    "mystery": 238, "romance": 336, "thriller": 2, "war": 75, "war & politics": 70,
    "western": 24, "sport": 130, "tv movie": 260, "reality": 300, "soap": 330, "talk": 210,
}
#: Contrast white text keeps with every colour behind it.
MIN_CONTRAST = 4.5
#: How far a title's id moves its hues (degrees either way).
HUE_JITTER = 14


@dataclass(frozen=True)
class Palette:
    """Hex colours: the gradient's two ends, two accents for the shapes, the text's."""

    start: str
    end: str
    accent: str
    accent2: str
    text: str = "#ffffff"
    muted: str = "#e6e6ee"


def seed_bytes(title_id: str) -> bytes:
    """Stable pseudo-random bytes of a title (the same on every machine and run)."""
    return hashlib.sha256(title_id.encode("utf-8", "surrogatepass")).digest()


def genre_hue(genre: str) -> int:
    key = genre.strip().casefold()
    if key in GENRE_HUES:
        return GENRE_HUES[key]
    return int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:2],
                          "big") % 360


def hsl(hue: float, saturation: float, lightness: float) -> str:
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def dark_enough(hue: float, saturation: float, lightness: float, text: str = "#ffffff") -> str:
    """The colour, darkened until `text` on it reaches MIN_CONTRAST."""
    while lightness > 0:
        colour = hsl(hue, saturation, lightness)
        if contrast(colour, text) >= MIN_CONTRAST:
            return colour
        lightness -= 0.02
    return hsl(hue, saturation, 0)


def _jitter(byte: int, spread: float) -> float:
    """-spread..+spread from one seed byte."""
    return (byte / 255 * 2 - 1) * spread


def palette(title_id: str, genres: Sequence[str]) -> Palette:
    seed = seed_bytes(title_id)
    named = [g for g in genres if g.strip()]
    if named:
        main = genre_hue(named[0])
        other = genre_hue(named[1]) if len(named) > 1 else main + 35
    else:  # no genre: a calm hue of the title's own
        main = int.from_bytes(seed[8:10], "big") % 360
        other = main + 35
    hue = main + _jitter(seed[0], HUE_JITTER)
    hue2 = other + _jitter(seed[1], HUE_JITTER)
    saturation = 0.55 + _jitter(seed[2], 0.12)
    return Palette(
        start=dark_enough(hue, saturation, 0.16 + _jitter(seed[3], 0.04)),
        end=dark_enough(hue2, saturation, 0.34 + _jitter(seed[4], 0.05)),
        accent=hsl(hue, min(1.0, saturation + 0.2), 0.55 + _jitter(seed[5], 0.08)),
        accent2=hsl(hue2, min(1.0, saturation + 0.15), 0.62 + _jitter(seed[6], 0.08)))
