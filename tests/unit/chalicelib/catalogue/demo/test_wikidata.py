"""The Wikidata films of bokeh-sampledata as catalogue records."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.catalogue.demo.titles import SeedReport
from chalicelib.catalogue.demo.wikidata import country_code, wikidata_records
from chalicelib.catalogue.titles.records import Person
from tests.unit.chalicelib.catalogue.demo.movies_db import movies_db


def test_rows_become_films_with_codes_people_and_the_critics_figures(tmp_path: Path) -> None:
    path = movies_db(tmp_path / "movies.db", [
        ("tt1", "  The   Co-production ", 1972, 175.0, "Sci-Fi, Drama, Sci-Fi",
         "Ann Director, Bo Director", "Al Actor, Zed Actor", "English, Italian",
         "Italy, United States, West Germany, Atlantis", 9.4, 153),
        ("tt2", "Unreviewed", 2001, None, "", None, "", "French", "France", None, 0),
        ("tt3", "", 2003, 90.0, "Drama", None, None, None, "France", 7.0, 10),
        ("tt1", "Listed twice", 1972, 175.0, "Drama", None, None, None, "Italy", 9.0, 99),
        ("tt4", "Most reviewed", 2012, 143.0, "Action", None, None, None, "Soviet Union",
         7.8, 388),
    ])
    report = SeedReport()

    films = list(wikidata_records(path, report))

    assert [f.id for f in films] == ["wd-tt4", "wd-tt1", "wd-tt2"]  # most reviewed first
    film = films[1]
    assert (film.name, film.year, film.runtime, film.source) == (
        "The Co-production", 1972, 175, "wikidata")
    assert film.genres == ("Science Fiction", "Drama")
    assert film.countries == ("IT", "US", "DE")
    assert film.languages == ("English", "Italian")
    assert film.people == (Person("Ann Director", "director"), Person("Bo Director", "director"),
                           Person("Al Actor", "actor", order=0),
                           Person("Zed Actor", "actor", order=1))
    assert (film.rating, film.votes, film.imdb_id) == (9.4, 153, "tt1")
    assert films[0].countries == ("RU",)
    unreviewed = films[2]
    assert (unreviewed.rating, unreviewed.votes, unreviewed.genres, unreviewed.people) == (
        None, 0, (), ())
    assert (report.rows, report.kept, report.duplicates) == (5, 3, 1)
    assert report.rejected == [(3, "no title")]
    assert report.unknown_countries == {"Atlantis": 1}


@pytest.mark.parametrize(("name", "code"), [
    ("United States", "US"), ("United Kingdom", "GB"), ("South Korea", "KR"),
    ("Czechoslovakia", "CZ"), ("British Hong Kong", "HK"), ("Nowhere Land", None)])
def test_country_names_resolve_to_todays_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_the_installed_data_set_loads_whole() -> None:
    report = SeedReport()
    films = {f.imdb_id: f for f in wikidata_records(report=report)}

    assert (report.rows, report.kept, report.duplicates, report.rejected) == (
        17_472, 17_470, 2, [])
    assert report.unknown_countries == {"Kosovo": 1}  # no ISO 3166 code
    godfather = films["tt0068646"]
    assert (godfather.name, godfather.year, godfather.countries) == (
        "The Godfather", 1972, ("IT", "US"))
    assert Person("Francis Ford Coppola", "director") in godfather.people
    assert "Al Pacino" in {p.name for p in godfather.people if p.role == "actor"}
    assert films["tt0211915"].name == "Amélie"  # text arrives as UTF-8, accents intact
    assert len({c for f in films.values() for c in f.countries}) >= 110
