"""The demo catalogue's generated series, and the report of a seed."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.catalogue.titles.records import Episode, Person, Season, TitleRecord


@dataclass
class SeedReport:
    rows: int = 0
    kept: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    #: Country names no ISO code was found for, with how many rows named them.
    unknown_countries: dict[str, int] = field(default_factory=dict)


_SERIES = (
    ("demo-harbour-lights", "Harbour Lights", 2019, ("Drama", "Crime"), ("GB",), 3, 6, "TV-PG",
     "A harbour town's night ferry crew keeps everyone's secrets but their own."),
    ("demo-orbit-kitchen", "Orbit Kitchen", 2021, ("Comedy",), ("US",), 2, 8, "TV-PG",
     "Cooks on a space station improvise dinner for the crew with whatever docks that week."),
    ("demo-les-cartographes", "Les Cartographes", 2018, ("Documentary",), ("FR",), 2, 5, "TV-G",
     "Mapmakers retrace the routes of the great surveys, on foot."),
    ("demo-yoru-no-kissaten", "Yoru no Kissaten", 2022, ("Drama", "Romance"), ("JP",), 1, 10,
     "TV-14",
     "A Tokyo coffee shop that opens only after midnight, and its regulars."),
)


def demo_series() -> list[TitleRecord]:
    """Generated series with seasons and ordered episodes (clearly fictional)."""
    records = []
    for slug, name, year, genres, countries, seasons, episodes, rated, overview in _SERIES:
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
            seasons=season_list, maturity=rated))
    return records
