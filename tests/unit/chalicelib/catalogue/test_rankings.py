"""Country rankings: the real demo catalogue ranks the big film countries, each scale keeps
its own m and C, and a country needs enough rated films."""

from __future__ import annotations

import statistics
from functools import cache
from itertools import pairwise

import pytest

from chalicelib.catalogue.demo.wikidata import wikidata_records
from chalicelib.catalogue.rankings import (
    AUDIENCE,
    CRITICS,
    MIN_RATED_FILMS,
    Prior,
    RatedFilm,
    percentile,
    priors,
    rank_countries,
    rating_scale,
    weighted_rating,
)
from chalicelib.catalogue.rebuild import CatalogueIndexer
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique


@cache
def demo_films() -> tuple[RatedFilm, ...]:
    """Every rated film of the real Wikidata catalogue, as a rebuild reads it."""
    return tuple(RatedFilm(r.id, r.name, r.year, r.imdb_id, r.rating, r.votes, r.countries,
                           scale=rating_scale(r.source))
                 for r in wikidata_records() if r.rating is not None and r.votes > 0)


def test_the_demo_catalogue_is_on_the_critics_scale_with_m_its_median_review_count() -> None:
    films = demo_films()
    assert len(films) > 17_000
    found = priors(films)
    assert set(found) == {CRITICS}
    votes = [f.votes for f in films]
    assert found[CRITICS].min_votes == statistics.median_low(votes)
    assert found[CRITICS].min_votes < 100  # not IMDb's scale: a critics' review count
    assert found[CRITICS].mean == pytest.approx(statistics.fmean(f.rating for f in films))


@pytest.mark.parametrize("country", ["FR", "US", "GB", "JP", "IN", "DE"])
def test_the_big_film_countries_have_ten_films_ordered_by_weighted_rating(country: str) -> None:
    films = demo_films()
    scale_priors = priors(films)
    top = rank_countries(films, scale_priors)[country].entries[:10]
    assert len(top) == 10
    prior = scale_priors[CRITICS]
    by_id = {f.id: f for f in films}
    for entry in top:
        film = by_id[entry["id"]]
        assert country in film.countries
        assert entry["weighted_rating"] == round(
            weighted_rating(film.rating, film.votes, prior.min_votes, prior.mean), 4)
    keys = [(-e["weighted_rating"], -e["votes"], e["name"]) for e in top]
    assert all(a < b for a, b in pairwise(keys))  # strictly, ties broken
    # nothing of the country's outside the ten ranks above the tenth
    tenth = top[-1]["weighted_rating"]
    rest = [weighted_rating(f.rating, f.votes, prior.min_votes, prior.mean)
            for f in films if country in f.countries and f.id not in {e["id"] for e in top}]
    assert max(rest) <= tenth + 5e-5


def test_a_co_production_counts_for_each_of_its_countries() -> None:
    films = [RatedFilm(f"f{n}", f"Film {n}", 2000, None, 6.0, 10, ("FR",), scale=CRITICS)
             for n in range(MIN_RATED_FILMS)]
    films += [RatedFilm(f"d{n}", f"Film {n}", 2000, None, 6.0, 10, ("DE",), scale=CRITICS)
              for n in range(MIN_RATED_FILMS)]
    both = RatedFilm("co", "Together", 2001, None, 9.0, 50, ("FR", "DE"), scale=CRITICS)
    ranked = rank_countries([*films, both], {CRITICS: Prior(10, 6.0)})
    assert ranked["FR"].entries[0]["id"] == "co" and ranked["DE"].entries[0]["id"] == "co"


def test_a_country_with_too_few_rated_films_has_no_ranking() -> None:
    films = [RatedFilm(f"f{n}", f"Film {n}", 2000, None, 7.0, 10, ("TV",), scale=CRITICS)
             for n in range(MIN_RATED_FILMS - 1)]
    films += [RatedFilm(f"k{n}", f"Film {n}", 2000, None, 7.0, 10, ("KI",), scale=CRITICS)
              for n in range(MIN_RATED_FILMS)]
    ranked = rank_countries(films, priors(films))
    assert "TV" not in ranked
    assert len(ranked["KI"].entries) == MIN_RATED_FILMS


def test_scales_are_not_mixed_and_each_has_its_own_prior() -> None:
    # critics: a few dozen reviews; audience (TMDB): thousands of votes
    critics = [RatedFilm(f"c{n}", f"Critics {n}", 2000, None, 5.0 + n / 10, 20 + n, ("FR",),
                         scale=rating_scale("wikidata")) for n in range(12)]
    audience = [RatedFilm(f"a{n}", f"Audience {n}", 2000, None, 7.0 + n / 10, 5000 + n,
                          ("FR", "US"), scale=rating_scale("tmdb")) for n in range(11)]
    found = priors([*critics, *audience])
    assert found[CRITICS].min_votes == percentile([f.votes for f in critics], 50) == 25
    assert found[AUDIENCE].min_votes == 5005
    assert found[AUDIENCE].mean == pytest.approx(7.5)
    ranked = rank_countries([*critics, *audience], found)
    # France has 12 critics-rated films and 11 audience-rated: its list is the critics' only
    assert ranked["FR"].scale == CRITICS and ranked["FR"].prior == found[CRITICS]
    assert {e["id"][0] for e in ranked["FR"].entries} == {"c"}
    assert ranked["US"].scale == AUDIENCE and {e["id"][0] for e in ranked["US"].entries} == {"a"}


def test_configured_m_and_c_apply_to_every_scale() -> None:
    films = [RatedFilm("c", "C", 2000, None, 8.0, 30, ("FR",), scale=CRITICS),
             RatedFilm("a", "A", 2000, None, 8.0, 3000, ("FR",), scale=AUDIENCE)]
    assert priors(films, min_votes=100, mean=6.5) == {CRITICS: Prior(100, 6.5),
                                                      AUDIENCE: Prior(100, 6.5)}
    assert priors(films, min_votes_percentile=100)[CRITICS].min_votes == 30


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 90) == 4
    assert percentile([7], 0) == 7
    assert percentile([], 50) == 0


def test_a_rebuild_ranks_countries_with_enough_films_and_refuses_the_others(
        in_process: Services) -> None:
    # Nauru gets enough demo (critics') films, Tuvalu one short: countries no other test uses.
    # Equal vote counts: the order is the ratings' whatever m and C the process's catalogue has
    nauru = [TitleRecord(id=unique("wd-nr-"), kind="film", name=f"Nauru {n}", source="wikidata",
                         year=2000 + n, countries=("NR", "TV") if n == 0 else ("NR",),
                         rating=5.0 + n / 4, votes=30) for n in range(MIN_RATED_FILMS)]
    tuvalu = [TitleRecord(id=unique("wd-tv-"), kind="film", name=f"Tuvalu {n}",
                          source="wikidata", countries=("TV",), rating=8.0, votes=30)
              for n in range(MIN_RATED_FILMS - 2)]
    in_process.catalogue_writer.upsert([*nauru, *tuvalu])
    bucket = unique("rankings-")
    in_process.resources.s3.create_bucket(Bucket=bucket)
    CatalogueIndexer(in_process.resources.s3, bucket, None).rebuild()

    ranking = in_process.catalogue.ranking("nr", 10)
    assert ranking["country"] == "NR" and ranking["scale"] == CRITICS
    assert [t["name"] for t in ranking["titles"]] == [f"Nauru {n}" for n in range(9, -1, -1)]
    assert ranking["min_votes"] < 1000  # derived from the critics' review counts
    with pytest.raises(AppError) as refused:
        in_process.catalogue.ranking("TV", 10)
    assert (refused.value.status, refused.value.code) == (404, "no_ranking")
    assert "not enough rated films" in refused.value.message
    assert "Tuvalu" in refused.value.message
