"""Browse filters from a query string, checked before any table is touched."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.catalogue.titles.countries import country_name
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import catalogued


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    genre: str | None = None
    year: int | None = None
    country: str | None = None

    @classmethod
    def parse(cls, kind: str | None, genre: str | None, year: str | None,
              country: str | None) -> Filters:
        if kind is not None and kind not in ("film", "series"):
            raise catalogued("bad_filter", name="type", problem="must be film or series")
        if genre is not None and not 0 < len(genre) <= 40:
            raise catalogued("bad_filter", name="genre", problem="must be 1 to 40 characters")
        parsed_year = None
        if year is not None:
            if not is_whole_number(year) or not 1870 <= int(year) <= 2100:
                raise catalogued("bad_filter", name="year", problem="must be a year like 1999")
            parsed_year = int(year)
        if country is not None:
            if country_name(country) is None:
                raise catalogued("bad_filter", name="country",
                                 problem="must be a two-letter ISO country code such as FR")
            country = country.upper()
        return cls(kind, genre, parsed_year, country)

