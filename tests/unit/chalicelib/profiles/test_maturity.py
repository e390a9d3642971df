"""One scale for films' and series' ratings, and what a ceiling lets through."""

from __future__ import annotations

import pytest

from chalicelib.profiles import maturity


@pytest.mark.parametrize(("raw", "name"), [
    ("PG-13", "PG-13"), (" pg ", "PG"), ("GP", "PG"), ("M/PG", "PG"), ("X", "NC-17"),
    ("TV-Y7", "TV-Y7"), ("Unrated", None), ("", None), (None, None), (13, None)])
def test_data_sets_spellings_land_on_the_scale(raw: object, name: str | None) -> None:
    assert maturity.canonical(raw) == name


def test_films_and_series_share_the_levels() -> None:
    levels = maturity.LEVELS
    assert levels["G"] == levels["TV-G"] < levels["TV-Y7"]
    assert levels["PG"] == levels["TV-PG"] < levels["PG-13"]
    assert levels["R"] == levels["TV-MA"] < levels["NC-17"]


def test_a_ceiling_lets_through_what_is_at_or_under_it_and_never_the_unrated() -> None:
    pg = maturity.level("PG")
    assert maturity.allowed(maturity.level("G"), pg)
    assert maturity.allowed(maturity.level("TV-PG"), pg)
    assert not maturity.allowed(maturity.level("PG-13"), pg)
    assert not maturity.allowed(None, pg)  # unrated: hidden until an admin rates it
    assert maturity.allowed(None, None) and maturity.allowed(maturity.level("NC-17"), None)
