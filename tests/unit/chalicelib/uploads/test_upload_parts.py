"""Part sizes and the part-list check of multipart uploads."""

from __future__ import annotations

import pytest

from chalicelib.uploads.names import is_uploadable, safe_file_name
from chalicelib.uploads.parts import (
    MAX_OBJECT_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MIB,
    StoredPart,
    expected_part_bytes,
    part_count,
    part_list_problem,
    part_size_for,
)

MIN_PART = 8 * MIB


@pytest.mark.parametrize("size", [1, 8 * MIB, 8 * MIB + 1, 20 * 1024**3, 78 * 1024**3,
                                  80 * 1024**3, 1024**4, MAX_OBJECT_BYTES - 1,
                                  MAX_OBJECT_BYTES])
def test_parts_are_whole_mib_at_least_8_and_never_more_than_10000(size: int) -> None:
    part = part_size_for(size)
    assert part % MIB == 0 and MIN_PART <= part <= MAX_PART_BYTES
    assert part_count(size, part) <= MAX_PARTS
    # no smaller whole-MiB size would do
    assert part == MIN_PART or part_count(size, part - MIB) > MAX_PARTS


def test_small_files_use_8_mib_parts_and_a_5_tib_file_525_mib_ones() -> None:
    assert part_size_for(20 * MIB) == 8 * MIB
    assert part_count(20 * MIB, 8 * MIB) == 3
    assert part_size_for(MAX_OBJECT_BYTES) == 525 * MIB
    assert part_count(MAX_OBJECT_BYTES, 525 * MIB) == 9987


def test_the_last_part_holds_the_rest() -> None:
    sizes = [expected_part_bytes(20 * MIB, 8 * MIB, n) for n in (1, 2, 3)]
    assert sizes == [8 * MIB, 8 * MIB, 4 * MIB]
    assert expected_part_bytes(5, 8 * MIB, 1) == 5


def stored(*sizes: int) -> dict[int, StoredPart]:
    return {n: StoredPart(n, f'"etag{n}"', size) for n, size in enumerate(sizes, start=1)}


def test_a_complete_matching_list_passes_whatever_the_etag_quoting() -> None:
    held = stored(8 * MIB, 8 * MIB, 4 * MIB)
    assert part_list_problem(20 * MIB, 8 * MIB, [(1, "etag1"), (2, '"etag2"'), (3, "ETAG3")],
                             held) is None


@pytest.mark.parametrize(("given", "held", "problem"), [
    ([(1, "etag1"), (2, "etag2")], stored(8 * MIB, 8 * MIB, 4 * MIB), "goes in 3 parts"),
    ([(2, "etag2"), (1, "etag1"), (3, "etag3")], stored(8 * MIB, 8 * MIB, 4 * MIB),
     "in order"),
    ([(1, "etag1"), (1, "etag1"), (2, "etag2")], stored(8 * MIB, 8 * MIB, 4 * MIB),
     "in order"),
    ([(1, "etag1"), (2, "etag2"), (3, "etag3")], stored(8 * MIB, 8 * MIB), "part 3 has not"),
    ([(1, "etag1"), (2, "etag1"), (3, "etag3")], stored(8 * MIB, 8 * MIB, 4 * MIB),
     "part 2's ETag"),
    ([(1, "etag1"), (2, "etag2"), (3, "etag3")], stored(8 * MIB, 4 * MIB, 4 * MIB),
     "part 2 is 4194304 bytes; it must be 8388608"),
    ([(1, "etag1"), (2, "etag2"), (3, "etag3")], stored(8 * MIB, 8 * MIB, 5 * MIB),
     "part 3 is 5242880 bytes; it must be 4194304"),
])
def test_a_list_that_cannot_complete_says_why(given: list[tuple[int, str]],
                                              held: dict[int, StoredPart],
                                              problem: str) -> None:
    found = part_list_problem(20 * MIB, 8 * MIB, given, held)
    assert found is not None and problem in found


@pytest.mark.parametrize(("name", "safe", "ok"), [
    ("../x/a?.mp4", "a_.mp4", True),
    ("C:\\films\\My Film (final).mkv", "My Film _final_.mkv", True),
    ("notes.exe", "notes.exe", False),
    ("film.en.srt", "film.en.srt", True),
    ("...", "", False),
])
def test_file_names_are_made_safe_and_checked(name: str, safe: str, ok: bool) -> None:
    assert safe_file_name(name) == safe
    assert is_uploadable(safe_file_name(name)) is ok
