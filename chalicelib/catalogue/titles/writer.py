"""Write title records into the catalogue tables, idempotently.

For each record: its derived items (browse facets, episodes, match keys) are written first, then the
title itself with a conditional write (new: must not exist; existing: same version as
read), then derived items that no longer apply are deleted. A crash at any point leaves
every title readable, and running the same records again converges on the same state. A
record whose content is unchanged is not written at all. The encoder's `asset` on a title
is never overwritten by an import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import msgspec
from pynamodb.exceptions import PutError

from chalicelib.catalogue.titles import match_keys
from chalicelib.catalogue.titles.facets import PLAYABLE_FACET, facet_names, rank_key
from chalicelib.catalogue.titles.models import EpisodeModel, FacetModel, TitleModel, str_list
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.catalogue.titles.text import title_year_key
from chalicelib.platform.clock import iso
from chalicelib.platform.logs import child

log = child(__name__)
BATCH = 25
_ENCODE = msgspec.json.Encoder(order="deterministic")


@dataclass
class WriteStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated


def content_hash(record: TitleRecord) -> str:
    return hashlib.sha256(_ENCODE.encode(record)).hexdigest()[:32]


def _people(record: TitleRecord) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(p) for p in record.people]


def _seasons(record: TitleRecord) -> list[dict[str, Any]]:
    return [{"number": s.number, "name": s.name, "air_date": s.air_date,
             "episode_count": s.episode_count or len(s.episodes)} for s in record.seasons]


def title_item(record: TitleRecord, now: str) -> TitleModel:
    return TitleModel(
        record.id, kind=record.kind, source=record.source, name=record.name,
        original_name=record.original_name, name_key=title_year_key(record.name, record.year),
        year=record.year, overview=record.overview, genres=list(record.genres),
        countries=list(record.countries), people=_people(record), seasons=_seasons(record),
        runtime=record.runtime, rating=record.rating, votes=record.votes,
        popularity=record.popularity, poster_path=record.poster_path, tmdb_id=record.tmdb_id,
        imdb_id=record.imdb_id, languages=list(record.languages), maturity=record.maturity,
        content_hash=content_hash(record), fetched_at=now,
        updated_at=now)


def facet_items(title: TitleModel) -> list[FacetModel]:
    rank = rank_key(float(title.popularity), title.id)
    genres = str_list(title.genres)
    countries = str_list(title.countries)
    return [FacetModel(name, rank, id=title.id, kind=title.kind, name=title.name,
                       year=title.year, genres=genres, countries=countries, rating=title.rating,
                       votes=title.votes, popularity=title.popularity,
                       poster_path=title.poster_path, imdb_id=title.imdb_id,
                       playable=title.asset is not None, source=title.source)
            for name in facet_names_of(title)]


def facet_names_of(title: TitleModel) -> list[str]:
    """The browse partitions a title appears in; ``playable`` once it has an asset."""
    names = facet_names(title.kind, str_list(title.genres),
                        int(title.year) if title.year is not None else None,
                        str_list(title.countries))
    return [*names, PLAYABLE_FACET] if title.asset is not None else names


def facet_keys(title: TitleModel) -> set[tuple[str, str]]:
    rank = rank_key(float(title.popularity), title.id)
    return {(name, rank) for name in facet_names_of(title)}


def episode_items(record: TitleRecord) -> list[EpisodeModel]:
    return [EpisodeModel(record.id, f"{season.number:04d}#{episode.number:04d}",
                         season=season.number, number=episode.number, name=episode.name,
                         overview=episode.overview, runtime=episode.runtime,
                         air_date=episode.air_date)
            for season in record.seasons for episode in season.episodes]


class CatalogueWriter:
    """Upserts records; `workers` threads write titles of a batch side by side."""

    def __init__(self, workers: int = 8, clock: Callable[[], str] = iso,
                 on_saved: Callable[[list[TitleModel]], None] | None = None) -> None:
        self.workers = workers
        self.clock = clock
        #: Told about the titles each chunk created or changed (the recommendation graph).
        self.on_saved = on_saved

    def upsert(self, records: Iterable[TitleRecord],
               progress: Callable[[int], None] | None = None) -> WriteStats:
        stats = WriteStats()
        chunk: list[TitleRecord] = []
        with ThreadPoolExecutor(self.workers, thread_name_prefix="catalogue-writer") as pool:
            for record in records:
                chunk.append(record)
                if len(chunk) == 100:
                    self._upsert_chunk(chunk, stats, pool)
                    if progress:
                        progress(len(chunk))
                    chunk = []
            if chunk:
                self._upsert_chunk(chunk, stats, pool)
                if progress:
                    progress(len(chunk))
        return stats

    def _upsert_chunk(self, chunk: Sequence[TitleRecord], stats: WriteStats,
                      pool: ThreadPoolExecutor) -> None:
        unique = list({r.id: r for r in chunk}.values())
        existing = {t.id: t for t in TitleModel.batch_get([r.id for r in unique],
                                                            consistent_read=True)}
        todo = [r for r in unique
                if r.id not in existing or existing[r.id].content_hash != content_hash(r)]
        stats.unchanged += len(unique) - len(todo)
        if not todo:
            return
        now = self.clock()
        items = {r.id: title_item(r, now) for r in todo}
        for record in todo:
            old = existing.get(record.id)
            if old is not None:
                items[record.id].asset = old.asset
                items[record.id].admin_maturity = old.admin_maturity
        with FacetModel.batch_write() as facets:
            for item in items.values():
                for facet in facet_items(item):
                    facets.save(facet)
        with EpisodeModel.batch_write() as episodes:
            for record in todo:
                for episode in episode_items(record):
                    episodes.save(episode)
        list(pool.map(lambda item: match_keys.add(item.id, match_keys.title_keys(item)),
                      items.values()))
        outcomes = pool.map(lambda r: self._save_title(items[r.id], existing.get(r.id), r),
                            todo)
        saved: list[TitleModel] = []
        for record, outcome in zip(todo, outcomes, strict=True):
            if outcome is None:
                stats.updated += record.id in existing
                stats.created += record.id not in existing
                saved.append(items[record.id])
            else:
                stats.failed.append((record.id, outcome))
        if saved and self.on_saved is not None:
            self.on_saved(saved)

    def _save_title(self, item: TitleModel, old: TitleModel | None,
                    record: TitleRecord) -> str | None:
        """Conditionally write one title and tidy what it left behind; an error or None."""
        for _ in range(3):
            if old is not None:
                item.version = old.version
            else:
                item.attribute_values.pop("version", None)
            try:
                item.save()
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    return f"{type(exc).__name__}: {exc.cause_response_message or exc}"
                old = _current(item.id)
                if old is not None:
                    item.asset = old.asset
                    item.admin_maturity = old.admin_maturity
                continue
            if old is not None:
                self._remove_stale(old, item, record)
            return None
        return "ConflictError: the title kept changing while it was written"

    @staticmethod
    def _remove_stale(old: TitleModel, new: TitleModel, record: TitleRecord) -> None:
        stale = facet_keys(old) - facet_keys(new)
        match_keys.remove(old.id, match_keys.title_keys(old) - match_keys.title_keys(new))
        keep_episodes = {e.episode_key for e in episode_items(record)}
        old_episodes = ([e.episode_key for e in EpisodeModel.query(old.id)]
                        if old.kind == "series" else [])
        with FacetModel.batch_write() as facets:
            for name, rank in stale:
                facets.delete(FacetModel(name, rank))
        with EpisodeModel.batch_write() as episodes:
            for key in old_episodes:
                if key not in keep_episodes:
                    episodes.delete(EpisodeModel(old.id, key))


def _current(title_id: str) -> TitleModel | None:
    try:
        return TitleModel.get(title_id, consistent_read=True)
    except TitleModel.DoesNotExist:
        return None
