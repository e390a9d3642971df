"""Pure catalogue rules: words, facets, filters, weighted ratings, fetch state, demo rows."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.catalogue.demo.titles import demo_series
from chalicelib.catalogue.importing.fetch_state import FetchState, day_number
from chalicelib.catalogue.rankings import RatedFilm, best_by_country, mean_vote, weighted_rating
from chalicelib.catalogue.titles.browse_plan import candidate_facets, smallest_facet
from chalicelib.catalogue.titles.choices import FacetCounts
from chalicelib.catalogue.titles.facets import facet_names, rank_key
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.posters import (
    PLACEHOLDER_PATH,
    TMDB_IMAGES,
    placeholder_svg,
    poster_url,
)
from chalicelib.catalogue.titles.text import index_words, normalized, title_year_key, words
from chalicelib.platform.errors import AppError


def test_words_fold_case_and_accents_and_join_apostrophes() -> None:
    assert words("Le Fabuleux Destin d'Amélie Poulain") == [
        "le", "fabuleux", "destin", "d", "amelie", "poulain"]
    assert index_words("Schindler\u2019s List") == ["schindler", "s", "list", "schindlers"]
    assert words("SPIDER-MAN: Into the Spider-Verse") == [
        "spider", "man", "into", "the", "spider", "verse"]
    assert words("Straße ÆON Crème Brûlée") == ["strasse", "æon", "creme", "brulee"]
    assert words("  ...  ") == []
    assert normalized("  The   GODFATHER ") == "the godfather"
    assert title_year_key("Amélie", 2001) == "amelie#2001"
    assert title_year_key("Amélie", None) == "amelie#"


def test_facets_cover_type_genres_year_countries_and_sort_popular_first() -> None:
    names = facet_names("film", ["Science Fiction", "Drama", "Drama"], 1999, ["US", "GB"])
    assert names == ["all", "type#film", "genre#science-fiction", "genre#drama", "year#1999",
                     "country#US", "country#GB"]
    assert facet_names("series", [], None, []) == ["all", "type#series"]
    ranks = sorted([rank_key(3.5, "b"), rank_key(900.0, "a"), rank_key(0, "c"),
                    rank_key(3.5, "a")])
    assert [r.split("#")[1] for r in ranks] == ["a", "a", "b", "c"]
    assert ranks[0] == rank_key(900.0, "a")


def test_the_smallest_counted_partition_is_read_and_uncounted_ones_keep_an_order() -> None:
    filters = Filters("film", "Drama", 1999, "US", available=True)
    candidates = candidate_facets(filters)
    assert candidates == ["playable", "year#1999", "country#US", "genre#drama", "type#film"]
    assert smallest_facet(candidates, FacetCounts()) == "playable"  # nothing counted yet
    counts = FacetCounts(genres={"drama": {"Drama": 40, "drama": 2}}, countries={"US": 90},
                         years={1999: 300}, kinds={"film": 900}, playable=50, titles=1000,
                         computed_at="2026-12-05T00:00:00Z")
    assert smallest_facet(candidates, counts) == "genre#drama"  # 42 titles
    assert counts.size("genre#drama") == 42 and counts.size("all") == 1000
    assert counts.size("genre#western") == 0 and counts.size("year#2001") == 0
    assert smallest_facet(candidate_facets(Filters(kind="film", country="US")),
                          counts) == "country#US"
    assert candidate_facets(Filters()) == ["all"]
    assert candidate_facets(Filters(genre="Science Fiction")) == ["genre#science-fiction"]


@pytest.mark.parametrize(("args", "field"), [
    (("movie", None, None, None), "type"),
    ((None, "x" * 41, None, None), "genre"),
    ((None, None, "19x9", None), "year"),
    ((None, None, "1700", None), "year"),
    ((None, None, None, "XX"), "country"),
    ((None, None, None, "USA"), "country"),
    ((None, "--", None, None), "genre"),
    ((None, None, None, None, "maybe"), "available"),
])
def test_bad_filters_are_400_naming_the_filter(args: tuple[str | None, ...],
                                               field: str) -> None:
    with pytest.raises(AppError) as caught:
        Filters.parse(*args)
    assert caught.value.status == 400
    assert caught.value.message.startswith(field)


def test_good_filters_are_normalised() -> None:
    assert Filters.parse("film", "Drama", "1999", "fr") == Filters("film", "Drama", 1999, "FR")
    assert Filters.parse("Film", "drama", None, None, "1") == Filters(
        "film", "drama", None, None, available=True)
    assert Filters.parse(None, None, None, None, "0").available is False
    assert Filters.parse(None, None, None, None).available is False


def test_weighted_rating_matches_imdbs_formula() -> None:
    # WR = v/(v+m)·R + m/(v+m)·C with v=3000, m=1000, R=8.0, C=6.0: 0.75·8 + 0.25·6 = 7.5
    assert weighted_rating(8.0, 3000, 1000, 6.0) == pytest.approx(7.5)
    assert weighted_rating(10.0, 0, 1000, 6.0) == pytest.approx(6.0)
    assert weighted_rating(7.0, 10, 0, 6.0) == pytest.approx(7.0)
    assert weighted_rating(7.0, 0, 0, 6.0) == 6.0


def test_best_by_country_orders_by_weighted_rating_not_raw_rating() -> None:
    films = [RatedFilm("few", "Few Votes", 2001, None, 9.8, 12, ("NZ",)),
             RatedFilm("many", "Many Votes", 2002, "tt0000002", 8.6, 900_000, ("NZ", "AU")),
             RatedFilm("mid", "Middle", 2003, None, 7.9, 40_000, ("NZ",))]
    mean = mean_vote(films)
    assert mean == pytest.approx((9.8 + 8.6 + 7.9) / 3)
    assert mean is not None
    ranked = best_by_country(films, 25_000, 6.9)
    assert [e["id"] for e in ranked["NZ"]] == ["many", "mid", "few"]
    assert ranked["NZ"][0]["weighted_rating"] == pytest.approx(
        round(900_000 / 925_000 * 8.6 + 25_000 / 925_000 * 6.9, 4))
    assert ranked["NZ"][2]["weighted_rating"] == pytest.approx(
        round(12 / 25_012 * 9.8 + 25_000 / 25_012 * 6.9, 4))
    assert [e["id"] for e in ranked["AU"]] == ["many"]
    assert mean_vote([]) is None


def test_fetch_state_marks_days_and_finds_new_and_stale_ids() -> None:
    state = FetchState()
    today = day_number(date(2026, 11, 23))
    assert state.needs(550, today, 30)
    state.mark(550, today - 31)
    state.mark(13, today - 2)
    assert state.needs(550, today, 30)  # stale
    assert not state.needs(13, today, 30)
    assert state.needs(14, today, 30)  # never fetched
    assert state.needs(10**6, today, 30)  # beyond the array
    again = FetchState.from_bytes(state.to_bytes())
    assert again.fetched_on(13) == today - 2 and len(again) == 2
    state.mark(-1, today)  # ignored, not an index from the end
    assert state.fetched_on(-1) == 0


def test_demo_series_have_ordered_seasons_and_episodes() -> None:
    series = demo_series()
    assert {s.kind for s in series} == {"series"}
    for show in series:
        assert [s.number for s in show.seasons] == sorted(s.number for s in show.seasons)
        for season in show.seasons:
            assert [e.number for e in season.episodes] == list(
                range(1, season.episode_count + 1))


def test_poster_urls_and_placeholder() -> None:
    assert poster_url(None, TMDB_IMAGES, "movie-1") == "/posters/movie-1.svg" != PLACEHOLDER_PATH
    assert poster_url("/abc.jpg", TMDB_IMAGES, "movie-1") == (
        "https://image.tmdb.org/t/p/w342/abc.jpg")
    assert poster_url("https://cdn.example/p.jpg", TMDB_IMAGES, "movie-1") == (
        "https://cdn.example/p.jpg")
    svg = placeholder_svg("<Tom & Jerry>")
    assert svg.startswith("<svg") and "&lt;Tom &amp; Jerry&gt;" in svg


def test_every_catalogued_message_formats() -> None:
    import string

    from chalicelib.platform.messages import MESSAGES, message

    for code, (_, text) in MESSAGES.items():
        fields = {name: "x" for _, name, _, _ in string.Formatter().parse(text) if name}
        status, rendered = message(code, **fields)
        assert 400 <= status < 600 and "{" not in rendered.replace('{"', ""), code


def test_unicode_digits_are_a_400_not_a_500() -> None:
    from chalicelib.catalogue.importing.imdb_csv import CsvProblem, parse
    from chalicelib.platform.http import page_size

    for bad in ("²", "٣", "1²"):
        with pytest.raises(AppError) as caught:
            page_size(bad)
        assert caught.value.status == 400
        with pytest.raises(AppError) as caught:
            Filters.parse(None, None, bad, None)
        assert caught.value.status == 400
        with pytest.raises(CsvProblem, match="Your Rating"):
            parse(f"Const,Title,Your Rating\ntt0111161,X,{bad}\n")
