"""IMDb list import benchmark: matching 1,000 rows, per-row GSI queries against batched reads.

Against a private moto stack holding 2,000 generated titles (half with an IMDb id), a list of
1,000 rows (400 matched by IMDb id, 300 by name and year, 300 matching nothing, the costliest
kind: two lookups each) is matched side by side:
- before: each row queried the ``by-imdb`` GSI, then the ``by-name-year`` GSI when that found
  nothing (8 threads, as the importer did);
- after: every row's keys read from ``title-match-keys`` 100 per BatchGetItem, then the
  candidate titles 100 per BatchGetItem
  (:func:`chalicelib.catalogue.importing.imdb_import.find_all`).
Both must give the same titles. DynamoDB requests are counted where pynamodb sends them.
Recording the matches (BatchWriteItem, 25 per call) is the same in both and not measured.

Run: `.venv/bin/python -m bench.imdb_import` (about a minute).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.catalogue.importing.imdb_csv import ImdbRow
from chalicelib.catalogue.titles.models import TitleModel

TITLES = 2_000
ROWS = 1_000
RUNS = 3


def per_row_find(row: ImdbRow) -> TitleModel | None:
    """The import's lookup before the match-keys table: up to two GSI queries a row."""
    from chalicelib.catalogue.importing.imdb_import import _best
    from chalicelib.catalogue.titles.text import title_year_key

    by_id = list(TitleModel.by_imdb.query(row.imdb_id, limit=5))
    if by_id:
        return _best(by_id)
    if row.year is None:
        return None
    return _best(list(TitleModel.by_name_year.query(title_year_key(row.title, row.year),
                                                    limit=20)))


def per_row(rows: Sequence[ImdbRow]) -> list[TitleModel | None]:
    with ThreadPoolExecutor(8, thread_name_prefix="imdb-match") as pool:
        return list(pool.map(per_row_find, rows))


class CountingDispatch:
    """Counts pynamodb's DynamoDB requests by operation while installed."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __enter__(self) -> CountingDispatch:
        from pynamodb.connection.base import Connection

        self._original = Connection.dispatch
        original, calls = self._original, self.calls

        def counting(connection: Connection, operation_name: str,
                     operation_kwargs: dict[str, Any]) -> dict[str, Any]:
            calls[operation_name] += 1
            return original(connection, operation_name, operation_kwargs)

        Connection.dispatch = counting  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        from pynamodb.connection.base import Connection

        Connection.dispatch = self._original  # type: ignore[method-assign]


def rows() -> list[ImdbRow]:
    def row(n: int, imdb_id: str, title: str, year: int) -> ImdbRow:
        return ImdbRow(line=n + 2, imdb_id=imdb_id, title=title, year=year,
                       personal_rating=1 + n % 10, date_rated=None, title_type="movie",
                       imdb_rating=None)

    by_id = [row(n, f"tt{5_000_000 + 2 * n}", f"IMDb's name {n}", 1990) for n in range(400)]
    by_name = [row(n, f"tt{6_000_000 + n}", f"Bench Film {2 * n + 1}", 1980 + (2 * n + 1) % 40)
               for n in range(400, 700)]
    nowhere = [row(n, f"tt{7_000_000 + n}", f"Nobody's Film {n}", 2001) for n in range(700, ROWS)]
    return by_id + by_name + nowhere


def measure(match: Callable[[Sequence[ImdbRow]], list[TitleModel | None]],
            listed: list[ImdbRow]) -> tuple[list[str | None], Counter[str], float]:
    seconds = []
    for _ in range(RUNS):
        with CountingDispatch() as counted:
            started = time.perf_counter()
            found = match(listed)
            seconds.append(time.perf_counter() - started)
    return [t.id if t else None for t in found], counted.calls, statistics.median(seconds)


def main() -> None:
    from bench.harness import private_stack
    from chalicelib.catalogue.importing.imdb_import import find_all
    from chalicelib.catalogue.titles.records import TitleRecord
    from chalicelib.platform.resources import Resources
    from chalicelib.services import Services

    with private_stack() as (settings, _api):
        services = Services(Resources(settings))
        services.catalogue_writer.upsert([
            TitleRecord(id=f"bench-{n}", kind="film", name=f"Bench Film {n}", source="generated",
                        year=1980 + n % 40, popularity=n / 10,
                        imdb_id=f"tt{5_000_000 + n}" if n % 2 == 0 else None)
            for n in range(TITLES)])
        listed = rows()
        before, before_calls, before_s = measure(per_row, listed)
        after, after_calls, after_s = measure(find_all, listed)
    assert before == after, "the two ways must match the same titles"
    assert sum(t is not None for t in after) == 700
    print(f"Matching an IMDb list of {ROWS:,} rows against {TITLES:,} titles (moto; median of "
          f"{RUNS}):")
    print(f"{'how':<44} {'DynamoDB calls':>15} {'seconds':>9}")
    for name, calls, seconds in (("before: GSI queries per row (8 threads)", before_calls,
                                  before_s),
                                 ("after: batched match keys + titles", after_calls, after_s)):
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"{name:<44} {sum(calls.values()):>15,} {seconds:9.2f}   ({detail})")
    ratio = sum(before_calls.values()) / sum(after_calls.values())
    print(f"ratio before/after: calls {ratio:.0f}x, time {before_s / after_s:.1f}x")


if __name__ == "__main__":
    main()
