"""Read an uploaded IMDb CSV export from a request, with 4xx answers for bad uploads."""

from __future__ import annotations

from chalice.app import Request

from chalicelib.catalogue.imdb_csv import CsvProblem, ImdbRow, decode, parse
from chalicelib.errors import catalogued

CSV_TYPES = ["text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"]


def parse_imdb_csv(request: Request, max_bytes: int) -> list[ImdbRow]:
    raw = request.raw_body or b""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    if len(data) > max_bytes:
        raise catalogued("body_too_large", limit=max_bytes)
    try:
        return parse(decode(data))
    except CsvProblem as exc:
        raise catalogued("bad_csv", line=exc.line, problem=exc.problem) from exc
