"""EASE item-to-item weights and what the similar-titles job writes, without a graph."""

from __future__ import annotations

import numpy as np
import pytest

from chalicelib.recommendations import ease
from chalicelib.recommendations.ease import fit, gram, most_watched
from chalicelib.recommendations.similarity_job import _batches


def two_tastes() -> list[tuple[str, str]]:
    """Users 0-9 watch from {a1, a2, a3}, users 10-19 from {b1, b2, b3}; two of three each,
    so every title has co-watchers of its own kind only; u20 watches a1 and b1."""
    pairs: list[tuple[str, str]] = []
    for u in range(20):
        kind = "a" if u < 10 else "b"
        for n in range(3):
            if n != u % 3:
                pairs.append((f"u{u}", f"{kind}{n + 1}"))
    return [*pairs, ("u20", "a1"), ("u20", "b1")]


def test_ease_links_titles_watched_together_and_not_the_others() -> None:
    x, _users, items = ease.interaction_matrix(two_tastes())
    b = ease.ease_weights(x, lam=1.0)
    at = {t: n for n, t in enumerate(items)}
    assert np.allclose(np.diag(b), 0.0)
    assert b[at["a1"], at["a2"]] > 0.1 and b[at["b2"], at["b3"]] > 0.1
    # never watched together: at most a trace through u20's bridge
    assert abs(b[at["a2"], at["b2"]]) < 0.1 * b[at["a2"], at["a1"]]
    # a user who watched a2 is offered a1 or a3 first, never a b title
    scores = b[at["a2"]]
    assert {items[i] for i in np.argsort(-scores)[:2]} == {"a1", "a3"}


def test_a_larger_lambda_shrinks_the_weights() -> None:
    x, _users, _items = ease.interaction_matrix(two_tastes())
    small, large = ease.ease_weights(x, lam=1.0), ease.ease_weights(x, lam=100.0)
    assert np.abs(large).sum() < np.abs(small).sum()
    with pytest.raises(ValueError):
        ease.ease_weights(x, lam=0.0)


def test_the_gram_matrix_is_built_without_the_user_matrix() -> None:
    pairs = [*two_tastes(), ("u0", "a2")]  # a repeated pair counts once
    x, _users, items = ease.interaction_matrix(pairs)
    g, titles, counts = gram(pairs)
    assert titles == items
    assert np.array_equal(g, x.T @ x)
    assert np.array_equal(counts, x.sum(axis=0))
    weighted, _titles, same = gram(pairs, alpha=0.5)
    d = 1.0 / np.sqrt(x.sum(axis=1))
    assert np.allclose(weighted, (x * d[:, None]).T @ x)
    assert np.array_equal(same, counts)  # the popularity discount counts users, unweighted


def test_a_heavy_user_weighs_less_than_many_light_ones() -> None:
    """Ten users pair p with q; one user who watched 100 titles pairs p with r. Unweighted,
    r's co-watches with p are a tenth of q's; with users weighted by 1/interactions^0.5,
    the heavy user's pair counts 10 / sqrt(2) times less again."""
    pairs = [(f"light{u}", t) for u in range(10) for t in ("p", "q")]
    pairs += [("heavy", t) for t in ("p", "r", *(f"f{n}" for n in range(98)))]
    plain, titles, _counts = gram(pairs)
    weighted, _titles, _same = gram(pairs, alpha=0.5)
    at = {t: n for n, t in enumerate(titles)}

    def share(g: np.ndarray) -> float:
        return float(g[at["p"], at["r"]] / g[at["p"], at["q"]])

    assert share(plain) == pytest.approx(0.1)
    assert share(weighted) < share(plain) / 5


def test_strongest_keeps_the_largest_magnitudes_negative_ones_too() -> None:
    b = np.array([[0.0, 0.5, -0.9, 0.1],
                  [0.2, 0.0, 0.0, 0.0],
                  [0.3, -0.4, 0.0, 0.6],
                  [0.0, 0.0, 0.0, 0.0]])
    kept = ease.strongest(b, ["w", "x", "y", "z"], top_k=2)
    assert list(kept.pairs()) == [("w", "y", -0.9), ("w", "x", 0.5), ("x", "w", 0.2),
                                  ("y", "z", 0.6), ("y", "x", -0.4)]
    assert kept.count.tolist() == [2, 1, 2, 0]


def test_the_job_writes_each_titles_neighbours_in_batches() -> None:
    neighbours = fit(two_tastes(), lam=1.0, top_k=2)
    batches = list(_batches(neighbours, size=4))
    assert [len(b) for b in batches] == [4, 2]
    rows = {row["id"]: row["to"] for batch in batches for row in batch}
    assert set(rows) == {"a1", "a2", "a3", "b1", "b2", "b3"}
    assert {x["id"] for x in rows["a2"]} == {"a1", "a3"}
    assert all(x["w"] > 0 for x in rows["a2"])
    assert all(len(to) <= 2 for to in rows.values())


def test_only_the_most_watched_titles_are_modelled_past_the_cap() -> None:
    pairs = [*two_tastes(), ("u0", "rare"), ("u1", "rare2")]
    kept = most_watched(pairs, 6)
    assert {t for _, t in kept} == {"a1", "a2", "a3", "b1", "b2", "b3"}
    assert most_watched(pairs, 100) == pairs
    assert fit(pairs, lam=1.0, max_titles=6).items == sorted(
        {t for _, t in kept})
