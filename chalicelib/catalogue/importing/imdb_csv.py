"""Parse the CSV that IMDb exports for a user's ratings (or a list / watchlist).

Columns: Const, Your Rating, Date Rated, Title, URL, Title Type, IMDb Rating,
Runtime (mins), Year, Genres, Num Votes, Release Date, Directors. Lists and watchlists
carry Const, Title and Year too but no rating. Any problem is reported with the line it is
on, counting the header as line 1.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from chalicelib.platform.digits import is_whole_number

REQUIRED = ("Const", "Title")
#: Rows one import may hold: it bounds a request's work (about 150 batched reads and one
#: update per matched row); IMDb's exports of most users' ratings fit.
MAX_ROWS = 5_000
_IMDB_ID = re.compile(r"tt\d{5,10}")


class CsvProblem(ValueError):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class TooManyRows(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows")
        self.limit = limit


@dataclass(frozen=True)
class ImdbRow:
    line: int
    imdb_id: str
    title: str
    year: int | None
    personal_rating: int | None
    date_rated: str | None
    title_type: str | None
    imdb_rating: float | None


def _int(value: str, line: int, column: str, low: int, high: int) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not is_whole_number(value) or not low <= int(value) <= high:
        raise CsvProblem(line, f"{column} must be a whole number from {low} to {high}, "
                               f"not {value[:20]!r}")
    return int(value)


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number <= 10 else None


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CsvProblem(line, "the file is not UTF-8 text") from exc


def parse(text: str, max_rows: int = MAX_ROWS) -> list[ImdbRow]:
    """The rows; CsvProblem for a malformed file, TooManyRows beyond `max_rows`."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CsvProblem(reader.line_num or 1, f"not valid CSV ({exc})") from exc
    if not header:
        raise CsvProblem(1, "the file is empty; expected IMDb's CSV export with a header")
    columns = {name.strip(): i for i, name in enumerate(header)}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise CsvProblem(1, f"the header lacks {', '.join(missing)}; is this IMDb's export?")
    rows: list[ImdbRow] = []
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvProblem(reader.line_num, f"not valid CSV ({exc})") from exc
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise CsvProblem(line, f"expected {len(header)} fields, found {len(fields)}")
        if len(rows) == max_rows:
            raise TooManyRows(max_rows)
        rows.append(_row(fields, columns, line))
    return rows


def _row(fields: list[str], columns: dict[str, int], line: int) -> ImdbRow:
    def get(name: str) -> str:
        index = columns.get(name)
        return fields[index].strip() if index is not None else ""

    imdb_id = get("Const")
    if not _IMDB_ID.fullmatch(imdb_id):
        raise CsvProblem(line, f"Const must be an IMDb id like tt0111161, not {imdb_id[:20]!r}")
    title = get("Title")
    if not title:
        raise CsvProblem(line, "Title is empty")
    date_rated = get("Date Rated") or None
    if date_rated is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_rated):
        raise CsvProblem(line, f"Date Rated must be YYYY-MM-DD, not {date_rated[:20]!r}")
    return ImdbRow(line=line, imdb_id=imdb_id, title=title[:300],
                   year=_int(get("Year"), line, "Year", 1870, 2100),
                   personal_rating=_int(get("Your Rating"), line, "Your Rating", 1, 10),
                   date_rated=date_rated, title_type=get("Title Type") or None,
                   imdb_rating=_float(get("IMDb Rating")))
