"""Read an uploaded IMDb CSV export from a request, with 4xx answers for bad uploads.

The file comes as the body (`text/csv`, as browsers label `.csv` files, or `text/plain`),
or inside JSON as `{"csv": "..."}` for script clients. Chalice is told to let every type
through so that authentication answers first; the type is checked here.
"""

from __future__ import annotations

from chalice.app import Request

from chalicelib.catalogue.importing.imdb_csv import CsvProblem, ImdbRow, TooManyRows, decode, parse
from chalicelib.platform.errors import catalogued
from chalicelib.platform.json_input import load_json

CSV_TYPES = ("text/csv", "application/csv", "application/vnd.ms-excel", "text/plain")
#: What Chalice lets through to the handler (anything else is refused before it).
ACCEPTED_TYPES = [*CSV_TYPES, "application/json", "application/octet-stream",
                  "application/x-www-form-urlencoded", "multipart/form-data"]


def _csv_bytes(request: Request, data: bytes) -> bytes:
    media_type = str(request.headers.get("content-type", "")).split(";")[0].strip().lower()
    if media_type in CSV_TYPES:
        return data
    if media_type == "application/json":
        body = load_json(data)  # limits, and a lone surrogate is a 400 text_not_unicode
        if not isinstance(body, dict) or set(body) != {"csv"} or not isinstance(body["csv"],
                                                                                 str):
            raise catalogued("csv_type")
        return str(body["csv"]).encode()
    raise catalogued("csv_type")


def _body_bytes(raw: str | bytes) -> bytes:
    if not isinstance(raw, str):
        return bytes(raw)
    try:
        return raw.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate (\ud800) is no character
        raise catalogued("text_not_unicode", field="The body") from exc


def parse_imdb_csv(request: Request, max_bytes: int) -> list[ImdbRow]:
    data = _body_bytes(request.raw_body or b"")
    if len(data) > max_bytes:
        raise catalogued("body_too_large", limit=max_bytes)
    try:
        return parse(decode(_csv_bytes(request, data)))
    except CsvProblem as exc:
        raise catalogued("bad_csv", line=exc.line, problem=exc.problem) from exc
    except TooManyRows as exc:
        raise catalogued("imdb_too_many_rows", limit=exc.limit) from exc
