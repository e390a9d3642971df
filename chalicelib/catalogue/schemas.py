"""Request bodies of the catalogue routes; unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from chalicelib.auth.schemas import Strict


def _date_text(value: Any) -> Any:
    """A day as JSON gives it: "YYYY-MM-DD" (a number is not a date)."""
    if value is not None and not isinstance(value, str | dt.date):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


class TmdbImportIn(Strict):
    #: The export's day; by default the newest one TMDB has published.
    date: Annotated[dt.date | None, BeforeValidator(_date_text)] = None
    kinds: list[Literal["movie", "tv"]] = Field(default=["movie", "tv"], min_length=1,
                                                max_length=2)
    #: Fetch at most this many ids in this run (the rest wait for the next one).
    limit: int | None = Field(default=None, ge=1, le=2_000_000, strict=True)
