"""Best films per country by IMDb's weighted rating.

WR = v/(v+m)·R + m/(v+m)·C, where R is a film's mean rating, v its number of votes, m the
votes at which a film's own rating and the prior weigh the same, and C the prior: the mean
rating across the catalogue. A film with few votes is pulled towards C, so a 10/10 from three
people does not beat a classic rated 9.2 by hundreds.

Scales. A film's R and v come from one of two scales that must not be mixed in one ranking:

- ``critics``: the demo catalogue (Wikidata, ``source == "wikidata"``) carries Rotten
  Tomatoes critics' average rating (0-10) and their number of reviews. Review counts are
  small: among the 17,125 rated films of the 17,470, the median is 24 reviews, the 90th
  percentile 132 and the most 388.
- ``audience``: TMDB imports carry TMDB users' vote average and vote count (IMDb's scale:
  thousands to millions of votes); any other source is read as this scale.

m = 1000 suits audience votes but would drown every critics' rating in C (a film with 24
reviews would keep 2% of its own rating). So each scale gets its own m and C, computed from
the catalogue at every rebuild unless configured:

- m defaults to the **median** (50th percentile) vote count of the scale's rated films: the
  typical film weighs its own rating and the prior equally. On the critics' scale that is
  m = 24 reviews. A high percentile (IMDb's Top 250 style, the 90th: 132 reviews) ranks
  recency rather than quality here: Rotten Tomatoes' reviewers rarely covered old films
  (Citizen Kane has 132 reviews, The 400 Blows 72, Tokyo Story 52), so m = 132 drops Tokyo
  Story and Rashomon below Lost in Translation and Children of Men in Japan's list, while the
  median keeps the classics on top and still puts Seven Samurai (9.6 from 103 reviews) far
  above a documentary rated 10 by 5 critics (WR 8.92 against 6.70).
  ``NOTFLIX_RANKING_MIN_VOTES_PERCENTILE`` moves the percentile, ``NOTFLIX_RANKING_MIN_VOTES``
  fixes m for every scale.
- C defaults to the **plain mean** of the scale's film ratings: 6.02 on the critics' scale
  (the vote-weighted mean, 6.23, is pulled up by the heavily reviewed recent hits, which
  would make the prior of an obscure film too generous). ``NOTFLIX_RANKING_MEAN`` fixes C.

A country's ranking uses the scale most of its rated films are on (ties: critics, the demo
catalogue's); films on the other scale are left out of that country's list. A co-production
counts for each of its countries. A country is ranked once it has at least
:data:`MIN_RATED_FILMS` rated films on that scale; fewer get no ranking (a 404 saying so).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chalicelib.openapi.responses import RankedTitle

#: How many films are kept per country (the API's largest `limit`).
KEPT_PER_COUNTRY = 100
#: Fewer rated films than this and a country has no ranking ("best 10" needs 10).
MIN_RATED_FILMS = 10
#: The default percentile of a scale's vote counts that becomes its m (see the docstring).
DEFAULT_MIN_VOTES_PERCENTILE = 50.0
CRITICS = "critics"
AUDIENCE = "audience"
_SCALE_OF_SOURCE = {"wikidata": CRITICS}


def rating_scale(source: str | None) -> str:
    """Which scale a title's rating and votes are on, from where the title came from."""
    return _SCALE_OF_SOURCE.get(source or "", AUDIENCE)


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
    scale: str = AUDIENCE


@dataclass(frozen=True)
class Prior:
    """A scale's m and C."""

    min_votes: int
    mean: float


@dataclass(frozen=True)
class Ranking:
    scale: str
    prior: Prior
    entries: list[RankedTitle]


def weighted_rating(rating: float, votes: int, min_votes: int, mean: float) -> float:
    total = votes + min_votes
    if total == 0:
        return mean
    return votes / total * rating + min_votes / total * mean


def mean_vote(films: Iterable[RatedFilm]) -> float | None:
    ratings = [f.rating for f in films]
    return sum(ratings) / len(ratings) if ratings else None


def percentile(values: Sequence[int], percent: float) -> int:
    """The nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def priors(films: Sequence[RatedFilm], min_votes: int | None = None,
           min_votes_percentile: float = DEFAULT_MIN_VOTES_PERCENTILE,
           mean: float | None = None) -> dict[str, Prior]:
    """Each scale's m and C: the configured values, else derived from its films."""
    by_scale: dict[str, list[RatedFilm]] = defaultdict(list)
    for film in films:
        by_scale[film.scale].append(film)
    return {scale: Prior(
        min_votes if min_votes is not None
        else percentile([f.votes for f in rated], min_votes_percentile),
        mean if mean is not None else mean_vote(rated) or 0.0)
        for scale, rated in by_scale.items()}


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


def country_scales(films: Iterable[RatedFilm]) -> dict[str, tuple[str, int]]:
    """Each country's scale (the one most of its rated films are on) and how many it has."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for film in films:
        for country in film.countries:
            counts[country][film.scale] += 1
    return {country: max(((scale, n) for scale, n in tally.items()),
                         key=lambda pair: (pair[1], pair[0] == CRITICS))
            for country, tally in counts.items()}


def rank_countries(films: Sequence[RatedFilm], scale_priors: dict[str, Prior],
                   keep: int = KEPT_PER_COUNTRY,
                   minimum: int = MIN_RATED_FILMS) -> dict[str, Ranking]:
    """The ranking of every country with at least ``minimum`` rated films on its scale."""
    chosen = {country: scale for country, (scale, count) in country_scales(films).items()
              if count >= minimum}
    rankings: dict[str, Ranking] = {}
    for scale, prior in scale_priors.items():
        ranked = best_by_country([f for f in films if f.scale == scale], prior.min_votes,
                                 prior.mean, keep)
        rankings.update({country: Ranking(scale, prior, entries)
                         for country, entries in ranked.items() if chosen.get(country) == scale})
    return rankings
