"""The demo seed, in process: all films or the first N, always the demo series."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.catalogue.demo.seeding import seed
from chalicelib.catalogue.demo.titles import demo_series
from chalicelib.services import Services


def films_file(path: Path, count: int) -> Path:
    rows = [{"Title": f"Seed Film {n}", "Release Date": f"{1990 + n}-01-01",
             "IMDB Rating": 6.5, "IMDB Votes": 1000 + n, "Major Genre": "Drama"}
            for n in range(count)]
    path.write_text(json.dumps(rows))
    return path


def test_the_first_n_films_and_every_demo_series(in_process: Services, tmp_path: Path) -> None:
    movies = films_file(tmp_path / "movies.json", 6)
    seen: list[tuple[int, int]] = []

    result = seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies,
                  progress=lambda done, total: seen.append((done, total)), films=2)

    series = len(demo_series())
    assert result.source.kept == 6  # the file is read whole; only the writes are cut
    assert result.written.created + result.written.unchanged == 2 + series
    assert seen[-1] == (2 + series, 2 + series)
    names = {card["name"] for card in in_process.catalogue.cards([r.id for r in demo_series()])}
    assert names == {r.name for r in demo_series()}


def test_without_a_limit_every_film_is_written(in_process: Services, tmp_path: Path) -> None:
    movies = films_file(tmp_path / "movies.json", 5)
    result = seed(in_process.catalogue_writer, in_process.catalogue_indexer, movies)
    assert result.written.created + result.written.unchanged == 5 + len(demo_series())
