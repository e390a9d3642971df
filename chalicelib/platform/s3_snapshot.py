"""An S3 object read once per warm container and kept parsed in memory.

Derived data a rebuild writes (the search index, the browse choices) is read by every
request: the object is fetched once, parsed, and kept; at most every `refresh_seconds` a
conditional GET on its ETag asks whether a newer one was written (a 304 costs no transfer).
An object not written yet is asked for again after the same interval (or on every call with
``eager_until_loaded``); one that cannot be parsed (written by another release, say) is
logged, the value parsed before it kept, and not fetched again until it changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from chalicelib.platform.aws import error_code, is_missing
from chalicelib.platform.logs import child

log = child(__name__)
T = TypeVar("T")


class S3Snapshot(Generic[T]):
    def __init__(self, s3: Any, bucket: str, key: str, refresh_seconds: int,
                 parse: Callable[[bytes], T], clock: Callable[[], float] = time.monotonic,
                 eager_until_loaded: bool = False) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.refresh_seconds = refresh_seconds
        self.parse = parse
        self.clock = clock
        self.eager_until_loaded = eager_until_loaded
        self._lock = threading.Lock()
        self._value: T | None = None
        self._etag: str | None = None
        self._checked_at = float("-inf")

    def get(self) -> T | None:
        """The latest parsed object; None until one was written and read."""
        if self._due():
            with self._lock:
                if self._due():
                    self._refresh()
        return self._value

    def _due(self) -> bool:
        return (self.clock() - self._checked_at >= self.refresh_seconds
                or (self.eager_until_loaded and self._value is None))

    def _refresh(self) -> None:
        extra = {"IfNoneMatch": self._etag} if self._etag else {}
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.key, **extra)
        except ClientError as exc:
            if error_code(exc) not in ("304", "NotModified") and not is_missing(exc):
                raise
            self._checked_at = self.clock()  # unchanged, or not written yet
            return
        started = time.perf_counter()
        self._etag = found.get("ETag")
        self._checked_at = self.clock()
        try:
            self._value = self.parse(found["Body"].read())
        except ValueError as exc:
            log.warning("stored object unreadable: rebuild the catalogue",
                        extra={"key": self.key, "error": str(exc)})
            return
        log.info("stored object loaded", extra={
            "key": self.key, "ms": round((time.perf_counter() - started) * 1e3)})
