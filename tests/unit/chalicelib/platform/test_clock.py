"""One time format everywhere: `iso`, `iso_at` and `parse_iso` agree."""

from __future__ import annotations

from chalicelib.platform.clock import iso_at, parse_iso


def test_a_unix_time_is_written_in_the_one_format_and_read_back() -> None:
    written = iso_at(1_480_000_000.25)
    assert written == "2016-11-24T15:06:40.250Z"
    assert parse_iso(written).timestamp() == 1_480_000_000.25
