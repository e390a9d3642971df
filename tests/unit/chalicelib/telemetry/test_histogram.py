"""Start-up percentiles from 2% geometric buckets against the exact values."""

from __future__ import annotations

import random

import pytest

from chalicelib.telemetry import histogram


def counts_of(values: list[float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        index = histogram.bucket(value)
        counts[index] = counts.get(index, 0) + 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 7, 20, 1000])
def test_percentiles_from_buckets_are_within_two_percent_of_the_exact_ones(
        seed: int, size: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(6.5, 0.8) for _ in range(size)]  # ~700 ms, long tail
    counts = counts_of(values)
    for p in (0.5, 0.95, 0.99):
        exact = histogram.exact_percentile(values, p)
        estimate = histogram.percentile(counts, p)
        assert exact is not None and estimate is not None
        assert abs(estimate - exact) / exact <= 0.0101, (p, exact, estimate)


def test_nearest_rank_takes_the_nineteenth_of_twenty_for_p95() -> None:
    values = [float(v) for v in range(100, 2100, 100)]  # 100..2000
    assert histogram.exact_percentile(values, 0.95) == 1900.0
    assert histogram.exact_percentile(values, 0.5) == 1000.0
    assert abs((histogram.percentile(counts_of(values), 0.95) or 0) - 1900) < 1900 * 0.0101


def test_each_bucket_is_two_percent_wide_and_times_are_clamped() -> None:
    assert histogram.bucket(1000) + 1 == histogram.bucket(1000 * 1.0201)
    assert histogram.bucket(0) == histogram.bucket(1) == 0
    assert histogram.bucket(10**9) == histogram.bucket(histogram.MAX_MS)
    assert histogram.percentile({}, 0.5) is None
    assert histogram.exact_percentile([], 0.5) is None


def test_startup_score_is_muxs() -> None:
    assert histogram.startup_score(0) == 100.0
    assert histogram.startup_score(2) == 80.0
    assert round(histogram.startup_score(8), 6) == 50.0
