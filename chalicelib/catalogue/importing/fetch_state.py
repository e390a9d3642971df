"""Which TMDB ids were fetched, and on which day: the diff that keeps daily imports small.

One unsigned 16-bit day number per TMDB id, in an array indexed by the id itself (TMDB ids
are dense integers: ~1.5M films take 3 MB). 0 means never fetched. An id needs fetching
when it is 0 or older than the stale age; a re-run after a crash skips everything marked.
Stored in S3 as zlib-compressed bytes; saved at checkpoints.
"""

from __future__ import annotations

import zlib
from array import array
from datetime import date
from typing import Any

EPOCH = date(2020, 1, 1)
_MAX_ID = 50_000_000


def day_number(day: date) -> int:
    return (day - EPOCH).days + 1


class FetchState:
    def __init__(self, days: array[int] | None = None) -> None:
        self.days: array[int] = days if days is not None else array("H")

    def fetched_on(self, tmdb_id: int) -> int:
        return self.days[tmdb_id] if 0 <= tmdb_id < len(self.days) else 0

    def needs(self, tmdb_id: int, today: int, stale_days: int) -> bool:
        fetched = self.fetched_on(tmdb_id)
        return fetched == 0 or today - fetched >= stale_days

    def mark(self, tmdb_id: int, today: int) -> None:
        if not 0 <= tmdb_id < _MAX_ID:
            return
        if tmdb_id >= len(self.days):
            grow = max(tmdb_id + 1 - len(self.days), len(self.days) // 4, 1024)
            self.days.frombytes(bytes(2 * grow))
        self.days[tmdb_id] = today

    def __len__(self) -> int:
        return sum(1 for d in self.days if d)

    def to_bytes(self) -> bytes:
        return zlib.compress(self.days.tobytes(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> FetchState:
        days = array("H")
        days.frombytes(zlib.decompress(data))
        return cls(days)


class FetchStateStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    @staticmethod
    def key(kind: str) -> str:
        return f"imports/tmdb/{kind}-fetched.bin"

    def load(self, kind: str) -> FetchState:
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import is_missing

        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.key(kind))
        except ClientError as exc:
            if is_missing(exc):
                return FetchState()
            raise
        return FetchState.from_bytes(found["Body"].read())

    def save(self, kind: str, state: FetchState) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self.key(kind), Body=state.to_bytes())
