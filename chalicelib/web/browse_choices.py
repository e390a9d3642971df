"""The browse page's genre and country lists: the catalogue's own, with their counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.facets import genre_key

if TYPE_CHECKING:
    from chalicelib.catalogue.titles.choices import Choice, FacetCounts
    from chalicelib.catalogue.titles.filters import Filters


def _options(choices: list[Choice], chosen: str | None, same: Any,
             label: str | None) -> list[dict[str, Any]]:
    """Options for a select; the chosen value stays listed even when not (yet) counted."""
    options = [{"value": c.value, "label": c.label, "count": c.count,
                "selected": chosen is not None and same(c.value) == same(chosen)}
               for c in choices]
    if chosen is not None and not any(o["selected"] for o in options):
        options.insert(0, {"value": chosen, "label": label or chosen, "count": None,
                           "selected": True})
    return options


def filter_choices(counts: FacetCounts, filters: Filters) -> dict[str, list[dict[str, Any]]]:
    return {
        "genres": _options(counts.genre_choices(), filters.genre, genre_key, None),
        "countries": _options(counts.country_choices(), filters.country, str.upper,
                              country_name(filters.country) if filters.country else None),
    }
