"""The catalogue writer in process: idempotent upserts, derived items kept in step with the
title, and the conditional write that keeps an asset attached while an import writes."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from chalicelib.catalogue.titles import match_keys
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.models import EpisodeModel, TitleModel
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.services import Services
from localcloud.isolation import unique


def film(title_id: str, name: str, *, genre: str, year: int | None = 2001,
         popularity: float = 1.0, imdb_id: str | None = None) -> TitleRecord:
    return TitleRecord(id=title_id, kind="film", name=name, source="generated", year=year,
                       genres=(genre,), popularity=popularity, imdb_id=imdb_id)


def series(title_id: str, episodes_per_season: Iterable[int]) -> TitleRecord:
    seasons = tuple(Season(number=n, name=f"Season {n}", episodes=tuple(
        Episode(number=e, name=f"{n}x{e:02d}") for e in range(1, count + 1)))
        for n, count in enumerate(episodes_per_season, start=1))
    return TitleRecord(id=title_id, kind="series", name="A Series", source="generated",
                       seasons=seasons)


def browse_ids(services: Services, genre: str) -> list[str]:
    cards, _ = services.catalogue.browse(Filters(genre=genre), 50, None)
    return [card["id"] for card in cards]


def test_a_second_upsert_of_the_same_records_writes_nothing(in_process: Services) -> None:
    genre = unique("genre-")
    records = [film(unique("w-"), "First", genre=genre), film(unique("w-"), "Second", genre=genre)]
    first = in_process.catalogue_writer.upsert(records)
    assert (first.created, first.updated, first.unchanged, first.failed) == (2, 0, 0, [])
    versions = {r.id: TitleModel.get(r.id).version for r in records}

    again = in_process.catalogue_writer.upsert(records)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert {r.id: TitleModel.get(r.id).version for r in records} == versions

    changed = in_process.catalogue_writer.upsert(
        [records[0], film(records[1].id, "Second, renamed", genre=genre)])
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    renamed = TitleModel.get(records[1].id)
    assert renamed.name == "Second, renamed" and renamed.version == versions[records[1].id] + 1


def test_duplicate_ids_in_one_batch_are_written_once_as_the_last_record(
        in_process: Services) -> None:
    title_id, genre = unique("w-"), unique("genre-")
    stats = in_process.catalogue_writer.upsert([film(title_id, "Draft", genre=genre),
                                                film(title_id, "Final", genre=genre)])
    assert (stats.created, stats.updated, stats.unchanged) == (1, 0, 0)
    assert TitleModel.get(title_id).name == "Final"


def test_only_created_or_changed_titles_are_announced(in_process: Services) -> None:
    told: list[list[str]] = []
    writer = in_process.catalogue_writer  # as built, its graph feed replaced by a recorder
    writer.on_saved = lambda titles: told.append(sorted(t.id for t in titles))
    genre = unique("genre-")
    kept, edited = film(unique("w-"), "Kept", genre=genre), film(unique("w-"), "Edited",
                                                                     genre=genre)
    writer.upsert([kept, edited])
    writer.upsert([kept, film(edited.id, "Edited again", genre=genre)])
    writer.upsert([kept])
    assert told == [sorted([kept.id, edited.id]), [edited.id]]


def test_a_changed_genre_moves_the_title_between_browse_partitions(
        in_process: Services) -> None:
    before, after = unique("genre-"), unique("genre-")
    title_id = unique("w-")
    in_process.catalogue_writer.upsert([film(title_id, "Wanderer", genre=before)])
    assert browse_ids(in_process, before) == [title_id]

    in_process.catalogue_writer.upsert([film(title_id, "Wanderer", genre=after)])
    assert browse_ids(in_process, before) == []  # the stale card is deleted
    assert browse_ids(in_process, after) == [title_id]


def test_a_series_keeps_only_the_episodes_its_latest_record_lists(in_process: Services) -> None:
    title_id = unique("w-series-")
    in_process.catalogue_writer.upsert([series(title_id, [3, 2])])
    assert [e.episode_key for e in EpisodeModel.query(title_id)] == [
        "0001#0001", "0001#0002", "0001#0003", "0002#0001", "0002#0002"]

    in_process.catalogue_writer.upsert([series(title_id, [2])])  # season 2 withdrawn
    assert [e.episode_key for e in EpisodeModel.query(title_id)] == ["0001#0001", "0001#0002"]
    assert [s["number"] for s in TitleModel.get(title_id).seasons] == [1]


def test_an_import_never_overwrites_the_encoders_asset(in_process: Services) -> None:
    genre, title_id = unique("genre-"), unique("w-")
    in_process.catalogue_writer.upsert([film(title_id, "Encoded", genre=genre)])
    asset = {"asset_id": unique("asset-"), "manifest": "manifest.mpd"}
    assert attach_asset(title_id, asset) is True

    stats = in_process.catalogue_writer.upsert([film(title_id, "Encoded (Director's Cut)",
                                                     genre=genre, popularity=5.0)])
    assert stats.updated == 1
    stored = TitleModel.get(title_id, consistent_read=True)
    assert stored.name == "Encoded (Director's Cut)" and stored.asset == asset
    (card,), _ = in_process.catalogue.browse(Filters(genre=genre), 10, None)
    assert card["playable"] is True


def test_an_asset_attached_between_the_read_and_the_write_is_kept(
        in_process: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The title write is conditional on the version read: a concurrent change makes it read
    the title again and keep what the other writer set."""
    genre, title_id = unique("genre-"), unique("w-")
    in_process.catalogue_writer.upsert([film(title_id, "Raced", genre=genre)])
    asset = {"asset_id": unique("asset-")}
    add_keys = match_keys.add
    raced: list[str] = []

    def add_then_race(title: str, keys: Iterable[str]) -> None:
        add_keys(title, keys)
        if title == title_id and not raced:  # after the writer read the title, before it writes
            raced.append(title)
            assert attach_asset(title_id, asset)

    monkeypatch.setattr(match_keys, "add", add_then_race)
    stats = in_process.catalogue_writer.upsert([film(title_id, "Raced, renamed", genre=genre)])

    assert raced == [title_id]
    assert (stats.updated, stats.failed) == (1, [])
    stored = TitleModel.get(title_id, consistent_read=True)
    assert stored.name == "Raced, renamed" and stored.asset == asset
