"""Item-to-item weights by EASE (Steck, 2019), truncated to each item's strongest neighbours.

EASE is a linear item-item model with a closed form: for the binary user x item matrix X and
the Gram matrix G = XᵀDX (D: each user's row weighted by 1 / their interactions^alpha, so a
user with 1,000 titles does not outweigh a hundred users with ten each), P = (G + λI)⁻¹
and B = I - P·diag(1/diag(P)) (so diag(B) = 0). A user's score for item j is
Σ_i x_i·B[i, j]: the sum, over the titles they watched, of the weight from each to j. Only
items with interactions are modelled; numpy inverts in float64 whatever the input dtype,
about five n x n float64 matrices at the peak (see ``similarity_job.MAX_TITLES``).

Pure numpy; nothing here knows about Neo4j (``similarity_job`` reads and writes the graph).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: λ, the neighbours kept per item, the popularity discount and the users' weight exponent,
#: tuned on MovieLens latest-small, seed 0 (bench/recs_quality.py; confirmed on seeds 1, 2).
#: λ is on the scale of the weighted Gram matrix (alpha 0.5 shrinks it about tenfold).
DEFAULT_LAMBDA = 40.0
DEFAULT_TOP_K = 200
DEFAULT_BETA = 0.2
DEFAULT_ALPHA = 0.5
ROWS_PER_CHUNK = 1024


@dataclass(frozen=True)
class Neighbours:
    """Item ``items[i]``'s strongest weights (by magnitude, negative ones too): to
    ``items[targets[i, k]]`` with ``weights[i, k]``, strongest first; ``count[i]`` of its
    row are used."""

    items: list[str]
    targets: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]

    def pairs(self) -> Iterable[tuple[str, str, float]]:
        """(from, to, weight) for every kept edge."""
        for i, source in enumerate(self.items):
            for k in range(int(self.count[i])):
                yield source, self.items[int(self.targets[i, k])], float(self.weights[i, k])


def interaction_matrix(pairs: Iterable[tuple[str, str]]
                       ) -> tuple[npt.NDArray[np.float64], list[str], list[str]]:
    """The binary user x item matrix of (user, item) pairs, with its user and item ids
    (items sorted, so the same pairs give the same matrix)."""
    distinct = set(pairs)
    users = sorted({u for u, _ in distinct})
    items = sorted({i for _, i in distinct})
    user_at = {u: n for n, u in enumerate(users)}
    item_at = {i: n for n, i in enumerate(items)}
    x = np.zeros((len(users), len(items)), dtype=np.float64)
    if distinct:
        rows = np.fromiter((user_at[u] for u, _ in distinct), dtype=np.int64, count=len(distinct))
        cols = np.fromiter((item_at[i] for _, i in distinct), dtype=np.int64, count=len(distinct))
        x[rows, cols] = 1.0
    return x, users, items


def user_weights(interactions: npt.NDArray[np.floating[Any]], alpha: float = DEFAULT_ALPHA
                 ) -> npt.NDArray[np.float64]:
    """Each user's weight in the Gram matrix: 1 / (their interactions, at least 1)^alpha."""
    return np.asarray(np.maximum(interactions, 1.0) ** -alpha, dtype=np.float64)


def ease_weights(x: npt.NDArray[np.float64], lam: float = DEFAULT_LAMBDA,
                 alpha: float = DEFAULT_ALPHA) -> npt.NDArray[np.floating[Any]]:
    """B (items x items) for the binary matrix ``x`` (users x items); zero diagonal."""
    d = user_weights(x.sum(axis=1), alpha)
    return weights_from_gram((x * d[:, None]).T @ x, lam)


def weights_from_gram(gram: npt.NDArray[np.floating[Any]], lam: float = DEFAULT_LAMBDA
                      ) -> npt.NDArray[np.floating[Any]]:
    """B from the Gram matrix XᵀX, in its dtype (numpy computes the inverse in float64
    either way). ``gram`` is overwritten (λ on its diagonal)."""
    if lam <= 0:
        raise ValueError("lambda must be positive")
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    del gram
    scale = -np.diag(p).copy()
    p /= scale  # column j divided by -P[j, j], in place
    p[np.diag_indices_from(p)] = 0.0
    return p


def strongest(b: npt.NDArray[np.floating[Any]], items: list[str], top_k: int = DEFAULT_TOP_K
              ) -> Neighbours:
    """Each row's ``top_k`` weights largest in magnitude, strongest first.

    The negative ones are kept: "people who watched this do not watch that" is what lets
    EASE push a popular title down for a user whose history says otherwise; dropping them
    costs about 3% of Recall@10 on MovieLens."""
    n = b.shape[0]
    k = max(0, min(top_k, n - 1))
    if n == 0 or k == 0:
        empty = np.zeros((n, 0))
        return Neighbours(items, empty.astype(np.int64), empty, np.zeros(n, dtype=np.int64))
    targets = np.empty((n, k), dtype=np.int64)
    weights = np.empty((n, k), dtype=np.float64)
    for start in range(0, n, ROWS_PER_CHUNK):  # a chunk at a time: bounded extra memory
        rows = b[start:start + ROWS_PER_CHUNK]
        magnitude = np.abs(rows)
        part = np.argpartition(-magnitude, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(magnitude, part, axis=1), axis=1, kind="stable")
        chosen = np.take_along_axis(part, order, axis=1)
        targets[start:start + len(rows)] = chosen
        weights[start:start + len(rows)] = np.take_along_axis(rows, chosen, axis=1)
    count = (weights != 0).sum(axis=1).astype(np.int64)
    return Neighbours(items, targets.astype(np.int64), weights, count)


def discounted(neighbours: Neighbours, counts: npt.NDArray[np.floating[Any]],
               beta: float = DEFAULT_BETA) -> Neighbours:
    """Each kept weight to item j divided by count_j ** beta (count_j: j's interactions, at
    least 1), as RP3beta does: among titles equally implied by a history, the less obvious
    one wins over the blockbuster everyone has seen (+2-3% Recall@10 and NDCG@10 on
    MovieLens at beta = 0.2)."""
    scale = np.maximum(counts, 1.0) ** -beta
    return Neighbours(neighbours.items, neighbours.targets,
                      neighbours.weights * scale[neighbours.targets], neighbours.count)


def gram(pairs: list[tuple[str, str]], alpha: float = 0.0
         ) -> tuple[npt.NDArray[np.float32], list[str], npt.NDArray[np.float64]]:
    """XᵀDX for the binary user x title matrix of the pairs (D: each user weighted by
    :func:`user_weights`; alpha 0 gives plain co-watch counts), built user by user (never
    the dense user x title matrix); the title ids of its rows; each title's count of users."""
    titles = sorted({t for _, t in pairs})
    at = {t: n for n, t in enumerate(titles)}
    by_user: dict[str, set[int]] = {}
    for user, title in pairs:
        by_user.setdefault(user, set()).add(at[title])
    n = len(titles)
    g = np.zeros(n * n, dtype=np.float32)
    counts = np.zeros(n, dtype=np.float64)
    batch: list[npt.NDArray[np.int64]] = []
    weights: list[npt.NDArray[np.float32]] = []
    size = 0
    for seen in by_user.values():
        idx = np.fromiter(seen, dtype=np.int64, count=len(seen))
        counts[idx] += 1.0
        batch.append((idx[:, None] * n + idx[None, :]).ravel())
        weight = float(user_weights(np.array([len(idx)], dtype=np.float64), alpha)[0])
        weights.append(np.full(len(idx) ** 2, weight, dtype=np.float32))
        size += len(idx) ** 2
        if size >= 5_000_000:
            np.add.at(g, np.concatenate(batch), np.concatenate(weights))
            batch, weights, size = [], [], 0
    if batch:
        np.add.at(g, np.concatenate(batch), np.concatenate(weights))
    return g.reshape(n, n), titles, counts


def most_watched(pairs: list[tuple[str, str]], max_titles: int | None) -> list[tuple[str, str]]:
    """The pairs of the ``max_titles`` titles with the most liked watches (ties by id)."""
    counts = Counter(title for _user, title in set(pairs))
    if max_titles is None or len(counts) <= max_titles:
        return pairs
    kept = {t for t, _n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:max_titles]}
    return [(user, title) for user, title in pairs if title in kept]


def fit(pairs: list[tuple[str, str]], lam: float = DEFAULT_LAMBDA,
        top_k: int = DEFAULT_TOP_K, beta: float = DEFAULT_BETA,
        max_titles: int | None = None, alpha: float = DEFAULT_ALPHA) -> Neighbours:
    """(user, item) interactions -> each item's ``top_k`` strongest EASE neighbours,
    discounted by popularity (only the ``max_titles`` most watched items modelled)."""
    g, titles, counts = gram(most_watched(pairs, max_titles), alpha)
    return discounted(strongest(weights_from_gram(g, lam), titles, top_k), counts, beta)
