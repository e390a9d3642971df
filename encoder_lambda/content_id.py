"""Name an upload by its content without one function reading it into /tmp.

The object is read in fixed-size byte ranges, several at a time (ranged GETs, nothing written
to disk), each range hashed with SHA-256; the content id is the SHA-256 of the size and the
ranges' digests in order. The same bytes always give the same id whatever the part layout of
the upload, so a file uploaded twice (even under another name) is recognised, and a 50 GB
source costs memory of ``workers x part_size`` at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PART_BYTES = 64 * 1024 * 1024
WORKERS = 8
READ_BYTES = 1024 * 1024


def file_content_id(path: Path, *, part_bytes: int = PART_BYTES) -> str:
    """The content id of a local file: the same value :func:`content_id` gives its upload."""
    size = path.stat().st_size
    if size <= 0:
        return hashlib.sha256(b"0\n").hexdigest()
    combined = hashlib.sha256(f"{size}\n".encode())
    with path.open("rb") as source:
        for _ in range(0, size, part_bytes):
            digest = hashlib.sha256()
            left = part_bytes
            while left > 0:
                block = source.read(min(READ_BYTES, left))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
            combined.update(digest.digest())
    return combined.hexdigest()


def range_digest(s3: Any, bucket: str, key: str, start: int, end: int,
                 if_match: str | None = None) -> bytes:
    """SHA-256 of bytes ``start..end`` (inclusive) of the object, streamed; with
    ``if_match`` (an ETag) S3 refuses if the object was replaced meanwhile."""
    extra = {"IfMatch": f'"{if_match.strip(chr(34))}"'} if if_match else {}
    body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}", **extra)["Body"]
    digest = hashlib.sha256()
    for block in iter(lambda: body.read(READ_BYTES), b""):
        digest.update(block)
    return digest.digest()


def content_id(s3: Any, bucket: str, key: str, size: int, *, part_bytes: int = PART_BYTES,
               workers: int = WORKERS, if_match: str | None = None,
               on_part: Callable[[int, int], None] | None = None) -> str:
    """Hex SHA-256 naming the object's bytes (see the module's docstring)."""
    if size <= 0:
        return hashlib.sha256(b"0\n").hexdigest()
    ranges = [(start, min(start + part_bytes, size) - 1) for start in range(0, size, part_bytes)]
    digests: list[bytes] = []
    with ThreadPoolExecutor(max(1, min(workers, len(ranges))),
                            thread_name_prefix="content-id") as pool:
        futures = [pool.submit(range_digest, s3, bucket, key, a, b, if_match)
                   for a, b in ranges]
        for done, future in enumerate(futures, start=1):
            digests.append(future.result())
            if on_part is not None:
                on_part(done, len(ranges))
    combined = hashlib.sha256(f"{size}\n".encode())
    for digest in digests:
        combined.update(digest)
    return combined.hexdigest()
