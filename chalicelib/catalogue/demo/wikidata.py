"""Real films from Wikidata, as PyPI's `bokeh-sampledata` 2026.1 ships them (CC0).

`bokeh_sampledata/_data/movies.db` is SQLite with two tables joined on `ID`:
- `omdb`: 17,472 films with IMDb id, title, year, MPAA rating, runtime, genres, directors,
  cast, languages and production countries (names; co-productions list several);
- `tomatoes`: the Rotten Tomatoes critics' average rating (0-10) and review count.

Its IMDb rating and votes columns are empty in this CC0 release, so a film's rating and vote
count here are the critics' average and number of reviews (what the country rankings'
weighted rating needs); an IMDb or TMDB import replaces them with their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from chalicelib.catalogue.demo.titles import SeedReport
from chalicelib.catalogue.titles.records import Person, TitleRecord
from chalicelib.profiles import maturity

#: Country names pycountry does not resolve, mostly states that no longer exist, mapped to
#: the code a viewer there has today (rankings are "best in <your country>").
_COUNTRY_ALIASES = {
    "Russia": "RU", "Soviet Union": "RU", "Georgian SSR": "GE", "Turkey": "TR",
    "West Germany": "DE", "Czechoslovakia": "CZ", "Yugoslavia": "RS",
    "Federal Republic of Yugoslavia": "RS", "Socialist Federal Republic of Yugoslavia": "RS",
    "Serbia and Montenegro": "RS", "British Hong Kong": "HK", "Palestine": "PS",
    "Occupied Palestinian territory": "PS", "Democratic Republic of the Congo": "CD",
    "The Bahamas": "BS", "Kingdom of Great Britain": "GB", "Wales": "GB",
    "Taiwan Island": "TW", "Republic of China": "TW", "Kingdom of Italy": "IT",
    "Ivory Coast": "CI",
}
#: The data set's genre names, as the catalogue's (TMDB's) genre names.
_GENRES = {"Sci-Fi": "Science Fiction", "Musical": "Music"}
_QUERY = """
    SELECT o.ID, o.imdbID, o.Title, o.Year, o.Rating, o.Runtime, o.Genre, o.Director,
           o.Cast, o.Language, o.Country, t.Rating, t.Reviews
    FROM omdb AS o LEFT JOIN tomatoes AS t ON t.ID = o.ID
    ORDER BY o.ID
"""


def wikidata_movies() -> Path:
    """Where the installed `bokeh-sampledata` keeps movies.db."""
    spec = find_spec("bokeh_sampledata")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("bokeh-sampledata is not installed (`make setup` installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "_data" / "movies.db"


@lru_cache(maxsize=512)
def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country as the data set names it, or None."""
    if name in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[name]
    import pycountry

    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        return None


def _names(raw: Any) -> list[str]:
    """A comma-separated list of names, trimmed, blanks dropped, order and case kept."""
    if not isinstance(raw, str):
        return []
    return [" ".join(part.split()) for part in raw.split(",") if part.strip()]


def _genres(raw: Any) -> tuple[str, ...]:
    kept: list[str] = []
    for name in _names(raw):
        genre = _GENRES.get(name, name)
        if genre not in kept:
            kept.append(genre)
    return tuple(kept)


def _countries(raw: Any, report: SeedReport) -> tuple[str, ...]:
    codes: list[str] = []
    for name in _names(raw):
        code = country_code(name)
        if code is None:
            report.unknown_countries[name] = report.unknown_countries.get(name, 0) + 1
        elif code not in codes:
            codes.append(code)
    return tuple(codes)


def wikidata_id(imdb_id: str) -> str:
    return f"wd-{imdb_id}"


def wikidata_record(row: tuple[Any, ...], report: SeedReport) -> TitleRecord:
    """One joined row as a film; ValueError names what makes the row unusable."""
    (_, imdb_id, title, year, mpaa, runtime, genres, directors, cast, languages,
     countries, critics_rating, reviews) = row
    if not isinstance(title, str) or not title.strip():
        raise ValueError("no title")
    if not isinstance(imdb_id, str) or not imdb_id.startswith("tt"):
        raise ValueError("no IMDb id")
    name = " ".join(title.split())
    people = tuple(
        [Person(name=n, role="director") for n in _names(directors)]
        # the whole cast: the data set lists it alphabetically, not in billing order, so
        # no cut could keep the leads
        + [Person(name=n, role="actor", order=i) for i, n in enumerate(_names(cast))])
    votes = int(reviews) if isinstance(reviews, int | float) and reviews > 0 else 0
    rating = float(critics_rating) if votes and isinstance(critics_rating, int | float) \
        and 0 <= critics_rating <= 10 else None
    return TitleRecord(
        id=wikidata_id(imdb_id), kind="film", name=name, source="wikidata",
        original_name=name, year=int(year) if isinstance(year, int) and year > 0 else None,
        genres=_genres(genres), countries=_countries(countries, report), people=people,
        runtime=int(runtime) if isinstance(runtime, int | float) and runtime > 0 else None,
        rating=rating, votes=votes, popularity=round(votes / 10, 3), imdb_id=imdb_id,
        languages=tuple(_names(languages)), maturity=maturity.canonical(mpaa))


def wikidata_records(path: Path | None = None, report: SeedReport | None = None
                     ) -> Iterator[TitleRecord]:
    """Every usable film of movies.db (read-only), most reviewed first."""
    report = report if report is not None else SeedReport()
    source = path or wikidata_movies()
    if not source.exists():
        raise FileNotFoundError(f"{source} is missing; `make setup` installs bokeh-sampledata")
    connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        rows = connection.execute(_QUERY).fetchall()
    finally:
        connection.close()
    records: list[TitleRecord] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        report.rows += 1
        try:
            record = wikidata_record(row, report)
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if record.id in seen:
            report.duplicates += 1
            continue
        seen.add(record.id)
        report.kept += 1
        records.append(record)
    records.sort(key=lambda r: (-r.votes, r.id))
    yield from records
