"""Little-endian uint32 arrays and UTF-8 bytes, as the search index stores them."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable

if array("I").itemsize != 4:  # pragma: no cover - every CPython platform we deploy to
    raise ImportError("the search index needs 4-byte array('I') items")


def u32(values: Iterable[int] = ()) -> array[int]:
    return array("I", values)


def u32_from(buffer: memoryview | bytes) -> array[int]:
    out = u32()
    out.frombytes(buffer)
    if sys.byteorder == "big":
        out.byteswap()
    return out


def le_bytes(values: array[int]) -> memoryview:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return memoryview(values).cast("B")


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
