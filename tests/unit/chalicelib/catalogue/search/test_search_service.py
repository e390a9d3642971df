"""The search service in process: the index a rebuild stores in S3 (titles, their people
and genres), loaded by the service, answering by tier then popularity, page by page, and
picked up again only when it changed."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.catalogue.rebuild import SEARCH_INDEX_KEY, CatalogueIndexer
from chalicelib.catalogue.search.service import SearchService
from chalicelib.catalogue.titles.records import Person, TitleRecord
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """S3, remembering each GetObject and whether it sent the index or said 304."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.answers: list[str] = []

    def get_object(self, **kwargs: Any) -> Any:
        try:
            found = self.s3.get_object(**kwargs)
        except Exception as exc:
            self.answers.append(type(exc).__name__)
            raise
        self.answers.append("body")
        return found


def a_bucket(services: Services) -> str:
    """A bucket of the test's own: the rebuilds here do not replace the shared index."""
    bucket = unique("search-")
    services.resources.s3.create_bucket(Bucket=bucket)
    return bucket


def film(name: str, popularity: float, **fields: Any) -> TitleRecord:
    return TitleRecord(id=unique("s-"), kind="film", name=name, source="generated",
                       popularity=popularity, **fields)


def test_queries_are_checked_and_search_waits_for_its_first_index(
        in_process: Services) -> None:
    service = SearchService(in_process.resources.s3, a_bucket(in_process), 0,
                            in_process.settings.image_base_url)
    for query in (None, "", "   ", "x" * 101):
        with pytest.raises(AppError) as bad:
            service.search(query, 10)
        assert (bad.value.status, bad.value.code) == (400, "bad_query")
    with pytest.raises(AppError) as waiting:
        service.search("anything", 10)
    assert (waiting.value.status, waiting.value.code) == (503, "search_unavailable")


def test_a_rebuilt_index_answers_by_tier_then_popularity(in_process: Services) -> None:
    word = unique("q")
    exact = film(f"Éclair {word}", 1, year=2001, countries=("FR", "BE"), imdb_id="tt0211915")
    starts = film(f"Éclair {word} Returns", 50, poster_path="/returns.jpg")
    inside = film(f"The Last Éclair {word}", 99)
    in_process.catalogue_writer.upsert([exact, starts, inside])
    bucket = a_bucket(in_process)
    CatalogueIndexer(in_process.resources.s3, bucket, 1000, 6.8).rebuild()
    service = SearchService(in_process.resources.s3, bucket, 0,
                            in_process.settings.image_base_url)

    def ids(query: str) -> list[str]:
        return [hit["id"] for hit in service.search(query, 10)["results"]]

    # the whole name, then names starting with it, then names holding its words
    assert ids(f"ECLAIR {word.upper()}") == [exact.id, starts.id, inside.id]
    assert ids(f"éclair {word}") == ids(f"ECLAIR {word.upper()}")
    assert ids(f"ecl {word[:5]}") == [inside.id, starts.id, exact.id]  # all word prefixes
    assert ids(f"returns {word}") == [starts.id]
    assert ids(f"{word} nothing") == []
    assert service.search(f"éclair {word}", 1) == {
        "query": f"éclair {word}", "results": [{
            "id": exact.id, "name": exact.name, "year": 2001, "imdb_id": "tt0211915",
            "poster_url": f"/posters/{exact.id}.svg", "country": "FR", "kind": "film",
            "match": {"kind": "title", "text": exact.name}}],
        "total": 3, "total_exact": True, "page": 1, "next": 2, "did_you_mean": None}
    assert service.search(f"{word} returns", 1)["results"][0]["poster_url"] == (
        f"{in_process.settings.image_base_url}/returns.jpg")


def test_a_new_index_is_picked_up_only_after_the_refresh_period(in_process: Services) -> None:
    word = unique("q")
    first = film(f"First {word}", 5)
    in_process.catalogue_writer.upsert([first])
    bucket, clock = a_bucket(in_process), Clock()
    indexer = CatalogueIndexer(in_process.resources.s3, bucket, 1000, 6.8)
    indexer.rebuild()
    reads = Reads(in_process.resources.s3)
    service = SearchService(reads, bucket, 60, in_process.settings.image_base_url, clock=clock)
    assert [hit["id"] for hit in service.search(word, 10)["results"]] == [first.id]

    clock.now += 59
    later = film(f"Later {word}", 9)
    in_process.catalogue_writer.upsert([later])
    indexer.rebuild()
    assert [hit["id"] for hit in service.search(word, 10)["results"]] == [first.id]  # not asked yet
    assert reads.answers == ["body"]

    clock.now += 1
    assert [hit["id"] for hit in service.search(word, 10)["results"]] == [later.id, first.id]
    clock.now += 60
    assert [hit["id"] for hit in service.search(word, 10)["results"]] == [later.id, first.id]
    assert reads.answers == ["body", "body", "ClientError"]  # unchanged: a 304, no transfer


def test_people_genres_typos_and_pages_from_the_stored_catalogue(in_process: Services) -> None:
    """The rebuild indexes what the title items hold: directors and cast (from `people`) and
    genres; the service pages through them with the reason for each result."""
    surname = unique("Zx").replace("-", "")
    people = (Person(name=f"Francesca {surname}", role="director"),
              Person(name=f"Tomas {surname}", role="actor"),
              Person(name="Someone Writing", role="writer"))
    films = [film(f"Film {i}", 10 - i, people=people, genres=("Drama",)) for i in range(3)]
    titled = film(f"{surname} The Film", 1)
    in_process.catalogue_writer.upsert([*films, titled])
    bucket = a_bucket(in_process)
    CatalogueIndexer(in_process.resources.s3, bucket, 1000, 6.8).rebuild()
    service = SearchService(in_process.resources.s3, bucket, 0,
                            in_process.settings.image_base_url)

    first = service.search(surname.lower(), 2)
    assert [(r["id"], r["match"]) for r in first["results"]] == [
        (titled.id, {"kind": "title", "text": titled.name}),
        (films[0].id, {"kind": "director", "text": f"directed by Francesca {surname}"})]
    assert (first["total"], first["total_exact"], first["next"]) == (4, True, 2)
    second = service.search(surname.lower(), 2, 2)
    assert [r["id"] for r in second["results"]] == [films[1].id, films[2].id]
    assert second["next"] is None and second["page"] == 2
    assert service.search(surname.lower(), 2, 3)["results"] == []
    beyond = service.search(surname.lower(), 50, 21)  # past the 1,000 listed: still counted
    assert (beyond["results"], beyond["total"], beyond["next"]) == ([], 4, None)
    assert [r["match"]["text"] for r in service.search(f"tomas {surname}", 5)["results"]] == [
        f"with Tomas {surname}"] * 3
    assert service.search("someone writing", 5)["total"] == 0  # writers are not indexed
    typo = service.search(f"{surname[:-1]}q francesca", 5)  # one edit in the surname
    assert typo["did_you_mean"] == f"{surname.lower()} francesca"
    assert [r["id"] for r in typo["results"]] == [f.id for f in films]
    one = service.search(f"{surname} the film", 5)
    assert (one["total"], len(one["results"]), one["next"]) == (1, 1, None)


def test_an_unreadable_index_is_unavailable_until_rebuilt_and_not_fetched_again(
        in_process: Services) -> None:
    bucket, clock = a_bucket(in_process), Clock()
    in_process.resources.s3.put_object(Bucket=bucket, Key=SEARCH_INDEX_KEY,
                                       Body=b"NFXS\x00an index of another format")
    reads = Reads(in_process.resources.s3)
    service = SearchService(reads, bucket, 60, in_process.settings.image_base_url, clock=clock)
    for _ in range(2):
        with pytest.raises(AppError) as waiting:
            service.search("anything", 10)
        assert (waiting.value.status, waiting.value.code) == (503, "search_unavailable")
    assert reads.answers == ["body", "ClientError"]  # the same bytes: a 304, no transfer
    word = unique("q")
    in_process.catalogue_writer.upsert([film(f"Readable {word}", 1)])
    CatalogueIndexer(in_process.resources.s3, bucket, 1000, 6.8).rebuild()
    clock.now += 60
    assert service.search(word, 10)["total"] == 1
