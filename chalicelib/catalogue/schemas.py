"""Request bodies of the catalogue routes; unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from chalicelib.auth.schemas import Strict


class TmdbImportIn(Strict):
    #: The export's day; by default the newest one TMDB has published.
    date: dt.date | None = None
    kinds: list[Literal["movie", "tv"]] = Field(default=["movie", "tv"], min_length=1,
                                                max_length=2)
    #: Fetch at most this many ids in this run (the rest wait for the next one).
    limit: int | None = Field(default=None, ge=1, le=2_000_000)
