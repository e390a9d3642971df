"""Start-up times in fine geometric buckets, and percentiles read from them.

A time of ``ms`` milliseconds falls in bucket ``floor(log(ms) / log(RATIO))``: each bucket
is 2% wider than the one before, so a percentile read as the geometric middle of its bucket
is within about 1% of the exact value, whatever the scale (from 1 ms to 10 minutes: about
670 buckets, of which a day's plays use a few dozen). Percentiles here are nearest-rank: the
smallest value with at least ``p`` of the values at or below it, the same definition as
:func:`exact_percentile`, so the two agree on the same values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RATIO = 1.02
LOG_RATIO = math.log(RATIO)
#: Times are clamped to [1 ms, 10 min] before bucketing.
MIN_MS, MAX_MS = 1, 600_000


def bucket(ms: float) -> int:
    """The bucket of a time in milliseconds."""
    clamped = min(max(float(ms), MIN_MS), MAX_MS)
    # a hair under each bucket's bound stays in it despite floating-point rounding
    return math.floor(math.log(clamped) / LOG_RATIO + 1e-9)


def middle(index: int) -> float:
    """The geometric middle of a bucket, in milliseconds."""
    return float(RATIO ** (index + 0.5))


def percentile(counts: Mapping[int, int], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 1) of a histogram; None when empty."""
    total = sum(c for c in counts.values() if c > 0)
    if total <= 0:
        return None
    rank = _rank(p, total)
    seen = 0
    for index in sorted(counts):
        seen += max(0, counts[index])
        if seen >= rank:
            return middle(index)
    return middle(max(counts))  # pragma: no cover - the loop always reaches the rank


def exact_percentile(values: Iterable[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile of the values themselves."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[_rank(p, len(ordered)) - 1]


def _rank(p: float, total: int) -> int:
    """1-based nearest rank (0.95 x 20 is the 19th value, not the 20th by rounding)."""
    return min(total, max(1, math.ceil(p * total - 1e-9)))


def merge(*histograms: Mapping[int, int]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for counts in histograms:
        for index, count in counts.items():
            merged[index] = merged.get(index, 0) + count
    return merged


def startup_score(start_s: float) -> float:
    """Mux's start-up score of one view: 8 / (8 + seconds to the first frame) x 100."""
    return 8.0 / (8.0 + max(0.0, start_s)) * 100.0
