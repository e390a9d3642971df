"""The demo catalogue: real films from vega-datasets' movies.json plus a few generated series.

movies.json (installed by npm at set-up) has 3,201 films with release date, genre, director,
running time and IMDb rating and votes, and dirty rows: numeric titles (films called "300"
or "1776"), a missing title, missing dates or ratings. It has no IMDb ids and no countries,
so its films are matched by title and year and are absent from country rankings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.catalogue.titles.records import Episode, Person, Season, TitleRecord

ROOT = Path(__file__).resolve().parents[3]
VEGA_MOVIES = ROOT / "node_modules" / "vega-datasets" / "data" / "movies.json"
#: vega's "Major Genre" values, as the catalogue's genre names.
_GENRES = {"Thriller/Suspense": ("Thriller",), "Romantic Comedy": ("Romance", "Comedy"),
           "Black Comedy": ("Comedy",), "Concert/Performance": ("Music", "Documentary"),
           "Musical": ("Music",)}


@dataclass
class SeedReport:
    rows: int = 0
    kept: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    #: Country names no ISO code was found for, with how many rows named them.
    unknown_countries: dict[str, int] = field(default_factory=dict)


def vega_id(name: str, year: int | None) -> str:
    digest = hashlib.sha1(f"{name}|{year}".encode(), usedforsecurity=False).hexdigest()
    return f"vega-{digest[:12]}"


def _year(raw: Any) -> int | None:
    if not isinstance(raw, str):
        return None
    for pattern in ("%b %d %Y", "%Y-%m-%d", "%d-%b-%y"):
        try:
            return datetime.strptime(raw.strip(), pattern).year
        except ValueError:
            continue
    return None


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def vega_record(row: dict[str, Any]) -> TitleRecord:
    """One movies.json row as a film; ValueError names what makes the row unusable."""
    title = row.get("Title")
    if isinstance(title, int | float) and not isinstance(title, bool):
        title = str(int(title)) if float(title).is_integer() else str(title)
    if not isinstance(title, str) or not title.strip():
        raise ValueError("no title")
    name = " ".join(title.split())
    year = _year(row.get("Release Date"))
    rating = _number(row.get("IMDB Rating"))
    votes = _number(row.get("IMDB Votes"))
    if rating is not None and not 0 <= rating <= 10:
        rating = None
    runtime = _number(row.get("Running Time min"))
    genre = row.get("Major Genre")
    genres = _GENRES.get(genre, (genre,)) if isinstance(genre, str) and genre else ()
    director = row.get("Director")
    people = ((Person(name=director, role="director"),)
              if isinstance(director, str) and director.strip() else ())
    vote_count = int(votes) if votes and votes > 0 else 0
    return TitleRecord(
        id=vega_id(name, year), kind="film", name=name, source="vega", original_name=name,
        year=year, genres=tuple(genres), people=people,
        runtime=int(runtime) if runtime and runtime > 0 else None,
        rating=rating if vote_count else None, votes=vote_count,
        popularity=round(vote_count / 1000, 3))


def vega_records(path: Path = VEGA_MOVIES, report: SeedReport | None = None
                 ) -> Iterator[TitleRecord]:
    report = report if report is not None else SeedReport()
    rows = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise ValueError(f"{path} does not hold a list of films")
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        report.rows += 1
        if not isinstance(row, dict):
            report.rejected.append((number, "not an object"))
            continue
        try:
            record = vega_record(row)
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if record.id in seen:
            report.duplicates += 1
            continue
        seen.add(record.id)
        report.kept += 1
        yield record


_SERIES = (
    ("demo-harbour-lights", "Harbour Lights", 2019, ("Drama", "Crime"), ("GB",), 3, 6,
     "A harbour town's night ferry crew keeps everyone's secrets but their own."),
    ("demo-orbit-kitchen", "Orbit Kitchen", 2021, ("Comedy",), ("US",), 2, 8,
     "Cooks on a space station improvise dinner for the crew with whatever docks that week."),
    ("demo-les-cartographes", "Les Cartographes", 2018, ("Documentary",), ("FR",), 2, 5,
     "Mapmakers retrace the routes of the great surveys, on foot."),
    ("demo-yoru-no-kissaten", "Yoru no Kissaten", 2022, ("Drama", "Romance"), ("JP",), 1, 10,
     "A Tokyo coffee shop that opens only after midnight, and its regulars."),
)


def demo_series() -> list[TitleRecord]:
    """Generated series with seasons and ordered episodes (clearly fictional)."""
    records = []
    for slug, name, year, genres, countries, seasons, episodes, overview in _SERIES:
        season_list = tuple(
            Season(number=s, name=f"Season {s}", air_date=f"{year + s - 1}-09-01",
                   episode_count=episodes,
                   episodes=tuple(Episode(number=e, name=f"{name} {s}x{e:02d}",
                                          overview=f"Episode {e} of season {s}.",
                                          runtime=42,
                                          air_date=f"{year + s - 1}-09-{e:02d}")
                                  for e in range(1, episodes + 1)))
            for s in range(1, seasons + 1))
        records.append(TitleRecord(
            id=slug, kind="series", name=name, source="generated", original_name=name,
            year=year, overview=overview, genres=genres, countries=countries,
            people=(Person(name="Notflix Originals", role="creator"),), runtime=42,
            seasons=season_list))
    return records
