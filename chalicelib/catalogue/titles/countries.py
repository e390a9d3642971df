"""ISO 3166-1 alpha-2 country codes (pycountry's copy of the standard)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=512)
def country_name(code: str) -> str | None:
    """The English short name of a two-letter code, or None when it is not a country code."""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    return str(country.name) if country is not None else None
