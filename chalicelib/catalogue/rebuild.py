"""Rebuild what is derived from the whole catalogue: the search index, the rankings and the
browse choices (titles per genre, country, year and type).

Runs after an import or a seed changed titles (never on a request path). All read the
browse index's `all` facet: one item per title with exactly the fields they need, a few
hundred bytes each, already in popularity order, so one paged query replaces a scan of
the (much larger) title items. Search also indexes each title's directors and cast,
which only the title items hold: one scan of the titles projected to `id` and `people`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.catalogue.rankings import (
    CRITICS,
    DEFAULT_MIN_VOTES_PERCENTILE,
    Ranking,
    RatedFilm,
    priors,
    rank_countries,
    rating_scale,
)
from chalicelib.catalogue.search.index import SearchDoc, build
from chalicelib.catalogue.titles.choices import FACETS_KEY, FacetCounter
from chalicelib.catalogue.titles.models import FacetModel, RankingModel, TitleModel, str_list
from chalicelib.catalogue.titles.posters import frame_path
from chalicelib.platform.clock import iso
from chalicelib.platform.logs import child

log = child(__name__)
SEARCH_INDEX_KEY = "search/titles.idx"


@dataclass(frozen=True)
class RebuildReport:
    titles: int
    index_bytes: int
    countries: int
    #: The mean vote (C) of the scale most films are on; None when no film is rated.
    mean_vote: float | None
    seconds: float


def artwork_path(title: FacetModel) -> str | None:
    """What a search result shows: imported art, else the title's own frame once it has a
    stream (as of this rebuild; a title published since shows its generated poster until
    the next one)."""
    return title.poster_path or (frame_path(title.id) if title.playable else None)


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
    def __init__(self, s3: Any, data_bucket: str, min_votes: int | None,
                 mean: float | None = None,
                 min_votes_percentile: float = DEFAULT_MIN_VOTES_PERCENTILE) -> None:
        self.s3 = s3
        self.data_bucket = data_bucket
        #: m and C of the weighted rating; None: derived per scale (catalogue.rankings).
        self.min_votes = min_votes
        self.mean = mean
        self.min_votes_percentile = min_votes_percentile

    def rebuild(self) -> RebuildReport:
        started = time.perf_counter()
        docs: list[SearchDoc] = []
        films: list[RatedFilm] = []
        counter = FacetCounter()
        credits = _every_credit()
        for title in _every_title():
            counter.add(title)
            year = int(title.year) if title.year is not None else None
            countries = tuple(str_list(title.countries))
            directors, cast = credits.get(title.id, ((), ()))
            docs.append(SearchDoc(id=title.id, name=title.name, year=year,
                                  imdb_id=title.imdb_id, poster_path=artwork_path(title),
                                  country=countries[0] if countries else None, kind=title.kind,
                                  popularity=float(title.popularity or 0), directors=directors,
                                  cast=cast, genres=tuple(str_list(title.genres))))
            if title.kind == "film" and title.rating is not None and (title.votes or 0) > 0:
                films.append(RatedFilm(title.id, title.name, year, title.imdb_id,
                                       float(title.rating), int(title.votes), countries,
                                       title.poster_path, bool(title.playable),
                                       _scale(title)))
        self.s3.put_object(Bucket=self.data_bucket, Key=FACETS_KEY,
                           Body=counter.counts(iso()).to_json(),
                           ContentType="application/json")
        index = build(docs)
        self.s3.put_object(Bucket=self.data_bucket, Key=SEARCH_INDEX_KEY, Body=index,
                           ContentType="application/octet-stream")
        scale_priors = priors(films, self.min_votes, self.min_votes_percentile, self.mean)
        main = max(scale_priors, default=None,
                   key=lambda scale: (sum(f.scale == scale for f in films), scale == CRITICS))
        mean = scale_priors[main].mean if main is not None else None
        ranked = self._write_rankings(rank_countries(films, scale_priors))
        report = RebuildReport(len(docs), len(index), ranked, mean,
                               round(time.perf_counter() - started, 3))
        log.info("catalogue rebuilt", extra={"titles": report.titles,
                                             "index_bytes": report.index_bytes,
                                             "countries": ranked, "mean_vote": mean})
        return report

    def _write_rankings(self, ranked: dict[str, Ranking]) -> int:
        now = iso()
        gone = {r.country for r in RankingModel.scan(attributes_to_get=["country"])} - set(ranked)
        with RankingModel.batch_write() as batch:
            for country, ranking in ranked.items():
                batch.save(RankingModel(country, entries=ranking.entries,
                                        min_votes=ranking.prior.min_votes,
                                        mean=round(ranking.prior.mean, 4), scale=ranking.scale,
                                        computed_at=now))
            for country in gone:
                batch.delete(RankingModel(country))
        return len(ranked)


def _scale(title: FacetModel) -> str:
    """The scale of a title's rating; a browse item written before items carried their
    source is a demo film when its id is a Wikidata one (``wd-``)."""
    source = title.source or ("wikidata" if title.id.startswith("wd-") else None)
    return rating_scale(source)
