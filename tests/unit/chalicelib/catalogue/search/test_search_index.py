from __future__ import annotations

import functools
import random

import pytest

from chalicelib.catalogue.search.index import (
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    FORMAT_VERSION,
    MAGIC,
    SearchDoc,
    SearchIndex,
    build,
)
from chalicelib.catalogue.titles.text import index_words, normalized, words


def doc(doc_id: str, name: str, popularity: float = 1.0) -> SearchDoc:
    return SearchDoc(id=doc_id, name=name, year=2000, imdb_id=None, poster_path=None,
                     country="US", kind="film", popularity=popularity)


def index_of(*docs: SearchDoc, threshold: int = DEFAULT_THRESHOLD,
             top_k: int = DEFAULT_TOP_K) -> SearchIndex:
    return SearchIndex.load(build(docs, threshold=threshold, top_k=top_k))


def names(index: SearchIndex, query: str, limit: int = 20) -> list[str]:
    return [d.name for d in index.search(query, limit)]


CLASSICS = (
    doc("godfather", "The Godfather", 90),
    doc("amelie", "Amélie", 50),
    doc("dark-knight", "The Dark Knight", 95),
    doc("dark-city", "Dark City", 99),
    doc("schindler", "Schindler's List", 80),
    doc("spider", "Spider-Man", 70),
)


def test_case_and_accents_do_not_matter() -> None:
    index = index_of(*CLASSICS)
    for query in ("amelie", "AMÉ", "Amélie", "AMELIE", "  améLIE!  "):
        assert names(index, query) == ["Amélie"], query


def test_query_words_match_word_prefixes_anywhere_in_the_title() -> None:
    index = index_of(*CLASSICS)
    assert names(index, "godf") == ["The Godfather"]
    assert names(index, "knight") == ["The Dark Knight"]
    assert names(index, "fath") == []  # inside "godfather", not the start of a word
    assert names(index, "ather") == []
    for query in ("schindlers", "schindler's", "Schindler\u2019s li", "schindler s"):
        assert names(index, query) == ["Schindler's List"], query
    assert names(index, "man") == ["Spider-Man"]


def test_every_query_word_must_match() -> None:
    index = index_of(*CLASSICS)
    assert names(index, "dark kni") == ["The Dark Knight"]
    assert names(index, "kni dark") == ["The Dark Knight"]
    assert names(index, "dark cit") == ["Dark City"]
    assert names(index, "dark godf") == []
    # A word that prefixes another query word is implied by it.
    assert names(index, "dar dark kn k") == ["The Dark Knight"]


def test_exact_name_then_name_start_then_other_matches_then_popularity() -> None:
    index = index_of(
        doc("exact", "Dark", 1),
        doc("starts-less-popular", "Dark Waters", 5),
        doc("starts", "Darkman", 10),
        doc("anywhere-most-popular", "The Dark Knight", 1000),
        doc("anywhere", "Into the Dark", 20),
    )
    assert names(index, "dark") == ["Dark", "Darkman", "Dark Waters", "The Dark Knight",
                                    "Into the Dark"]
    # Name-starts-with covers several words and a partial last word.
    assert names(index, "dark wat") == ["Dark Waters"]
    assert names(index, "the") == ["The Dark Knight", "Into the Dark"]


def test_equal_popularity_ranks_by_id_and_duplicate_names_all_count_as_exact() -> None:
    index = index_of(doc("b", "Hamlet", 3), doc("a", "Hamlet", 3), doc("c", "Hamlet", 9),
                     doc("d", "Hamlet 2", 100))
    assert [d.id for d in index.search("hamlet")] == ["c", "a", "b", "d"]


def test_limit_and_empty_queries() -> None:
    index = index_of(*(doc(f"t{i}", f"Star {i}", i) for i in range(30)))
    assert len(index.search("star")) == 20
    assert [d.id for d in index.search("star", limit=3)] == ["t29", "t28", "t27"]
    assert index.search("star", limit=0) == []
    for query in ("", "   ", "!!!", "--", "'"):
        assert index.search(query) == [], query
    assert index.search("nothing") == []


def test_round_trip_keeps_every_field_and_both_encodings_load() -> None:
    docs = [
        SearchDoc(id="tv-1", name="Ünïcödé Shöw", year=None, imdb_id="tt0000001",
                  poster_path="/abc.jpg", country=None, kind="series", popularity=2.5),
        SearchDoc(id="movie-2", name="Film", year=1999, imdb_id=None, poster_path=None,
                  country="FR", kind="film", popularity=0.0),
        SearchDoc(id="x-3", name="Odd Kind", year=2020, imdb_id=None, poster_path=None,
                  country="DE", kind="short", popularity=1.0),
    ]
    raw, packed = build(docs), build(docs, compress=True)
    assert raw.startswith(MAGIC) and packed.startswith(MAGIC) and raw != packed
    for data in (raw, packed):
        index = SearchIndex.load(data)
        assert len(index) == 3 and index.size_bytes > 0
        assert index.search("unicode") == [docs[0]]
        assert index.search("film") == [docs[1]]
        assert index.search("odd") == [docs[2]]


def test_empty_index() -> None:
    index = SearchIndex.load(build([]))
    assert len(index) == 0
    assert index.search("anything") == []


def test_load_refuses_other_bytes_and_other_versions() -> None:
    for bad in (b"", b"NFX", b"not an index at all", MAGIC + b"\x00garbage",
                MAGIC + b"\x01garbage"):
        with pytest.raises(ValueError):
            SearchIndex.load(bad)
    data = build([doc("a", "A")])
    version_at = data.index(b"\xa7version") + len(b"\xa7version")
    assert data[version_at] == FORMAT_VERSION
    future = data[:version_at] + bytes([FORMAT_VERSION + 1]) + data[version_at + 1:]
    with pytest.raises(ValueError, match="format"):
        SearchIndex.load(future)


def test_non_latin_titles() -> None:
    index = index_of(doc("ru", "Война и мир", 5), doc("el", "Άλφα Βήτα", 4),
                     doc("ja", "千と千尋の神隠し", 3), doc("ar", "الرسالة", 2),
                     doc("ko", "기생충", 6))
    assert names(index, "ВОЙНА") == ["Война и мир"]
    assert names(index, "мир") == ["Война и мир"]
    assert names(index, "αλφα") == ["Άλφα Βήτα"]  # the tonos is an accent
    assert names(index, "βητ") == ["Άλφα Βήτα"]
    assert names(index, "千と") == ["千と千尋の神隠し"]
    assert names(index, "الرس") == ["الرسالة"]
    assert names(index, "기생") == ["기생충"]


def big_prefix_catalogue() -> list[SearchDoc]:
    """Many 'al*' and 'be*' titles; 'Alpha Beta' is the least popular of all."""
    docs = [doc(f"al{i}", f"Alone {i}", 100 - i) for i in range(10)]
    docs += [doc(f"be{i}", f"Berlin {i}", 50 - i) for i in range(10)]
    docs += [doc("both-popular", "Alpine Bells", 200), doc("both-rare", "Alpha Beta", 0.5)]
    return docs


def test_huge_prefixes_answer_from_top_lists_exactly_for_one_word() -> None:
    exact = index_of(*big_prefix_catalogue())
    approximate = index_of(*big_prefix_catalogue(), threshold=3, top_k=5)
    for query in ("a", "al", "b", "be", "alo", "alpha", "1"):
        for limit in (1, 3, 5):
            assert names(approximate, query, limit) == names(exact, query, limit), query


def test_huge_prefixes_only_offer_their_most_popular_titles_when_every_word_is_huge() -> None:
    exact = index_of(*big_prefix_catalogue())
    approximate = index_of(*big_prefix_catalogue(), threshold=3, top_k=5)
    assert names(exact, "al be") == ["Alpine Bells", "Alpha Beta"]
    # Both words are huge prefixes: only the 5 most popular 'al*' titles are candidates.
    assert names(approximate, "al be") == ["Alpine Bells"]
    # One word with a small range keeps the answer exact, however huge the other one is.
    assert names(approximate, "alph be") == ["Alpha Beta"]
    assert names(approximate, "al beta") == ["Alpha Beta"]
    assert names(approximate, "alpha beta") == ["Alpha Beta"]


_title_words = functools.cache(index_words)
_normalized_title = functools.cache(normalized)


def brute_force(docs: list[SearchDoc], query: str, limit: int) -> list[str]:
    """The specification, slowly: the ids `search` must return."""
    query_words = words(query)
    if not query_words or limit <= 0:
        return []
    wanted = " ".join(query_words)
    ranked = sorted(docs, key=lambda d: (-d.popularity, d.id))
    hits: list[tuple[int, int, str]] = []
    for rank, d in enumerate(ranked):
        title_words = _title_words(d.name)
        if all(any(w.startswith(q) for w in title_words) for q in query_words):
            name = _normalized_title(d.name)
            tier = 0 if name == wanted else 1 if name.startswith(wanted) else 2
            hits.append((tier, rank, d.id))
    return [doc_id for _, _, doc_id in sorted(hits)[:limit]]


def random_catalogue(rng: random.Random, count: int) -> list[SearchDoc]:
    vocab = ["a", "ab", "abc", "abd", "b", "ba", "bab", "the", "théâtre", "them", "dark",
             "darkness", "knight", "ñu", "nu", "東京", "東", "x1", "12", "año", "ano",
             "l'été", "rock'n'roll"]
    return [doc(f"d{i:04d}", " ".join(rng.choices(vocab, k=rng.randint(1, 4))),
                float(rng.randint(0, 40))) for i in range(count)]


def random_query(rng: random.Random) -> str:
    parts = rng.choices(["a", "ab", "abc", "b", "ba", "th", "the", "THÉ", "theat", "dark",
                         "d", "k", "nu", "Ñ", "東", "x", "12", "1", "ano", "zz", "ab ab",
                         "lete", "l'", "l'et", "ete", "rockn", "roll"],
                        k=rng.randint(1, 3))
    return " ".join(parts)


@pytest.mark.parametrize("seed", range(4))
def test_matches_the_brute_force_specification(seed: int) -> None:
    rng = random.Random(seed)
    docs = random_catalogue(rng, 400)
    index = index_of(*docs)
    for _ in range(300):
        query, limit = random_query(rng), rng.choice([1, 5, 20, 500])
        assert [d.id for d in index.search(query, limit)] == brute_force(docs, query, limit), (
            query, limit)


@pytest.mark.parametrize("seed", range(4))
def test_approximation_only_ever_drops_matches_it_never_invents_or_reorders(seed: int) -> None:
    rng = random.Random(seed)
    docs = random_catalogue(rng, 400)
    top_k = 30
    index = index_of(*docs, threshold=20, top_k=top_k)
    for _ in range(300):
        query, limit = random_query(rng), rng.choice([1, 5, 20])
        got = [d.id for d in index.search(query, limit)]
        allowed = brute_force(docs, query, len(docs))
        assert got == [doc_id for doc_id in allowed if doc_id in set(got)], query
        if len(set(words(query))) == 1:  # one word: the top lists are exact up to top_k
            assert got == allowed[:limit], query


def test_rare_combination_behind_many_more_popular_candidates() -> None:
    """The rarest word's titles are scanned in popularity order until the last ones match."""
    docs = [doc(f"a{i}", f"Zqa {i}", 5000 + i) for i in range(400)]
    docs += [doc(f"b{i}", f"Zqb {i}", 5000 + i) for i in range(400)]
    docs += [doc(f"c{i}", f"Common {i}", 100 + i) for i in range(3000)]
    docs += [doc(f"both{i}", f"Zqa Common {i}", i) for i in range(5)]
    index = index_of(*docs)
    expected = ["both4", "both3", "both2", "both1", "both0"]
    for query in ("zq common", "common zq", "zq com", "co zqa"):
        assert [d.id for d in index.search(query)] == expected, query
    assert [d.id for d in index.search("zq co", 3)] == expected[:3]
