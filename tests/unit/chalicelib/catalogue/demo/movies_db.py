"""A small movies.db laid out as bokeh-sampledata's, for the demo catalogue's tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

OMDB = ("CREATE TABLE omdb (ID INTEGER, imdbID TEXT, Title TEXT, Year INTEGER, Rating TEXT, "
        "Runtime REAL, Genre TEXT, Released TEXT, Director TEXT, Writer TEXT, \"Cast\" TEXT, "
        "Language TEXT, Country TEXT)")
TOMATOES = "CREATE TABLE tomatoes (ID INTEGER, Rating REAL, Reviews INTEGER)"


def movies_db(path: Path, rows: list[tuple[object, ...]]) -> Path:
    """A movies.db with the data set's layout; rows are omdb's columns then the critics'."""
    with sqlite3.connect(path) as db:
        db.execute(OMDB)
        db.execute(TOMATOES)
        for n, (imdb, title, year, runtime, genre, director, cast, language, country,
                critics, reviews) in enumerate(rows, start=1):
            db.execute("INSERT INTO omdb VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, ?, NULL, ?, ?, ?)",
                       (n, imdb, title, year, runtime, genre, director, cast, language,
                        country))
            db.execute("INSERT INTO tomatoes VALUES (?, ?, ?)", (n, critics, reviews))
    return path


def films(count: int) -> list[tuple[object, ...]]:
    """``count`` plain rows, the first the most reviewed."""
    return [(f"tt{n:07d}", f"Seed Film {n}", 1990 + n % 30, 100.0, "Drama", "A Director",
             "An Actor", "English", "France", 7.0, 1000 - n) for n in range(count)]
