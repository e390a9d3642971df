"""Maturity ratings on one scale, and what a profile's ceiling lets through.

Films carry MPAA ratings (the Wikidata catalogue has about 2,600), series US TV ratings;
both map onto one ordered scale of levels. A profile with a ceiling sees a title only when
the title's level is at or under it; a title without a rating counts as above any ceiling
until an admin rates it (Jellyfin treats unrated items the same way on a restricted
profile). Profiles without a ceiling see everything.
"""

from __future__ import annotations

from chalicelib.platform.errors import catalogued

#: Each rating's level on one scale (films' MPAA and the US TV parental guidelines).
LEVELS: dict[str, int] = {
    "G": 1, "TV-Y": 1, "TV-G": 1,
    "TV-Y7": 2,
    "PG": 3, "TV-PG": 3,
    "PG-13": 4, "TV-14": 4,
    "R": 5, "TV-MA": 5,
    "NC-17": 6,
}
#: Old MPAA labels as the data sets spell them, as today's.
ALIASES = {"GP": "PG", "M": "PG", "M/PG": "PG", "X": "NC-17"}
#: The ceilings a kids profile may have, youngest first, and the default.
KIDS_CEILINGS: tuple[str, ...] = ("G", "TV-Y7", "PG", "PG-13")
DEFAULT_KIDS_CEILING = "PG"
#: Ratings an admin may give a title (the canonical ones).
RATINGS: tuple[str, ...] = tuple(LEVELS)


def canonical(rating: object) -> str | None:
    """The scale's name for a rating as a data set spells it; None if not on the scale."""
    if not isinstance(rating, str):
        return None
    name = rating.strip().upper()
    name = ALIASES.get(name, name)
    return name if name in LEVELS else None


def level(rating: object) -> int | None:
    """The level of a rating, None for an unrated title (or a rating off the scale)."""
    name = canonical(rating)
    return LEVELS[name] if name else None


def allowed(title_level: int | None, ceiling: int | None) -> bool:
    """Whether a title of this level may be shown under this ceiling (None: no ceiling)."""
    if ceiling is None:
        return True
    return title_level is not None and title_level <= ceiling


def check(rating: str | None, ceiling: int | None) -> None:
    """403 ``above_maturity`` unless a title of this rating may be shown under the ceiling."""
    if not allowed(level(rating), ceiling):
        raise catalogued("above_maturity")
