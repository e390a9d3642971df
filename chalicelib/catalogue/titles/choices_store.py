"""The browse choices a rebuild counted, read from the data bucket once per warm container.

Like the search index: kept in memory and checked for a newer copy at most every
`refresh_seconds` with a conditional GET (a 304 costs no transfer). Before the first rebuild
there is nothing to read, and the counts are empty (the browse page then offers no lists).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.catalogue.titles.choices import FACETS_KEY, FacetCounts
from chalicelib.platform.aws import error_code, is_missing


class FacetChoicesStore:
    def __init__(self, s3: Any, bucket: str, refresh_seconds: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._counts = FacetCounts()
        self._etag: str | None = None
        self._checked_at = float("-inf")

    def counts(self) -> FacetCounts:
        if self.clock() - self._checked_at >= self.refresh_seconds:
            with self._lock:
                if self.clock() - self._checked_at >= self.refresh_seconds:
                    self._refresh()
        return self._counts

    def _refresh(self) -> None:
        extra = {"IfNoneMatch": self._etag} if self._etag else {}
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=FACETS_KEY, **extra)
        except ClientError as exc:
            if error_code(exc) not in ("304", "NotModified") and not is_missing(exc):
                raise
        else:
            self._counts = FacetCounts.from_json(found["Body"].read())
            self._etag = found.get("ETag")
        self._checked_at = self.clock()
