"""Search by title, person and genre, with typos: `SearchIndex.find` on a small real-looking
catalogue."""

from __future__ import annotations

import pytest

from chalicelib.catalogue.search import index as index_module
from chalicelib.catalogue.search.fuzzy import Corrector, build_corrector, distance, max_edits
from chalicelib.catalogue.search.index import MAX_RESULTS, SearchDoc, SearchIndex, build


def film(doc_id: str, name: str, popularity: float, *, directors: tuple[str, ...] = (),
         cast: tuple[str, ...] = (), genres: tuple[str, ...] = ()) -> SearchDoc:
    return SearchDoc(id=doc_id, name=name, year=2000, imdb_id=None, poster_path=None,
                     country="US", kind="film", popularity=popularity, directors=directors,
                     cast=cast, genres=genres)


CATALOGUE = (
    film("godfather", "The Godfather", 90, directors=("Francis Ford Coppola",),
         cast=("Al Pacino", "Marlon Brando"), genres=("Crime", "Drama")),
    film("godfather2", "The Godfather Part II", 80, directors=("Francis Ford Coppola",),
         cast=("Al Pacino", "Robert De Niro"), genres=("Crime", "Drama")),
    film("apocalypse", "Apocalypse Now", 70, directors=("Francis Ford Coppola",),
         cast=("Marlon Brando", "Martin Sheen"), genres=("War", "Drama")),
    film("lost", "Lost in Translation", 60, directors=("Sofia Coppola",),
         cast=("Bill Murray", "Scarlett Johansson"), genres=("Comedy", "Drama")),
    film("gump", "Forrest Gump", 95, directors=("Robert Zemeckis",),
         cast=("Gary Sinise", "Robin Wright", "Tom Hanks"), genres=("Comedy", "Drama")),
    film("ryan", "Saving Private Ryan", 85, directors=("Steven Spielberg",),
         cast=("Matt Damon", "Tom Hanks", "Tom Sizemore"), genres=("War", "Drama")),
    film("toy", "Toy Story", 75, directors=("John Lasseter",),
         cast=("Tim Allen", "Tom Hanks"), genres=("Animation", "Comedy")),
    film("hanks-doc", "Hanks: A Life", 5, directors=("Someone Else",), genres=("Documentary",)),
    film("cruise", "Top Gun", 65, directors=("Tony Scott",), cast=("Tom Cruise",),
         genres=("Action",)),
    film("drama-school", "Drama School", 1, genres=("Comedy",)),
    film("bamako", "Bamako", 99, cast=("Aminata Dramane Traoré",), genres=("Comedy",)),
    film("phantom", "The Phantom Menace", 98, cast=("Roman Coppola",),
         genres=("Science Fiction",)),
    film("jaws", "Jaws", 88, directors=("Steven Spielberg",), cast=("Roy Scheider",),
         genres=("Thriller",)),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.load(build(CATALOGUE))


def found(index: SearchIndex, query: str, limit: int = 50) -> list[tuple[str, str, str]]:
    return [(h.doc.id, h.match.kind, h.match.text) for h in index.find(query, 0, limit).hits]


def test_a_surname_finds_every_film_of_everyone_bearing_it_directors_first(
        index: SearchIndex) -> None:
    assert found(index, "coppola") == [
        ("godfather", "director", "directed by Francis Ford Coppola"),
        ("godfather2", "director", "directed by Francis Ford Coppola"),
        ("apocalypse", "director", "directed by Francis Ford Coppola"),
        ("lost", "director", "directed by Sofia Coppola"),
        ("phantom", "cast", "with Roman Coppola")]
    assert [h[0] for h in found(index, "sofia cop")] == ["lost"]


def test_a_full_name_finds_the_actors_films_after_titles_that_match(index: SearchIndex) -> None:
    assert found(index, "tom hanks") == [
        ("gump", "cast", "with Tom Hanks"), ("ryan", "cast", "with Tom Hanks"),
        ("toy", "cast", "with Tom Hanks")]
    # One word: the title match first, then his films; Tom Cruise's are not his.
    assert found(index, "hanks")[0] == ("hanks-doc", "title", "Hanks: A Life")
    assert {h[0] for h in found(index, "hanks")} == {"hanks-doc", "gump", "ryan", "toy"}


def test_a_genre_finds_its_films_after_title_and_people_matches(index: SearchIndex) -> None:
    page = index.find("drama", 0, 50)
    assert [(h.doc.id, h.match.kind) for h in page.hits] == [
        ("drama-school", "title"), ("gump", "genre"), ("godfather", "genre"),
        ("ryan", "genre"), ("godfather2", "genre"), ("apocalypse", "genre"), ("lost", "genre"),
        # a name that only starts with the word comes after the whole-word matches
        ("bamako", "cast")]
    assert page.hits[1].match.text == "Drama"
    assert page.hits[-1].match.text == "with Aminata Dramane Traoré"
    assert page.total == 8 and page.exact and page.did_you_mean is None


def test_a_director_ranks_before_a_genre_and_a_title_appears_once(index: SearchIndex) -> None:
    index = SearchIndex.load(build([
        *CATALOGUE, film("war-doc", "Spielberg at War", 2, genres=("Documentary",))]))
    assert found(index, "spielberg") == [
        ("war-doc", "title", "Spielberg at War"),
        ("jaws", "director", "directed by Steven Spielberg"),
        ("ryan", "director", "directed by Steven Spielberg")]
    assert [h[1] for h in found(index, "war")] == ["title", "genre", "genre"]


def test_a_typo_answers_with_the_corrected_query(index: SearchIndex) -> None:
    page = index.find("godfater", 0, 10)
    assert page.did_you_mean == "godfather"
    assert [h.doc.id for h in page.hits] == ["godfather", "godfather2"]
    assert page.total == 2
    assert index.find("Tom Hnaks", 0, 10).did_you_mean == "tom hanks"
    assert index.find("coppolla", 0, 10).did_you_mean == "coppola"
    # a word that begins a known word is never "corrected", so nothing is offered
    assert index.find("godfather spielberg", 0, 10) == index.find("zzzz", 0, 10)
    assert index.find("zzzz", 0, 10).total == 0 and index.find("zzzz").did_you_mean is None


def test_edit_budget_through_find(index: SearchIndex) -> None:
    assert index.find("tiy", 0, 10).total == 0  # 3 letters: "toy" is not offered
    assert index.find("jwas", 0, 10).did_you_mean == "jaws"  # 4 letters: one edit
    assert index.find("jwaz", 0, 10).did_you_mean is None  # two edits
    assert index.find("spielbrg", 0, 10).did_you_mean == "spielberg"  # 8 letters
    assert index.find("speilbrg", 0, 10).did_you_mean == "spielberg"  # two edits at 8+
    assert index.find("translaton", 0, 10).did_you_mean == "translation"


def test_edit_budget_by_word_length() -> None:
    assert [max_edits("x" * n) for n in (1, 3, 4, 7, 8, 12)] == [0, 0, 1, 1, 2, 2]
    words = ["cat", "jaws", "matrix", "godfather", "terminator", "casablanca"]
    corrector = Corrector(build_corrector((w, 1) for w in words))
    assert corrector.correct("cot") is None  # 3 letters: no typo tolerance
    assert corrector.correct("jwas") == "jaws"  # 4 letters, a swap: one edit
    assert corrector.correct("jaw") is None
    assert corrector.correct("matrx") == "matrix"  # 5 letters, one deletion
    assert corrector.correct("mtarx") is None  # two edits for 5 letters: too many
    assert corrector.correct("mattrixx") == "matrix"  # 8 letters, two insertions
    assert corrector.correct("godfthr") is None  # 7 letters, two edits away
    assert corrector.correct("terminatr") == "terminator"
    assert corrector.correct("termnatr") == "terminator"  # 8 letters, two edits
    assert corrector.correct("trmnatr") is None  # 7 letters, three edits
    assert corrector.correct("casablanka") == "casablanca"
    assert corrector.correct("kasablanka") == "casablanca"
    assert corrector.correct("kasablamka") is None  # three edits


def test_the_nearest_then_most_frequent_correction_wins() -> None:
    corrector = Corrector(build_corrector([("house", 5), ("horse", 50), ("hose", 1)]))
    assert corrector.correct("houses") == "house"  # one edit from house only
    assert corrector.correct("hoase") == "horse"  # one edit from house and horse: frequency
    assert distance("hoase", "hose", 1) == 1 and distance("abcd", "badc", 3) == 2
    assert distance("kitten", "sitting", 5) == 3 and distance("kitten", "sitting", 2) == 3


def test_counts_and_pages(index: SearchIndex) -> None:
    everything = [h.doc.id for h in index.find("drama", 0, 50).hits]
    first, second, third = (index.find("drama", offset, 3) for offset in (0, 3, 6))
    assert [h.doc.id for h in first.hits + second.hits + third.hits] == everything
    assert len(third.hits) == 2 and {p.total for p in (first, second, third)} == {8}
    one = index.find("jaws", 0, 10)
    assert one.total == 1 and [h.doc.id for h in one.hits] == ["jaws"]
    assert index.find("drama", 8, 3).hits == [] and index.find("drama", 0, 0).hits == []


def test_totals_go_past_the_listed_results_honestly() -> None:
    docs = [film(f"t{i}", f"Star {i}", i, genres=("Drama",)) for i in range(MAX_RESULTS + 50)]
    index = SearchIndex.load(build(docs))
    page = index.find("star", MAX_RESULTS - 10, 20)
    assert page.total == MAX_RESULTS + 50 and page.exact and len(page.hits) == 10
    assert index.find("drama", 0, 5).total == MAX_RESULTS + 50
    # titles fill every place: a person who might add more makes the total a bound
    starla = film("starla", "Other", 0, cast=("Starla Jones",))
    with_person = SearchIndex.load(build([*docs, starla])).find("star", 0, 5)
    assert (with_person.total, with_person.exact) == (MAX_RESULTS + 50, False)
    # small top lists: a two-word query over two huge prefixes can only say "at least"
    small = SearchIndex.load(build(docs, threshold=10, top_k=5))
    assert small.find("star", 0, 5).total == MAX_RESULTS + 50
    approximate = small.find("s 1", 0, 5)
    assert not approximate.exact and 0 < approximate.total <= MAX_RESULTS + 50


@pytest.mark.parametrize("query", ["drama", "coppola", "tom", "comedy", "war", "s", "t"])
def test_big_groups_merged_lazily_list_and_count_as_the_sets_do(
        index: SearchIndex, monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    def answer(offset: int) -> tuple[list[tuple[str, str, str]], int]:
        page = index.find(query, offset, 4)
        return [(h.doc.id, h.match.kind, h.match.text) for h in page.hits], page.total

    as_sets = [answer(offset) for offset in (0, 4, 8)]
    monkeypatch.setattr(index_module, "_UNION_LIMIT", 1)
    merged = [answer(offset) for offset in (0, 4, 8)]
    assert [hits for hits, _ in merged] == [hits for hits, _ in as_sets]
    for (_, exact_total), (_, merged_total) in zip(as_sets, merged, strict=True):
        assert merged_total <= exact_total  # a lower bound when several lists merge
    if query in ("drama", "comedy"):  # one genre: still exact
        assert [total for _, total in merged] == [total for _, total in as_sets]
