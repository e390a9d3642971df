"""Which browse partition a filter combination reads, and what it filters there.

Every filter names a partition of the browse index (`year#1994`, `country#FR`,
`genre#drama`, `type#film`, `playable`); the one holding the fewest titles (by the rebuild's
counts) is queried and the other filters are applied to its items. Genre matching ignores
case: the partition key is the folded genre, and within another partition an item matches
when its genre list holds any spelling of the genre the catalogue uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from chalicelib.catalogue.titles.choices import FacetCounts
from chalicelib.catalogue.titles.facets import PLAYABLE_FACET, genre_key
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.models import FacetModel


@dataclass(frozen=True)
class Plan:
    facet: str
    condition: Condition | None


def candidate_facets(filters: Filters) -> list[str]:
    """The partitions that hold every match, in the order preferred when none is counted."""
    names: list[str] = []
    if filters.available:
        names.append(PLAYABLE_FACET)
    if filters.year is not None:
        names.append(f"year#{filters.year}")
    if filters.country:
        names.append(f"country#{filters.country}")
    if filters.genre:
        names.append(f"genre#{genre_key(filters.genre)}")
    if filters.kind:
        names.append(f"type#{filters.kind}")
    return names or ["all"]


def smallest_facet(candidates: list[str], counts: FacetCounts) -> str:
    def size(pair: tuple[int, str]) -> tuple[float, int]:
        found = counts.size(pair[1])
        return (float("inf") if found is None else found, pair[0])

    return min(enumerate(candidates), key=size)[1]


def _any_of(parts: list[Condition]) -> Condition:
    condition = parts[0]
    for part in parts[1:]:
        condition = condition | part
    return condition


def plan(filters: Filters, facet: str, genre_spellings: Callable[[str], list[str]]) -> Plan:
    """The condition for the filters ``facet`` does not already apply."""
    parts: list[Condition] = []
    if filters.available and facet != PLAYABLE_FACET:
        parts.append(FacetModel.playable == True)  # noqa: E712 (a condition, not a comparison)
    if filters.kind and facet != f"type#{filters.kind}":
        parts.append(FacetModel.kind == filters.kind)
    if filters.genre and facet != f"genre#{genre_key(filters.genre)}":
        spellings = genre_spellings(filters.genre)
        parts.append(_any_of([FacetModel.genres.contains(g) for g in spellings]))
    if filters.year is not None and facet != f"year#{filters.year}":
        parts.append(FacetModel.year == filters.year)
    if filters.country and facet != f"country#{filters.country}":
        parts.append(FacetModel.countries.contains(filters.country))
    condition: Condition | None = None
    for part in parts:
        condition = part if condition is None else condition & part
    return Plan(facet, condition)
