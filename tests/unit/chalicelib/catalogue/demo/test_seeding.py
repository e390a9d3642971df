"""The demo seed, in process: the films most reviewed first, in parts, and the series."""

from __future__ import annotations

from pathlib import Path

from chalicelib.catalogue.demo.seeding import seed
from chalicelib.catalogue.demo.titles import demo_series
from chalicelib.catalogue.demo.wikidata import wikidata_id
from chalicelib.services import Services
from tests.unit.chalicelib.catalogue.demo.movies_db import films, movies_db


def test_the_first_n_films_then_the_rest_and_the_series_once(
        in_process: Services, tmp_path: Path) -> None:
    rows = films(6)
    movies = movies_db(tmp_path / "movies.db", rows)
    seen: list[tuple[int, int]] = []
    series = len(demo_series())

    first = seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies,
                 progress=lambda done, total: seen.append((done, total)), films=2)
    rest = seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies, skip=2)

    assert first.source.kept == 6  # the file is read whole; only the writes are cut
    assert first.written.created + first.written.unchanged == 2 + series
    assert seen[-1] == (2 + series, 2 + series)
    assert rest.written.created + rest.written.unchanged == 4
    ids = [wikidata_id(str(row[0])) for row in rows]
    cards = in_process.catalogue.cards(ids + [r.id for r in demo_series()])
    assert [c["id"] for c in cards] == ids + [r.id for r in demo_series()]


def test_a_second_seed_changes_nothing(in_process: Services, tmp_path: Path) -> None:
    movies = movies_db(tmp_path / "movies.db", films(3))
    seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies)
    again = seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies)
    assert (again.written.created, again.written.updated) == (0, 0)
    assert again.written.unchanged == 3 + len(demo_series())
