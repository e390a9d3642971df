"""The browse index: which facets a title appears under, and in what order.

Every title appears under `all`, its type, each genre, its year and each country. Within a
facet, items sort by a rank key that puts the most popular first and ties by id, so a page
of any facet is one ordered query.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.catalogue.titles.text import normalized

#: The browse partition of playable titles, most popular first (the `available` filter, and
#: the fallback for rows that need something to play when recommendations cannot be computed).
PLAYABLE_FACET = "playable"
MAX_GENRES = 8
MAX_COUNTRIES = 8
_RANK_CEILING = 10**12 - 1


def genre_key(genre: str) -> str:
    return normalized(genre).replace(" ", "-")


def facet_names(kind: str, genres: Sequence[str], year: int | None,
                countries: Sequence[str]) -> list[str]:
    names = ["all", f"type#{kind}"]
    names += [f"genre#{genre_key(g)}" for g in genres[:MAX_GENRES] if genre_key(g)]
    if year is not None:
        names.append(f"year#{year}")
    names += [f"country#{c}" for c in countries[:MAX_COUNTRIES]]
    return list(dict.fromkeys(names))


def rank_key(popularity: float, title_id: str) -> str:
    """Sorts ascending from the most popular; popularity kept to 1/1000."""
    score = min(max(round(popularity * 1000), 0), _RANK_CEILING)
    return f"{_RANK_CEILING - score:012d}#{title_id}"
