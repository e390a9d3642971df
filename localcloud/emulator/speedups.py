"""Make moto's DynamoDB queries read one partition, and its S3 ranged GETs read one range.

moto 5.2 builds every Query's candidates from `Table.all_items()`, which sorts *every item
of the table* (comparing DynamoType objects in Python) and then filters by hash key: a
Query costs O(n log n) in the table's size (0.8 s for one page of a 22,000-item table),
so browse pages and catalogue rebuilds slow down as the catalogue grows, unlike DynamoDB.

While a Query runs, `all_items()` here returns only the queried partition (base table),
already in range-key order (sorted on plain values, so moto's own sort of DynamoType objects
finds it in order in one pass), or the unsorted items (index queries); `query()` sorts its
results itself either way. Scans keep moto's sorted order, which their pagination relies on.
`DynamoType.cast_value`, behind every key comparison, returns strings, binaries and booleans
at once instead of testing five other types first. Results are unchanged; a 20-item page of
a 3,000-item partition went from 41 to 7 ms in-process.

S3: every ranged GET (boto3's download_file fetches 8 MB ranges on 10 threads) made moto copy
the *whole* object out of its buffer and then slice it: a 120 MB download cost 15 full
copies, 1.1-1.5 s instead of 0.2 s for one plain GET. While a GET with a Range header runs,
`FakeKey.value` here returns a view that reads only the requested bytes; anything else that
asks for the body gets the full bytes as before.

S3 multipart completion: for an upload declared without a checksum moto builds a
full-object CRC64NVME, which without `awscrt` it computes as a CRC32, by first copying every
part into one more buffer (about 1 s per GiB). Here that CRC32 is kept running part by part
(`binascii.crc32(part, crc)`), which gives the same value without the copy.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

from moto.core.compat import HAS_CRT
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.s3.models import FakeKey, MultipartChecksumBuilder
from moto.s3.responses import S3Response

_state = threading.local()
_original_all_items: Callable[[Table], list[Any]] = Table.all_items
_original_query: Callable[..., Any] = Table.query
_query_signature = inspect.signature(_original_query)
_MISSING = object()
_original_cast_value: property = DynamoType.cast_value  # type: ignore[assignment]
_PLAIN_TYPES = frozenset(("S", "B", "BOOL"))


def _all_items(self: Table) -> list[Any]:
    scope = getattr(_state, "query", None)
    if scope is None or scope[0] is not self:
        return _original_all_items(self)
    hash_key = scope[1]
    if hash_key is _MISSING:  # an index query: every item, unsorted
        partitions = self.items.values()
    else:
        partition = self.items.get(hash_key)
        partitions = [partition] if partition is not None else []
    if not self.range_key_attr:
        return list(partitions)
    items = [item for partition in partitions for item in partition.values()]
    if hash_key is not _MISSING:
        # query() then sorts by range key comparing DynamoType objects (two casts a comparison:
        # ~50 ms for a 3,000-item partition); in order already, that sort is one pass.
        with contextlib.suppress(AttributeError, TypeError):  # query() sorts them anyway
            items.sort(key=lambda item: item.range_key.cast_value)
    return items


def _cast_value(self: DynamoType) -> Any:
    # Strings, binaries and booleans are their own value; moto tested five other types first,
    # in every comparison, equality and hash of a key.
    if self.type in _PLAIN_TYPES:
        return self.value
    return _original_cast_value.fget(self)  # type: ignore[misc]


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    bound = _query_signature.bind(self, *args, **kwargs)
    index_name = bound.arguments.get("index_name")
    hash_key = _MISSING if index_name else bound.arguments.get("hash_key")
    _state.query = (self, hash_key)
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        _state.query = None


class _RangeView:
    """An object's body as far as moto's range handling uses it: a length and slices."""

    def __init__(self, key: FakeKey) -> None:
        self.key = key

    def __len__(self) -> int:
        return int(self.key.contentsize)

    def __getitem__(self, item: slice) -> bytes:
        start, stop, _ = item.indices(len(self))
        with self.key.lock:
            self.key._value_buffer.seek(start)
            return bytes(self.key._value_buffer.read(max(0, stop - start)))

    def full(self) -> bytes:
        return bytes(_original_value.fget(self.key))  # type: ignore[misc]


_original_value: property = FakeKey.value  # type: ignore[assignment]
_original_key_response: Callable[..., Any] = S3Response.key_response


def _value(self: FakeKey) -> Any:
    if getattr(_state, "ranged_get", False):
        return _RangeView(self)
    return _original_value.fget(self)  # type: ignore[misc]


def _key_response(self: S3Response, request: Any, *args: Any, **kwargs: Any) -> Any:
    ranged = request.method == "GET" and bool(request.headers.get("range"))
    _state.ranged_get = ranged
    try:
        response = _original_key_response(self, request, *args, **kwargs)
    finally:
        _state.ranged_get = False
    if ranged and isinstance(response, tuple) and isinstance(response[-1], _RangeView):
        # a Range moto answers with the whole object (several ranges, an unparsable header)
        response = (*response[:-1], response[-1].full())
    return response


def _crc32_stands_in(algorithm: str) -> bool:
    """True when moto computes `algorithm` as a plain CRC32 (see moto.s3.utils)."""
    return algorithm == "CRC32" or (algorithm == "CRC64NVME" and not HAS_CRT)


_original_add_part = MultipartChecksumBuilder.addPart
_original_build = MultipartChecksumBuilder.build


def _add_part(self: MultipartChecksumBuilder, part: bytes) -> None:
    if self.checksum_type == "COMPOSITE" or not _crc32_stands_in(self.checksum_algorithm):
        _original_add_part(self, part)
        return
    self._running_crc = binascii.crc32(part, getattr(self, "_running_crc", 0))  # type: ignore[attr-defined]
    self.part_count += 1


def _build(self: MultipartChecksumBuilder) -> tuple[str, str, int] | None:
    running = getattr(self, "_running_crc", None)
    if running is None:
        return _original_build(self)
    return self.checksum_type, base64.b64encode(running.to_bytes(4, "big")).decode(), 1


def install() -> None:
    Table.all_items = _all_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    DynamoType.cast_value = property(_cast_value)  # type: ignore[assignment,method-assign]
    FakeKey.value = property(_value, _original_value.fset)  # type: ignore[assignment,method-assign]
    S3Response.key_response = _key_response  # type: ignore[method-assign]
    MultipartChecksumBuilder.addPart = _add_part  # type: ignore[method-assign]
    MultipartChecksumBuilder.build = _build  # type: ignore[method-assign]
