"""bench/recs_seeds.py: the seeds argument, the dense layout of the kept weights, the summary."""

from __future__ import annotations

import numpy as np

from bench import movielens as ml
from bench.recs_seeds import SeedRow, dense, seeds_of, summary
from chalicelib.recommendations import ease


def test_seeds_are_a_range_or_a_list() -> None:
    assert seeds_of("0-3") == [0, 1, 2, 3]
    assert seeds_of("5,1") == [5, 1]


def test_the_kept_weights_land_where_the_job_would_write_them() -> None:
    neighbours = ease.Neighbours(["a", "b", "c"], np.array([[1, 2], [0, 0], [1, 0]]),
                                 np.array([[0.5, -0.2], [0.3, 0.0], [0.1, 0.4]]),
                                 np.array([2, 1, 2]))
    b = dense(neighbours, 3)
    assert b.tolist() == [[0.0, 0.5, -0.2], [0.3, 0.0, 0.0], [0.4, 0.1, 0.0]]
    assert sorted(neighbours.pairs()) == sorted(
        (neighbours.items[i], neighbours.items[j], b[i, j])
        for i in range(3) for j in range(3) if b[i, j] != 0)


def test_the_summary_counts_the_seeds_that_meet_the_goal() -> None:
    def row(seed: int, engine: float) -> SeedRow:
        knn = ml.Scores(0.1, 0.2, 0.5, 10)
        other = ml.Scores(0.1 * engine, 0.2 * engine, 0.5, 10)
        return SeedRow(seed, {"item kNN": knn, "engine model": other, "full EASE": other})

    lines = summary([row(0, 1.2), row(1, 1.1)])
    engine = next(line for line in lines if line.startswith("| engine model"))
    assert engine.endswith("| 1 of 2 |")
    assert "1.150 (0.071, 1.100)" in engine
