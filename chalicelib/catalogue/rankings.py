"""Best films per country by IMDb's weighted rating.

WR = v/(v+m)·R + m/(v+m)·C, where R is a film's mean rating, v its number of votes, m the
minimum votes a film needs to be listed with weight and C the mean vote across the
catalogue. A film with few votes is pulled towards C, so a 10/10 from three people does
not beat a classic rated 9.2 by a million.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.openapi.responses import RankedTitle

#: How many films are kept per country (the API's largest `limit`).
KEPT_PER_COUNTRY = 100


@dataclass(frozen=True)
class RatedFilm:
    id: str
    name: str
    year: int | None
    imdb_id: str | None
    rating: float
    votes: int
    countries: tuple[str, ...]
    poster_path: str | None = None
    playable: bool = False


def weighted_rating(rating: float, votes: int, min_votes: int, mean: float) -> float:
    total = votes + min_votes
    if total == 0:
        return mean
    return votes / total * rating + min_votes / total * mean


def mean_vote(films: Iterable[RatedFilm]) -> float | None:
    ratings = [f.rating for f in films]
    return sum(ratings) / len(ratings) if ratings else None


def best_by_country(films: Iterable[RatedFilm], min_votes: int, mean: float,
                    keep: int = KEPT_PER_COUNTRY) -> dict[str, list[RankedTitle]]:
    """Each country's films with their WR, best first (ties: more votes, then name)."""
    by_country: dict[str, list[RankedTitle]] = defaultdict(list)
    for film in films:
        wr = weighted_rating(film.rating, film.votes, min_votes, mean)
        entry: RankedTitle = {"id": film.id, "imdb_id": film.imdb_id, "name": film.name,
                              "year": film.year, "rating": film.rating, "votes": film.votes,
                              "weighted_rating": round(wr, 4),
                              "poster_path": film.poster_path, "playable": film.playable}
        for country in film.countries:
            by_country[country].append(entry)
    return {country: sorted(entries, key=lambda e: (-e["weighted_rating"], -e["votes"],
                                                    e["name"]))[:keep]
            for country, entries in by_country.items()}
