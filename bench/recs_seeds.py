"""How much the engine-to-item-kNN ratio moves from one random split to the next.

``bench/recs_quality.py`` measures one split through the real path (Neo4j, the similar-titles
job, ``Recommender.compute``), about 90 s a seed. This runs many splits in numpy only, in
the same protocol (``bench.movielens``: ratings of 3 or more are positives, 20% of each
user's held out at random, everything the user is known to have watched left out of every
model's ranking), to show the spread a single seed cannot:

- item kNN (cosine, 50 neighbours), the baseline of the goal;
- the engine's model as the job builds it: ``ease.fit`` on the training positives (the same
  function, parameters, truncation and popularity discount), scored as the SIMILAR query
  sums it (over every liked watch: the real path's 600-watch cap touches 3 users);
- full EASE (no truncation to the strongest weights), the ceiling of this model family.

It prints each seed's scores and ratios, then each model's mean and standard deviation over
the seeds and how many seeds meet the goal (>= 1.15x item kNN on Recall@10 and NDCG@10).

Run: ``flock /tmp/notflix-heavy.lock .venv/bin/python -m bench.recs_seeds --seeds 0-19``
(about a minute a seed on a quiet 2-core machine: two EASE fits).
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench import movielens as ml
from chalicelib.recommendations import ease

GOAL_RATIO = 1.15
MODELS = ("item kNN", "engine model", "full EASE")


@dataclass(frozen=True)
class SeedRow:
    seed: int
    scores: dict[str, ml.Scores]

    def ratio(self, model: str) -> tuple[float, float]:
        knn, other = self.scores["item kNN"], self.scores[model]
        return other.recall / knn.recall, other.ndcg / knn.ndcg


def known_watches(data: ml.Split, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The training positives plus the titles rated under 3 (the fair protocol's exclusions)."""
    at = {m: n for n, m in enumerate(data.items)}
    seen = x.copy()
    for row, user in enumerate(data.users):
        seen[row, [at[m] for m in data.low.get(user, []) if m in at]] = 1.0
    return seen


def dense(neighbours: ease.Neighbours, size: int) -> npt.NDArray[np.float64]:
    """The kept SIMILAR weights as an items x items matrix (rows: from, columns: to)."""
    b = np.zeros((size, size))
    for i in range(len(neighbours.items)):
        count = int(neighbours.count[i])
        b[i, neighbours.targets[i, :count]] = neighbours.weights[i, :count]
    return b


def engine_weights(data: ml.Split, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``ease.fit`` on the training positives, laid out in ``data.items`` order."""
    pairs = [(str(u), str(m)) for u, ms in data.train.items() for m in ms]
    neighbours = ease.fit(pairs)
    fitted = dense(neighbours, len(neighbours.items))
    at = {str(m): n for n, m in enumerate(data.items)}
    order = np.array([at[t] for t in neighbours.items])
    b = np.zeros((x.shape[1], x.shape[1]))
    b[np.ix_(order, order)] = fitted
    return b


def full_ease(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    counts = x.sum(axis=0)
    discount = np.maximum(counts, 1.0) ** -ease.DEFAULT_BETA
    return np.asarray(ease.ease_weights(x) * discount[None, :], dtype=np.float64)


def one_seed(ratings: list[ml.Rating], seed: int) -> SeedRow:
    data = ml.split(ratings, seed)
    x = data.matrix()
    seen = known_watches(data, x)

    def scored(scores: npt.NDArray[np.float64]) -> ml.Scores:
        return ml.evaluate(ml.top_n(scores, data, seen), data)

    return SeedRow(seed, {"item kNN": scored(ml.item_knn(x)),
                          "engine model": scored(x @ engine_weights(data, x)),
                          "full EASE": scored(x @ full_ease(x))})


def seeds_of(text: str) -> list[int]:
    """``0-19`` or ``0,3,7``."""
    if "-" in text:
        first, last = text.split("-", 1)
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def summary(rows: list[SeedRow]) -> list[str]:
    lines = ["| model | Recall@10 mean (sd) | NDCG@10 mean (sd) | x kNN Recall mean (sd, min) "
             "| x kNN NDCG mean (sd, min) | seeds meeting 1.15x on both |",
             "| --- | --- | --- | --- | --- | --- |"]
    for model in MODELS:
        recall = [r.scores[model].recall for r in rows]
        ndcg = [r.scores[model].ndcg for r in rows]
        ratios = [r.ratio(model) for r in rows]
        rr, rn = [a for a, _ in ratios], [b for _, b in ratios]
        met = sum(a >= GOAL_RATIO and b >= GOAL_RATIO for a, b in ratios)
        lines.append(
            f"| {model} | {statistics.mean(recall):.4f} ({_sd(recall):.4f}) | "
            f"{statistics.mean(ndcg):.4f} ({_sd(ndcg):.4f}) | {statistics.mean(rr):.3f} "
            f"({_sd(rr):.3f}, {min(rr):.3f}) | {statistics.mean(rn):.3f} ({_sd(rn):.3f}, "
            f"{min(rn):.3f}) | {met} of {len(rows)} |")
    return lines


def _sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seeds", default="0-19", help="a range (0-19) or a list (0,3,7)")
    args = parser.parse_args()
    ratings, _movies = ml.load()
    print("| seed | kNN Recall@10 | kNN NDCG@10 | engine Recall@10 | engine NDCG@10 | "
          "engine x kNN | full EASE x kNN |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rows: list[SeedRow] = []
    for seed in seeds_of(args.seeds):
        row = one_seed(ratings, seed)
        rows.append(row)
        knn, engine = row.scores["item kNN"], row.scores["engine model"]
        (er, en), (fr, fn) = row.ratio("engine model"), row.ratio("full EASE")
        print(f"| {seed} | {knn.recall:.4f} | {knn.ndcg:.4f} | {engine.recall:.4f} | "
              f"{engine.ndcg:.4f} | {er:.3f} / {en:.3f} | {fr:.3f} / {fn:.3f} |", flush=True)
    print()
    print("\n".join(summary(rows)))


if __name__ == "__main__":
    main()
