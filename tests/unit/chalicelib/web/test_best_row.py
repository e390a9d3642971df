"""The home page's "Best in <country>" row: the visitor's country, else the fallback's."""

from __future__ import annotations

from typing import Any, cast

import pytest

from chalicelib.openapi.responses import CountryRanking, TitleCard
from chalicelib.platform.errors import AppError, catalogued
from chalicelib.web.pages import FALLBACK_COUNTRY, Pages, PageServices


class Catalogue:
    """Rankings for the countries given; a 404 ``no_ranking`` for the others."""

    def __init__(self, ranked: dict[str, list[str]]) -> None:
        self.ranked = ranked

    def ranking(self, country: str, limit: int) -> CountryRanking:
        from chalicelib.catalogue.titles.countries import country_name

        name = country_name(country) or country
        if country not in self.ranked:
            raise catalogued("no_ranking", country_name=name, minimum=10)
        titles: list[Any] = [{"id": i} for i in self.ranked[country][:limit]]
        return {"country": country, "country_name": name, "titles": titles,
                "computed_at": "2026-12-05T00:00:00Z"}

    def cards(self, ids: list[str]) -> list[TitleCard]:
        return [cast(TitleCard, {"id": i, "name": f"Film {i}"}) for i in ids]


class Services:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue


def pages(ranked: dict[str, list[str]]) -> Pages:
    return Pages(cast(PageServices, Services(Catalogue(ranked))))


def test_a_country_with_a_ranking_shows_its_own() -> None:
    title, cards = pages({"FR": ["a", "b"], "US": ["u"]}).best_in("FR")
    assert title == "Best in France"
    assert [c["id"] for c in cards] == ["a", "b"]


def test_a_country_without_a_ranking_falls_back_and_says_so() -> None:
    title, cards = pages({FALLBACK_COUNTRY: ["u1", "u2"]}).best_in("TV")
    assert title == "Best in United States (not enough rated films from Tuvalu yet)"
    assert [c["id"] for c in cards] == ["u1", "u2"]


def test_no_ranking_at_all_is_an_error_for_the_row_to_leave_out() -> None:
    with pytest.raises(AppError) as missing:
        pages({}).best_in("TV")
    assert missing.value.code == "no_ranking"


def test_the_row_comes_from_a_rebuilt_ranking_as_cards(in_process: Any) -> None:
    """The real services: a rebuild ranks Niue, and the row shows its films as full cards,
    best first."""
    from chalicelib.catalogue.rankings import MIN_RATED_FILMS
    from chalicelib.catalogue.rebuild import CatalogueIndexer
    from chalicelib.catalogue.titles.records import TitleRecord
    from localcloud.isolation import unique

    films = [TitleRecord(id=unique("wd-nu-"), kind="film", name=f"Niue {n}", source="wikidata",
                         year=1990 + n, genres=("Drama",), countries=("NU",),
                         rating=5.0 + n / 4, votes=30) for n in range(MIN_RATED_FILMS)]
    in_process.catalogue_writer.upsert(films)
    bucket = unique("best-row-")
    in_process.resources.s3.create_bucket(Bucket=bucket)
    CatalogueIndexer(in_process.resources.s3, bucket, None).rebuild()

    title, cards = in_process.pages.best_in("NU")
    assert title == "Best in Niue"
    assert [c["name"] for c in cards] == [f"Niue {n}" for n in range(MIN_RATED_FILMS - 1, -1, -1)]
    assert all(c["genres"] == ["Drama"] and c["poster_url"] == f"/posters/{c['id']}.svg"
               for c in cards)
