"""Read the catalogue: browse pages, a title, a season's episodes, a country's ranking."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from chalicelib.catalogue.rankings import MIN_RATED_FILMS
from chalicelib.catalogue.titles.browse_plan import Plan, candidate_facets, plan, smallest_facet
from chalicelib.catalogue.titles.choices import FacetCounts
from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.facets import genre_key
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
    RankedTitle,
    Season,
    SeasonSummary,
    Title,
    TitleCard,
)
from chalicelib.platform.errors import catalogued

MAX_ID_LENGTH = 64
#: Items of the queried partition a page reads before it returns what it found (a cursor
#: goes on from there); with nothing found yet it reads on up to HARD_READ_BUDGET, so a
#: page is empty only when nothing matches (or, in a huge catalogue, nothing matched in the
#: first HARD_READ_BUDGET items, and `next` goes on from there).
READ_BUDGET = 5_000
HARD_READ_BUDGET = 50_000
#: Largest DynamoDB page a filtered read asks for (its pages grow to it 4x at a time).
MAX_QUERY_PAGE = 1_000


def find_title(title_id: str) -> TitleModel:
    """A title by id; 404 ``title_not_found`` for an unknown or impossible id."""
    if not 0 < len(title_id) <= MAX_ID_LENGTH:
        raise catalogued("title_not_found")
    try:
        return TitleModel.get(title_id)
    except TitleModel.DoesNotExist as exc:
        raise catalogued("title_not_found") from exc


def card(item: FacetModel | TitleModel, image_base: str) -> TitleCard:
    playable = bool(item.playable if isinstance(item, FacetModel) else item.asset is not None)
    return {"id": item.id, "kind": item.kind, "name": item.name,
            "year": int(item.year) if item.year is not None else None,
            "genres": str_list(item.genres), "countries": str_list(item.countries),
            "rating": float(item.rating) if item.rating is not None else None,
            "imdb_id": item.imdb_id,
            "poster_url": poster_url(item.poster_path, image_base, item.id, playable),
            "has_poster": bool(item.poster_path), "playable": playable}


def _encode_cursor(facet: str, rank: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([facet, rank]).encode()).decode().rstrip("=")


def _decode_cursor(facets: list[str], cursor: str) -> tuple[str, dict[str, Any]]:
    """The partition a cursor reads (one of ``facets``) and where it goes on."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        facet, rank = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError) as exc:
        raise catalogued("bad_cursor") from exc
    if facet not in facets or not isinstance(rank, str) or not 0 < len(rank) <= 200:
        raise catalogued("bad_cursor")
    return facet, {"facet": {"S": facet}, "rank": {"S": rank}}


def read_page(query: Plan, limit: int, start: dict[str, Any] | None
              ) -> tuple[list[FacetModel], str | None]:
    """Up to ``limit`` matching items from ``start``, and a cursor only when more match.

    Reads on through the partition's DynamoDB pages until it holds one match more than the
    page (so the last page has no cursor), the partition ends, or the read budget is spent.
    """
    unfiltered = query.condition is None
    pages = FacetModel.query(query.facet, filter_condition=query.condition,
                             page_size=limit + 1 if unfiltered else min(
                                 max(4 * (limit + 1), 100), MAX_QUERY_PAGE),
                             last_evaluated_key=start).page_iter
    found: list[FacetModel] = []
    for page in pages:
        for raw in page.get("Items", []):
            if len(found) == limit:  # one more match than the page holds
                return found, _encode_cursor(query.facet, found[-1].rank)
            found.append(FacetModel.from_raw_data(raw))
        last = pages.last_evaluated_key
        if last is None:
            break
        read = pages.total_scanned_count
        if read >= HARD_READ_BUDGET or (found and read >= READ_BUDGET):
            return found, _encode_cursor(query.facet, last["rank"]["S"])
        if not unfiltered:
            pages.page_size = min(4 * (pages.page_size or limit), MAX_QUERY_PAGE)
    return found, None


def _episode(item: EpisodeModel) -> Episode:
    return {"number": int(item.number), "name": item.name, "overview": item.overview,
            "runtime": int(item.runtime) if item.runtime is not None else None,
            "air_date": item.air_date, "playable": item.asset is not None}


class CatalogueReader:
    def __init__(self, image_base: str,
                 counts: Callable[[], FacetCounts] = FacetCounts) -> None:
        self.image_base = image_base
        #: The browse choices' counts as of the last rebuild (FacetChoicesStore.counts).
        self._counts = counts

    def browse(self, filters: Filters, limit: int, cursor: str | None
               ) -> tuple[list[TitleCard], str | None]:
        """A page of titles matching every filter, most popular first, and the cursor of the
        next page (None on the last)."""
        candidates = candidate_facets(filters)
        if cursor:
            facet, start = _decode_cursor(candidates, cursor)
        else:
            facet, start = smallest_facet(candidates, self.choices()), None
        found, next_cursor = read_page(plan(filters, facet, self.genre_spellings), limit, start)
        return [card(item, self.image_base) for item in found], next_cursor

    def choices(self) -> FacetCounts:
        """The catalogue's genres, countries, years and types with their titles' counts."""
        return self._counts()

    def genre_spellings(self, genre: str) -> list[str]:
        """Every spelling of ``genre`` titles carry (the rebuild's counts; for a genre newer
        than the last rebuild, one title's); "drama" finds "Drama"."""
        known = self.choices().genre_spellings(genre)
        if not known:
            key = genre_key(genre)
            sample = next(iter(FacetModel.query(f"genre#{key}", limit=1)), None)
            known = [g for g in str_list(sample.genres if sample else None)
                     if genre_key(g) == key]
        return sorted({genre, *known})

    def title(self, title_id: str) -> TitleModel:
        return find_title(title_id)

    def names(self, title_ids: list[str]) -> dict[str, str]:
        """{title id: name} of these titles (unknown ids left out), reading those two
        attributes only (the jobs console asks every 2 s)."""
        if not title_ids:
            return {}
        return {t.id: t.name for t in TitleModel.batch_get(
            title_ids, attributes_to_get=["id", "name"])}

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
                "languages": str_list(title.languages), "asset": title.asset,
                "maturity": title.maturity_rating}

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
            "titles": [self._ranked(entry) for entry in list(ranking.entries or [])[:limit]]}
        if ranking.scale:
            found["scale"] = ranking.scale
        return found

    def _ranked(self, entry: RankedTitle) -> RankedTitle:
        """A stored ranking entry with its poster's address (as a card has it)."""
        return {**entry, "poster_url": poster_url(entry.get("poster_path"), self.image_base,
                                                  entry["id"], bool(entry.get("playable")))}
