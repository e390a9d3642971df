"""The browse choices a rebuild counted, read from the data bucket once per warm container.

Like the search index (``platform.s3_snapshot``): kept in memory and checked for a newer copy
at most every `refresh_seconds`. Before the first rebuild there is nothing to read, and the
counts are empty (the browse page then offers no lists).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.catalogue.titles.choices import FACETS_KEY, FacetCounts
from chalicelib.platform.s3_snapshot import S3Snapshot


class FacetChoicesStore:
    def __init__(self, s3: Any, bucket: str, refresh_seconds: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stored = S3Snapshot(s3, bucket, FACETS_KEY, refresh_seconds,
                                  FacetCounts.from_json, clock)

    def counts(self) -> FacetCounts:
        return self._stored.get() or FacetCounts()
