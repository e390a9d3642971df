"""The catalogue's own shape of a title, independent of where it came from.

Importers (TMDB, the Wikidata demo set, generated series) produce :class:`TitleRecord`; the
writer turns records into DynamoDB items, the search index and the rankings.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["film", "series"]
Source = Literal["tmdb", "wikidata", "generated", "upload"]


class Person(msgspec.Struct, frozen=True):
    name: str
    #: `director`, `actor`, `writer`, `creator`, `producer` or `composer`.
    role: str
    character: str | None = None
    #: Billing order for actors (0 = top billed); 0 for other roles.
    order: int = 0
    tmdb_id: int | None = None


class Episode(msgspec.Struct, frozen=True):
    number: int
    name: str
    overview: str = ""
    runtime: int | None = None
    air_date: str | None = None  # YYYY-MM-DD


class Season(msgspec.Struct, frozen=True):
    number: int  # 0 holds specials, as on TMDB
    name: str
    air_date: str | None = None
    episode_count: int = 0
    #: In episode-number order; may be empty when only the season summary is known.
    episodes: tuple[Episode, ...] = ()


class TitleRecord(msgspec.Struct, frozen=True):
    #: Stable catalogue id: `movie-<tmdb id>`, `tv-<tmdb id>`, `wd-<imdb id>` (Wikidata),
    #: `demo-<slug>`
    #: or `new-<hex>` (created by an uploader).
    id: str
    kind: Kind
    name: str
    source: Source
    original_name: str = ""
    year: int | None = None
    overview: str = ""
    genres: tuple[str, ...] = ()
    #: ISO 3166-1 alpha-2 codes, upper case (production countries / origin countries).
    countries: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()
    runtime: int | None = None  # minutes
    rating: float | None = None  # 0..10
    votes: int = 0
    popularity: float = 0.0
    #: TMDB image path such as `/abc.jpg` or an absolute URL; None shows a placeholder.
    poster_path: str | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None  # tt1234567
    #: Spoken languages, by English name, main one first.
    languages: tuple[str, ...] = ()
    seasons: tuple[Season, ...] = ()
    #: The source's maturity rating (MPAA, US TV), None when it gives none.
    maturity: str | None = None


def movie_id(tmdb_id: int) -> str:
    return f"movie-{tmdb_id}"


def series_id(tmdb_id: int) -> str:
    return f"tv-{tmdb_id}"
