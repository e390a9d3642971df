"""Read the catalogue: browse pages, a title, a season's episodes, a country's ranking."""

from __future__ import annotations

import base64
import json
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.catalogue.rankings import MIN_RATED_FILMS
from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.facets import choose_facet, genre_key
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.models import (
    EpisodeModel,
    FacetModel,
    RankingModel,
    TitleModel,
    str_list,
)
from chalicelib.catalogue.titles.posters import poster_url
from chalicelib.openapi.responses import (
    CountryRanking,
    Episode,
    Season,
    SeasonSummary,
    Title,
    TitleCard,
)
from chalicelib.platform.errors import catalogued

MAX_ID_LENGTH = 64
#: Queries per page at most: a rare filter combination returns a short page and a cursor.
MAX_QUERIES_PER_PAGE = 5


def find_title(title_id: str) -> TitleModel:
    """A title by id; 404 ``title_not_found`` for an unknown or impossible id."""
    if not 0 < len(title_id) <= MAX_ID_LENGTH:
        raise catalogued("title_not_found")
    try:
        return TitleModel.get(title_id)
    except TitleModel.DoesNotExist as exc:
        raise catalogued("title_not_found") from exc


def filter_condition(filters: Filters, facet: str) -> Condition | None:
    """The filters the chosen facet does not already apply."""
    parts: list[Condition] = []
    if filters.kind and facet != f"type#{filters.kind}":
        parts.append(FacetModel.kind == filters.kind)
    if filters.genre and facet != f"genre#{genre_key(filters.genre)}":
        parts.append(FacetModel.genres.contains(filters.genre))
    if filters.year is not None and facet != f"year#{filters.year}":
        parts.append(FacetModel.year == filters.year)
    if filters.country and facet != f"country#{filters.country}":
        parts.append(FacetModel.countries.contains(filters.country))
    condition: Condition | None = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


def card(item: FacetModel | TitleModel, image_base: str) -> TitleCard:
    return {"id": item.id, "kind": item.kind, "name": item.name,
            "year": int(item.year) if item.year is not None else None,
            "genres": str_list(item.genres), "countries": str_list(item.countries),
            "rating": float(item.rating) if item.rating is not None else None,
            "imdb_id": item.imdb_id, "poster_url": poster_url(item.poster_path, image_base),
            "has_poster": bool(item.poster_path),
            "playable": (item.playable if isinstance(item, FacetModel)
                         else item.asset is not None)}


def _encode_cursor(facet: str, rank: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([facet, rank]).encode()).decode().rstrip("=")


def _decode_cursor(facet: str, cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        got_facet, rank = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError) as exc:
        raise catalogued("bad_cursor") from exc
    if got_facet != facet or not isinstance(rank, str) or not 0 < len(rank) <= 200:
        raise catalogued("bad_cursor")
    return {"facet": {"S": facet}, "rank": {"S": rank}}


def _episode(item: EpisodeModel) -> Episode:
    return {"number": int(item.number), "name": item.name, "overview": item.overview,
            "runtime": int(item.runtime) if item.runtime is not None else None,
            "air_date": item.air_date, "playable": item.asset is not None}


class CatalogueReader:
    def __init__(self, image_base: str) -> None:
        self.image_base = image_base

    def browse(self, filters: Filters, limit: int, cursor: str | None
               ) -> tuple[list[TitleCard], str | None]:
        facet = choose_facet(filters.kind, filters.genre, filters.year, filters.country)
        start = _decode_cursor(facet, cursor) if cursor else None
        condition = filter_condition(filters, facet)
        found: list[FacetModel] = []
        pages = FacetModel.query(facet, filter_condition=condition,
                                 page_size=max(limit * 2, 25), last_evaluated_key=start).page_iter
        next_cursor: str | None = None
        for number, page in enumerate(pages, start=1):
            items = [FacetModel.from_raw_data(raw) for raw in page.get("Items", [])]
            room = limit - len(found)
            found.extend(items[:room])
            if len(items) > room:  # the page holds more matches than this page of results
                next_cursor = _encode_cursor(facet, found[-1].rank)
                break
            last = pages.last_evaluated_key
            next_cursor = _encode_cursor(facet, last["rank"]["S"]) if last else None
            if len(found) == limit or number == MAX_QUERIES_PER_PAGE:
                break
        return [card(item, self.image_base) for item in found], next_cursor

    def title(self, title_id: str) -> TitleModel:
        return find_title(title_id)

    def cards(self, title_ids: list[str]) -> list[TitleCard]:
        """The cards of these titles, in this order (unknown ids are left out)."""
        titles = {t.id: t for t in TitleModel.batch_get(title_ids)} if title_ids else {}
        return [card(titles[i], self.image_base) for i in title_ids if i in titles]

    def details(self, title_id: str) -> Title:
        return self.describe(self.title(title_id))

    def describe(self, title: TitleModel) -> Title:
        """A title's page data, from a title already read."""
        return {**card(title, self.image_base), "original_name": title.original_name,
                "overview": title.overview,
                "runtime": int(title.runtime) if title.runtime is not None else None,
                "votes": int(title.votes or 0), "popularity": float(title.popularity or 0),
                "tmdb_id": int(title.tmdb_id) if title.tmdb_id is not None else None,
                "people": title.people or [], "seasons": title.seasons or [],
                "languages": str_list(title.languages), "asset": title.asset}

    def season(self, title_id: str, number: int,
               title: TitleModel | None = None) -> Season:
        """A season's episodes (``title``: the title when the caller has read it already)."""
        title = title if title is not None and title.id == title_id else self.title(title_id)
        seasons: list[SeasonSummary] = title.seasons or []  # as the catalogue writer stores them
        summary = next((s for s in seasons if s.get("number") == number), None)
        if title.kind != "series" or summary is None:
            raise catalogued("season_not_found", season=number)
        episodes = EpisodeModel.query(title_id, EpisodeModel.episode_key.startswith(
            f"{number:04d}#"))
        return {"title": {"id": title.id, "name": title.name}, **summary,
                "episodes": [_episode(e) for e in episodes]}

    def ranking(self, country: str, limit: int) -> CountryRanking:
        """A country's best films; 404 ``no_ranking`` when it has too few rated films."""
        name = country_name(country)
        if name is None:
            raise catalogued("unknown_country", country=country[:8])
        code = country.upper()
        try:
            ranking = RankingModel.get(code)
        except RankingModel.DoesNotExist as exc:
            raise catalogued("no_ranking", country_name=name, minimum=MIN_RATED_FILMS) from exc
        found: CountryRanking = {
            "country": code, "country_name": name, "min_votes": int(ranking.min_votes),
            "mean_vote": float(ranking.mean), "computed_at": ranking.computed_at,
            "titles": list(ranking.entries or [])[:limit]}
        if ranking.scale:
            found["scale"] = ranking.scale
        return found
