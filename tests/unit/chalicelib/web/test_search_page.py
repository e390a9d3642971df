"""The search page: counts in words, the reason each result matched, a "did you mean" line
and a plain link to the next page (so paging works without JavaScript)."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.openapi.responses import SearchHit, SearchResults
from chalicelib.web.pages import SEARCH_PAGE, Pages, PageServices, results_label
from chalicelib.web.render import page


class FakeSearch:
    def __init__(self, total: int, exact: bool = True, did_you_mean: str | None = None,
                 listed: int | None = None) -> None:
        self.total, self.exact, self.did_you_mean = total, exact, did_you_mean
        #: How many of the matches pages reach (all of them unless given).
        self.listed = total if listed is None else listed
        self.asked: list[tuple[str | None, int, int]] = []

    def search(self, query: str | None, limit: int, page: int = 1) -> SearchResults:
        self.asked.append((query, limit, page))
        start = (page - 1) * limit
        shown = range(start, min(start + limit, self.listed))
        hits: list[SearchHit] = [{
            "id": f"t{i}", "name": f"Film {i}", "year": 2000, "imdb_id": None,
            "poster_url": None, "country": None, "kind": "film",
            "match": ({"kind": "cast", "text": "with Tom Hanks"} if i % 2
                      else {"kind": "title", "text": f"Film {i}"})} for i in shown]
        more = start + limit < self.listed
        return {"query": query, "results": hits, "total": self.total,
                "total_exact": self.exact, "page": page, "next": page + 1 if more else None,
                "did_you_mean": self.did_you_mean}


def pages(search: FakeSearch) -> Pages:
    class Services:
        pass

    services: Any = Services()
    services.search = search
    return Pages(cast(PageServices, services))


def html(context: dict[str, Any]) -> str:
    return str(page("search.html", None, **context).body)


def test_counts_read_as_words() -> None:
    assert [results_label(n, True) for n in (0, 1, 2, 24, 1234)] == [
        "0 results", "1 result", "2 results", "24 results", "1,234 results"]
    assert results_label(1000, False) == "1,000+ results"


def test_one_result_and_the_reason_it_matched() -> None:
    search = FakeSearch(2)
    context = pages(search).search("  tom hanks ")
    assert search.asked == [("tom hanks", SEARCH_PAGE, 1)]
    body = html(context)
    assert "2 results for “tom hanks”" in body
    assert '<span class="why">with Tom Hanks</span>' in body
    assert body.count('class="why"') == 1  # a title match needs no reason
    assert "1 result for" in html(pages(FakeSearch(1)).search("x"))


def test_the_more_link_continues_on_the_next_page() -> None:
    search = FakeSearch(SEARCH_PAGE + 5)
    first = pages(search).search("drama")
    assert first["next"] == "/search?q=drama&page=2"
    assert 'href="/search?q=drama&amp;page=2" rel="next">More</a>' in html(first)
    second = pages(search).search("drama", "2")
    assert search.asked[-1] == ("drama", SEARCH_PAGE, 2)
    assert second["next"] is None and len(second["results"]) == 5
    assert 'id="search-more" hidden' in html(second)
    assert "Only the first 1,000" not in html(second)
    for odd in ("0", "-1", "x", "99999"):  # the page takes hints leniently
        pages(search).search("drama", odd)
    assert [asked[2] for asked in search.asked[-4:]] == [1, 1, 1, 1]


def test_a_corrected_query_says_so() -> None:
    body = html(pages(FakeSearch(2, did_you_mean="godfather")).search("godfater"))
    assert "Showing results for <strong>godfather</strong>" in body
    assert "nothing matched “godfater”" in body
    assert "1,000+ results" in html(pages(FakeSearch(1000, exact=False)).search("the"))


def test_the_last_reachable_page_says_more_matched() -> None:
    search = FakeSearch(5000, listed=1000)
    last = pages(search).search("a", str(1000 // SEARCH_PAGE + 1))
    assert last["next"] is None and len(last["results"]) == 1000 % SEARCH_PAGE
    assert "Only the first 1,000 results are listed" in html(last)
    assert "Only the first" not in html(pages(search).search("a"))
