"""Rebuild what is derived from the whole catalogue: the search index and the rankings.

Runs after an import or a seed changed titles (never on a request path). Both read the
browse index's `all` facet: one item per title with the card's fields, a few hundred bytes
each, already in popularity order. Search also indexes each title's directors and cast,
which only the title items hold: one scan of the titles projected to `id` and `people`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.catalogue.rankings import RatedFilm, best_by_country, mean_vote
from chalicelib.catalogue.search.index import SearchDoc, build
from chalicelib.catalogue.titles.models import FacetModel, RankingModel, TitleModel, str_list
from chalicelib.platform.clock import iso
from chalicelib.platform.logs import child

log = child(__name__)
SEARCH_INDEX_KEY = "search/titles.idx"


@dataclass(frozen=True)
class RebuildReport:
    titles: int
    index_bytes: int
    countries: int
    mean_vote: float | None
    seconds: float


def _every_title() -> Iterator[FacetModel]:
    return iter(FacetModel.query("all", page_size=1000))


#: (directors, cast) of a title, as search indexes them.
Credits = tuple[tuple[str, ...], tuple[str, ...]]


def _every_credit() -> dict[str, Credits]:
    """Each title's directors and cast, from one scan of the titles projected to their
    people (the facets do not carry them)."""
    credits: dict[str, Credits] = {}
    for title in TitleModel.scan(attributes_to_get=["id", "people"], page_size=1000):
        people = title.people or []
        directors = tuple(str(p["name"]) for p in people if p.get("role") == "director")
        cast = tuple(str(p["name"]) for p in people if p.get("role") == "actor")
        if directors or cast:
            credits[title.id] = (directors, cast)
    return credits


class CatalogueIndexer:
    def __init__(self, s3: Any, data_bucket: str, min_votes: int,
                 mean: float | None = None) -> None:
        self.s3 = s3
        self.data_bucket = data_bucket
        self.min_votes = min_votes
        self.mean = mean

    def rebuild(self) -> RebuildReport:
        started = time.perf_counter()
        docs: list[SearchDoc] = []
        films: list[RatedFilm] = []
        credits = _every_credit()
        for title in _every_title():
            year = int(title.year) if title.year is not None else None
            countries = tuple(str_list(title.countries))
            directors, cast = credits.get(title.id, ((), ()))
            docs.append(SearchDoc(id=title.id, name=title.name, year=year,
                                  imdb_id=title.imdb_id, poster_path=title.poster_path,
                                  country=countries[0] if countries else None, kind=title.kind,
                                  popularity=float(title.popularity or 0), directors=directors,
                                  cast=cast, genres=tuple(str_list(title.genres))))
            if title.kind == "film" and title.rating is not None and (title.votes or 0) > 0:
                films.append(RatedFilm(title.id, title.name, year, title.imdb_id,
                                       float(title.rating), int(title.votes), countries))
        index = build(docs)
        self.s3.put_object(Bucket=self.data_bucket, Key=SEARCH_INDEX_KEY, Body=index,
                           ContentType="application/octet-stream")
        mean = self.mean if self.mean is not None else mean_vote(films)
        ranked = self._write_rankings(films, mean) if mean is not None else 0
        report = RebuildReport(len(docs), len(index), ranked, mean,
                               round(time.perf_counter() - started, 3))
        log.info("catalogue rebuilt", extra={"titles": report.titles,
                                             "index_bytes": report.index_bytes,
                                             "countries": ranked, "mean_vote": mean})
        return report

    def _write_rankings(self, films: list[RatedFilm], mean: float) -> int:
        ranked = best_by_country(films, self.min_votes, mean)
        now = iso()
        gone = {r.country for r in RankingModel.scan(attributes_to_get=["country"])} - set(ranked)
        with RankingModel.batch_write() as batch:
            for country, entries in ranked.items():
                batch.save(RankingModel(country, entries=entries, min_votes=self.min_votes,
                                        mean=round(mean, 4), computed_at=now))
            for country in gone:
                batch.delete(RankingModel(country))
        return len(ranked)
