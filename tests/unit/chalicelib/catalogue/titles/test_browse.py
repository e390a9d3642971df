"""Reading the catalogue in process: browse pages and their cursors, filters, a title's page,
cards in the caller's order, and a season's episodes."""

from __future__ import annotations

import pytest

from chalicelib.catalogue.titles.facets import rank_key
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Episode, Kind, Person, Season, TitleRecord
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique


def title(genre: str, *, kind: Kind = "film", year: int | None = 1999,
          countries: tuple[str, ...] = (), popularity: float = 1.0,
          title_id: str | None = None) -> TitleRecord:
    return TitleRecord(id=title_id or unique("b-"), kind=kind, name=f"Browse {genre}",
                       source="generated", year=year, genres=(genre, "Drama"),
                       countries=countries, popularity=popularity)


def every_page(services: Services, filters: Filters, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        cards, cursor = services.catalogue.browse(filters, limit, cursor)
        pages.append([card["id"] for card in cards])
        if cursor is None:
            return pages


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def test_pages_follow_popularity_then_id_without_repeats(in_process: Services) -> None:
    genre = unique("genre-")
    # two titles share a popularity: the id breaks the tie
    popularity = [5.0, 90.5, 12.0, 12.0, 0.0, 33.3, 7.25]
    records = [title(genre, popularity=p) for p in popularity]
    in_process.catalogue_writer.upsert(records)
    expected = [r.id for r in sorted(records, key=lambda r: rank_key(r.popularity, r.id))]

    pages = every_page(in_process, Filters(genre=genre), 3)
    assert pages == [expected[0:3], expected[3:6], expected[6:7]]
    # a page that ends exactly at the last title gives no cursor
    assert every_page(in_process, Filters(genre=genre), 7) == [expected]


def test_filters_combine_whichever_partition_is_queried(in_process: Services) -> None:
    genre = unique("genre-")
    film_fr = title(genre, year=1871, countries=("FR",), popularity=3)
    film_us = title(genre, year=1871, countries=("US",), popularity=2)
    series_fr = title(genre, kind="series", year=1871, countries=("FR",), popularity=9)
    film_other_year = title(genre, year=1872, countries=("FR",), popularity=1)
    in_process.catalogue_writer.upsert([film_fr, film_us, series_fr, film_other_year])

    def ids(filters: Filters) -> list[str]:
        cards, _ = in_process.catalogue.browse(filters, 50, None)
        return [card["id"] for card in cards]

    # the year's partition, the country's, the genre's: the other filters apply within it
    assert ids(Filters(genre=genre, kind="film", year=1871)) == [film_fr.id, film_us.id]
    assert ids(Filters(genre=genre, country="FR")) == [series_fr.id, film_fr.id,
                                                       film_other_year.id]
    assert ids(Filters(genre=genre, kind="film", country="FR", year=1871)) == [film_fr.id]
    assert ids(Filters(genre=genre, kind="series")) == [series_fr.id]
    assert ids(Filters(genre=genre, year=1872, country="US")) == []


def sparse_films(genre: str) -> list[TitleRecord]:
    """150 popular series, then 50 less popular titles of which every fifth is a film: the
    ten films sit past several DynamoDB pages of titles the filter drops."""
    crowd = [title(genre, kind="series", popularity=1000 + n) for n in range(150)]
    tail = [title(genre, kind="film" if n % 5 == 0 else "series", year=1994,
                  popularity=100 - n) for n in range(50)]
    return [*crowd, *tail]


def test_sparse_matches_fill_pages_across_dynamodb_pages_and_the_last_has_no_cursor(
        in_process: Services) -> None:
    genre = unique("genre-")
    records = sparse_films(genre)
    in_process.catalogue_writer.upsert(records)
    films = [r.id for r in sorted(records, key=lambda r: rank_key(r.popularity, r.id))
             if r.kind == "film"]
    assert len(films) == 10

    # filtered by type within the genre: no empty page, no "More" after the last film
    assert every_page(in_process, Filters(genre=genre, kind="film"), 4) == [
        films[0:4], films[4:8], films[8:10]]
    # a page ending exactly on the last match gives no cursor to an empty page
    assert every_page(in_process, Filters(genre=genre, kind="film"), 5) == [
        films[0:5], films[5:10]]
    assert every_page(in_process, Filters(genre=genre.upper(), kind="film", year=1994),
                      3) == [films[0:3], films[3:6], films[6:9], films[9:10]]


def test_a_lower_case_genre_finds_what_the_catalogue_spelling_finds(
        in_process: Services) -> None:
    genre = unique("Genre-")  # stored capitalised, as the catalogue spells genres
    year = 1880 + len(genre) % 20
    wanted = [title(genre, year=year, countries=("FR",), popularity=p) for p in (3, 2, 1)]
    other_year = title(genre, year=year + 1, countries=("FR",), popularity=0.5)
    in_process.catalogue_writer.upsert([*wanted, other_year])

    def ids(filters: Filters) -> list[str]:
        cards, cursor = in_process.catalogue.browse(filters, 50, None)
        assert cursor is None
        return [card["id"] for card in cards]

    expected = [r.id for r in wanted]
    for spelling in (genre, genre.lower(), genre.upper()):
        # the year's partition (genre as a filter), the country's, and the genre's own
        assert ids(Filters(genre=spelling, year=year)) == expected
        assert ids(Filters(genre=spelling, country="FR", year=year)) == expected
        assert ids(Filters(genre=spelling)) == [*expected, other_year.id]
    assert ids(Filters(genre=unique("genre-"), year=year)) == []


def test_available_keeps_only_playable_titles_and_combines_with_other_filters(
        in_process: Services) -> None:
    genre = unique("genre-")
    plays_film = title(genre, year=1990, popularity=5)
    plays_series = title(genre, kind="series", year=1990, popularity=4)
    silent_film = title(genre, year=1990, popularity=9)
    plays_other_year = title(genre, year=1991, popularity=3)
    in_process.catalogue_writer.upsert([plays_film, plays_series, silent_film,
                                        plays_other_year])
    for record in (plays_film, plays_series, plays_other_year):
        assert attach_asset(record.id, {"asset_id": unique("a-"), "manifest": "m.mpd"})

    def ids(filters: Filters) -> list[str]:
        cards, cursor = in_process.catalogue.browse(filters, 50, None)
        assert cursor is None
        assert all(card["playable"] for card in cards) or not filters.available
        return [card["id"] for card in cards]

    assert ids(Filters(genre=genre, available=True)) == [plays_film.id, plays_series.id,
                                                         plays_other_year.id]
    assert ids(Filters(genre=genre.lower(), year=1990, available=True)) == [
        plays_film.id, plays_series.id]
    assert ids(Filters(genre=genre, kind="film", year=1990, available=True)) == [plays_film.id]
    assert ids(Filters(genre=genre, year=1990)) == [silent_film.id, plays_film.id,
                                                    plays_series.id]
    # the playable partition itself, paged: holds at least these three
    cards, _ = in_process.catalogue.browse(Filters(available=True), 100, None)
    assert all(card["playable"] for card in cards)


def test_a_cursor_is_refused_when_garbled_or_from_another_partition(
        in_process: Services) -> None:
    genre = unique("genre-")
    in_process.catalogue_writer.upsert([title(genre, popularity=p) for p in (1, 2)])
    _, cursor = in_process.catalogue.browse(Filters(genre=genre), 1, None)
    assert cursor is not None
    for filters, bad in ((Filters(genre=genre), "!!not base64!!"),
                         (Filters(genre=genre), "WyJhbGwiXQ"),  # ["all"]: not a pair
                         (Filters(genre=unique("genre-")), cursor)):
        with pytest.raises(AppError) as refused:
            in_process.catalogue.browse(filters, 1, bad)
        assert refusal(refused) == (400, "bad_cursor")


def test_a_title_page_has_its_people_seasons_and_poster(in_process: Services) -> None:
    record = TitleRecord(
        id=unique("b-"), kind="series", name="Harbour Nights", source="generated",
        original_name="Nuits du port", year=2011, genres=("Crime",), countries=("FR", "BE"),
        people=(Person(name="Ada Director", role="creator"),
                Person(name="Bo Actor", role="actor", character="Inspector", order=0)),
        rating=7.5, votes=1200, popularity=4.5, poster_path="/harbour.jpg", tmdb_id=4242,
        imdb_id="tt7654321",
        seasons=(Season(number=1, name="Season 1", air_date="2011-09-01",
                        episodes=(Episode(1, "Arrival"), Episode(2, "Tide"))),))
    in_process.catalogue_writer.upsert([record])

    page = in_process.catalogue.details(record.id)
    assert page["poster_url"] == f"{in_process.settings.image_base_url}/harbour.jpg"
    assert page["has_poster"] is True and page["playable"] is False and page["asset"] is None
    assert (page["name"], page["original_name"], page["year"], page["rating"]) == (
        "Harbour Nights", "Nuits du port", 2011, 7.5)
    assert (page["votes"], page["tmdb_id"], page["imdb_id"]) == (1200, 4242, "tt7654321")
    assert page["countries"] == ["FR", "BE"]
    assert [(p["name"], p["role"], p["character"]) for p in page["people"]] == [
        ("Ada Director", "creator", None), ("Bo Actor", "actor", "Inspector")]
    assert page["seasons"] == [{"number": 1, "name": "Season 1", "air_date": "2011-09-01",
                                "episode_count": 2}]


@pytest.mark.parametrize("title_id", ["no-such-title-at-all", "", "x" * 65])
def test_an_unknown_or_impossible_title_id_is_not_found(in_process: Services,
                                                        title_id: str) -> None:
    with pytest.raises(AppError) as refused:
        in_process.catalogue.details(title_id)
    assert refusal(refused) == (404, "title_not_found")


def test_cards_come_in_the_order_asked_leaving_out_unknown_ids(in_process: Services) -> None:
    genre = unique("genre-")
    first, second = title(genre, popularity=1), title(genre, popularity=2)
    in_process.catalogue_writer.upsert([first, second])
    cards = in_process.catalogue.cards([second.id, unique("missing-"), first.id])
    assert [card["id"] for card in cards] == [second.id, first.id]
    assert cards[0]["poster_url"] == f"/posters/{second.id}.svg"
    assert cards[0]["has_poster"] is False
    assert in_process.catalogue.cards([]) == []


def test_a_season_lists_its_episodes_in_order(in_process: Services) -> None:
    series_id = unique("b-series-")
    # episodes given out of order, and 12 of them: "10" must not sort before "2"
    episodes = tuple(Episode(number=n, name=f"Episode {n}", runtime=40 + n)
                     for n in (3, 12, 1, 10, 2, 11, 4, 5, 6, 7, 8, 9))
    in_process.catalogue_writer.upsert([TitleRecord(
        id=series_id, kind="series", name="Long Season", source="generated",
        seasons=(Season(number=1, name="One", episodes=(Episode(1, "Pilot"),)),
                 Season(number=2, name="Two", episodes=episodes)))])

    season = in_process.catalogue.season(series_id, 2)
    assert season["title"] == {"id": series_id, "name": "Long Season"}
    assert (season["number"], season["name"], season["episode_count"]) == (2, "Two", 12)
    assert [e["number"] for e in season["episodes"]] == list(range(1, 13))
    assert season["episodes"][9] == {"number": 10, "name": "Episode 10", "overview": "",
                                     "runtime": 50, "air_date": None, "playable": False}
    assert [e["name"] for e in in_process.catalogue.season(series_id, 1)["episodes"]] == [
        "Pilot"]


def test_a_missing_season_or_a_film_has_no_season(in_process: Services) -> None:
    series_id, genre = unique("b-series-"), unique("genre-")
    a_film = title(genre)
    in_process.catalogue_writer.upsert([a_film, TitleRecord(
        id=series_id, kind="series", name="Short", source="generated",
        seasons=(Season(number=1, name="One", episodes=(Episode(1, "Only"),)),))])
    for title_id, number in ((series_id, 2), (series_id, 0), (a_film.id, 1)):
        with pytest.raises(AppError) as refused:
            in_process.catalogue.season(title_id, number)
        assert refusal(refused) == (404, "season_not_found")


def test_a_spent_read_budget_hands_on_a_cursor_that_misses_and_repeats_nothing(
        in_process: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.catalogue.titles import browse

    genre = unique("genre-")
    records = [title(genre, kind="film" if n in (60, 121) else "series", popularity=500 - n)
               for n in range(122)]
    in_process.catalogue_writer.upsert(records)
    films = [r.id for r in records if r.kind == "film"]
    assert every_page(in_process, Filters(genre=genre, kind="film"), 5) == [films]

    # tiny budgets: pages of 10 items, give up after 30 read with a match, 50 without
    monkeypatch.setattr(browse, "MAX_QUERY_PAGE", 10)
    monkeypatch.setattr(browse, "READ_BUDGET", 30)
    monkeypatch.setattr(browse, "HARD_READ_BUDGET", 50)
    pages = every_page(in_process, Filters(genre=genre, kind="film"), 5)
    assert [i for page in pages for i in page] == films
    assert len(pages) > 2  # the budget cut in, and the cursors carried on where it stopped
    assert pages[0] == []  # nothing among the first 50 read: said so, with a cursor
