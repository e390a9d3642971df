"""What the browse filters can choose from: the catalogue's own genres, countries, years and
types, with how many titles each holds.

Counted by a catalogue rebuild from the browse index's `all` partition (which it reads
anyway) and stored as one small JSON object in the data bucket, so listing the choices or
sizing a partition never scans anything on a request. The counts are as of the last rebuild:
they size partitions and label choices; pages themselves always read the live index.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.facets import PLAYABLE_FACET, genre_key
from chalicelib.catalogue.titles.models import FacetModel, str_list

FACETS_KEY = "browse/facets.json"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class FacetCounts:
    """Titles per genre key (with each spelling met), country, year and type."""

    genres: dict[str, dict[str, int]] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    playable: int = 0
    titles: int = 0
    computed_at: str | None = None

    @property
    def known(self) -> bool:
        """False until a rebuild has counted the catalogue."""
        return self.computed_at is not None

    def size(self, facet: str) -> int | None:
        """How many titles a browse partition holds; None when not counted."""
        if not self.known:
            return None
        kind, _, value = facet.partition("#")
        if facet == "all":
            return self.titles
        if facet == PLAYABLE_FACET:
            return self.playable
        if kind == "genre":
            return sum(self.genres.get(value, {}).values())
        if kind == "country":
            return self.countries.get(value, 0)
        if kind == "year":
            return self.years.get(int(value), 0) if value.isdigit() else 0
        if kind == "type":
            return self.kinds.get(value, 0)
        return None

    def genre_spellings(self, genre: str) -> list[str]:
        """Every spelling of this genre the titles carry (case aside, "drama" is "Drama")."""
        return sorted(self.genres.get(genre_key(genre), {}))

    def genre_choices(self) -> list[Choice]:
        """One choice per genre, labelled by its commonest spelling, by name."""
        found = [Choice(_commonest(names), _commonest(names), sum(names.values()))
                 for names in self.genres.values() if names]
        return sorted(found, key=lambda c: c.label.casefold())

    def country_choices(self) -> list[Choice]:
        """One choice per country code, labelled by its English name, by name."""
        found = [Choice(code, country_name(code) or code, count)
                 for code, count in self.countries.items()]
        return sorted(found, key=lambda c: c.label.casefold())

    def to_json(self) -> bytes:
        return json.dumps({"genres": self.genres, "countries": self.countries,
                           "years": {str(y): n for y, n in self.years.items()},
                           "kinds": self.kinds, "playable": self.playable,
                           "titles": self.titles, "computed_at": self.computed_at},
                          sort_keys=True).encode()

    @classmethod
    def from_json(cls, body: bytes) -> FacetCounts:
        data: dict[str, Any] = json.loads(body)
        return cls(genres={k: {str(n): int(c) for n, c in v.items()}
                           for k, v in data.get("genres", {}).items()},
                   countries={str(k): int(v) for k, v in data.get("countries", {}).items()},
                   years={int(k): int(v) for k, v in data.get("years", {}).items()},
                   kinds={str(k): int(v) for k, v in data.get("kinds", {}).items()},
                   playable=int(data.get("playable", 0)), titles=int(data.get("titles", 0)),
                   computed_at=data.get("computed_at"))


def _commonest(spellings: dict[str, int]) -> str:
    return max(spellings, key=lambda name: (spellings[name], name))


class FacetCounter:
    """Counts the `all` partition's items as a rebuild reads them."""

    def __init__(self) -> None:
        self.genres: dict[str, Counter[str]] = defaultdict(Counter)
        self.countries: Counter[str] = Counter()
        self.years: Counter[int] = Counter()
        self.kinds: Counter[str] = Counter()
        self.playable = 0
        self.titles = 0

    def add(self, item: FacetModel) -> None:
        self.titles += 1
        self.kinds[item.kind] += 1
        self.playable += bool(item.playable)
        if item.year is not None:
            self.years[int(item.year)] += 1
        for genre in dict.fromkeys(str_list(item.genres)):
            if genre_key(genre):
                self.genres[genre_key(genre)][genre] += 1
        self.countries.update(dict.fromkeys(str_list(item.countries), 1))

    def counts(self, computed_at: str) -> FacetCounts:
        return FacetCounts({k: dict(v) for k, v in self.genres.items()}, dict(self.countries),
                           dict(self.years), dict(self.kinds), self.playable, self.titles,
                           computed_at)
