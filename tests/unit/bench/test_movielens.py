"""The MovieLens evaluation's split and metrics on hand-made ratings (no data set needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import movielens as ml


def ratings() -> list[ml.Rating]:
    rows = [ml.Rating(user, movie, 4.0, 1_000 + movie) for user in (1, 2)
            for movie in range(10)]
    return [*rows, ml.Rating(1, 99, 2.0, 5), ml.Rating(3, 7, 5.0, 9)]


def test_the_split_holds_out_a_fifth_of_each_users_positives_by_seed() -> None:
    data = ml.split(ratings(), seed=0)
    assert data.users == [1, 2, 3]
    assert [len(data.test[u]) for u in (1, 2, 3)] == [2, 2, 0]
    assert all(not set(data.train[u]) & data.test[u] for u in data.users)
    assert set(data.train[1]) | data.test[1] == set(range(10))
    assert data.low == {1: [99]} and 99 not in data.items
    assert ml.split(ratings(), seed=0).test == data.test
    assert any(ml.split(ratings(), seed=s).test != data.test for s in range(1, 5))


def test_recall_ndcg_and_hit_at_n() -> None:
    data = ml.Split(users=[1, 2, 3], items=list(range(5)), train={1: [], 2: [], 3: [4]},
                    test={1: {0, 1}, 2: {3}, 3: set()}, low={})
    scores = ml.evaluate({1: [0, 2, 1], 2: [2, 4]}, data, n=3)
    assert scores.users == 2  # user 3 has nothing held out
    assert scores.recall == pytest.approx((2 / 2 + 0) / 2)
    ideal = 1 + 1 / math.log2(3)
    assert scores.ndcg == pytest.approx(((1 + 1 / math.log2(4)) / ideal + 0) / 2)
    assert scores.hit == pytest.approx(0.5)


def test_baselines_rank_unseen_items() -> None:
    data = ml.Split(users=[1, 2, 3], items=[10, 11, 12], train={1: [10], 2: [10, 11], 3: [12]},
                    test={1: {11}, 2: {12}, 3: {10}}, low={})
    x = data.matrix()
    assert ml.top_n(ml.popularity(x), data, x, n=1) == {1: [11], 2: [12], 3: [10]}
    knn = ml.item_knn(x, neighbours=1)
    assert np.all(knn >= 0) and knn[0, 1] > knn[0, 2]  # 11 goes with 10, 12 does not
