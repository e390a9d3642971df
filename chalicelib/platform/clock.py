"""Time in one format everywhere: ISO 8601, UTC, millisecond precision, with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def iso_at(epoch_s: float) -> str:
    """`iso` of a Unix time."""
    return iso(datetime.fromtimestamp(epoch_s, UTC))


def utc_day(epoch_s: float) -> str:
    """The UTC day of a Unix time, as 2026-12-05."""
    return datetime.fromtimestamp(epoch_s, UTC).date().isoformat()


def parse_iso(value: str) -> datetime:
    """The moment `iso` wrote: `iso(parse_iso(s)) == s`."""
    return datetime.fromisoformat(value).astimezone(UTC)
