"""Browse filters from a query string, checked before any table is touched.

Case never matters: `type=Film`, `genre=drama` and `country=fr` are `film`, Drama and FR.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.facets import genre_key
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import catalogued

_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    genre: str | None = None
    year: int | None = None
    country: str | None = None
    #: Only titles that can be played now (they have an encoded asset).
    available: bool = False

    @classmethod
    def parse(cls, kind: str | None, genre: str | None, year: str | None,
              country: str | None, available: str | None = None) -> Filters:
        if kind is not None:
            kind = kind.lower()
            if kind not in ("film", "series"):
                raise catalogued("bad_filter", name="type", problem="must be film or series")
        if genre is not None and not (0 < len(genre) <= 40 and genre_key(genre)):
            raise catalogued("bad_filter", name="genre",
                             problem="must be 1 to 40 characters with a letter or digit")
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
        if available is not None and available.lower() not in (*_YES, *_NO):
            raise catalogued("bad_filter", name="available", problem="must be 1 or 0")
        return cls(kind, genre, parsed_year, country,
                   available is not None and available.lower() in _YES)
