"""Part sizes and the check of a completed part list, as pure functions.

S3 takes at most 10,000 parts per upload, each 5 MiB to 5 GiB (the last may be smaller), and
objects up to 5 TiB. Parts are 8 MiB, or larger for files that would need more than 10,000
of them: a 5 TiB file goes in 9,987 parts of 525 MiB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
MIN_PART_BYTES = 8 * MIB
MAX_PARTS = 10_000
MAX_PART_BYTES = 5 * 1024 * MIB
MAX_OBJECT_BYTES = 5 * 1024 ** 4


def part_size_for(size: int) -> int:
    """Whole MiB, at least 8 MiB, and enough that `size` needs at most 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    whole_mib = -(-needed // MIB) * MIB
    return max(MIN_PART_BYTES, whole_mib)


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def expected_part_bytes(size: int, part_size: int, number: int) -> int:
    """How many bytes part `number` (1-based) of a `size`-byte file holds."""
    count = part_count(size, part_size)
    return part_size if number < count else size - part_size * (count - 1)


@dataclass(frozen=True)
class StoredPart:
    """A part as S3 lists it."""

    number: int
    etag: str
    size: int


def strip_etag(etag: str) -> str:
    return etag.strip().strip('"').lower()


def part_list_problem(size: int, part_size: int, given: Sequence[tuple[int, str]],
                      stored: Mapping[int, StoredPart]) -> str | None:
    """Why `given` (part number, ETag) cannot complete the upload, or None when it can.

    It must name every part from 1 to the part count once, in order, each with the ETag S3
    holds for it, and each part must have the size the declared file size gives it.
    """
    count = part_count(size, part_size)
    numbers = [number for number, _ in given]
    if numbers != list(range(1, len(numbers) + 1)):
        return "parts must be listed once each, in order, from part 1"
    if len(numbers) != count:
        return (f"a {size}-byte file goes in {count} parts of {part_size} bytes; "
                f"{len(numbers)} were listed")
    for number, etag in given:
        held = stored.get(number)
        if held is None:
            return f"part {number} has not reached S3"
        if strip_etag(etag) != strip_etag(held.etag):
            return f"part {number}'s ETag is not the one S3 holds for it"
        want = expected_part_bytes(size, part_size, number)
        if held.size != want:
            return f"part {number} is {held.size} bytes; it must be {want}"
    return None
