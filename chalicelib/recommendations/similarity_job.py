"""The offline job behind "because you watched": EASE weights from the watch graph, written
back as weighted ``(:Title)-[:SIMILAR {w}]->(:Title)`` edges.

It reads every watch that counts as liked (completed, or watched at least halfway), fits
``ease`` on the titles that have any (each user weighted by 1 / their liked watches^0.5,
each weight discounted by its target's popularity), and replaces each title's outgoing
SIMILAR edges by its ``top_k`` strongest, in batches; titles no longer modelled lose
theirs. Run nightly (``chalicelib.routes.workers``), from the CLI (``python -m
chalicelib.recommendations.similarity_job``) or from a benchmark.

Cost, n the titles with liked watches (at most ``MAX_TITLES``): memory about five n x n
float64 matrices at the inversion (7,400 MovieLens titles: 2.2 GB peak RSS for the whole
benchmark process; 17,000 titles from 2 million liked watches: 10.5 GB and 78 s to fit on
this 2-core machine, hence the cap at 12,000: 5.5 GB and 37 s); writing n x ``top_k``
edges runs at ~35,000-45,000 a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, LiteralString

from aws_lambda_powertools import Logger

from chalicelib.recommendations import ease

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

logger = Logger(service="notflix", child=True)

LIKED_WATCHES: LiteralString = """
MATCH (u:User)-[w:WATCHED]->(t:Title)
WHERE w.completed = true OR w.progress >= 0.5
RETURN u.id AS user, t.id AS title
"""

#: Replaces each listed title's outgoing SIMILAR edges (one transaction per batch).
REPLACE_EDGES: LiteralString = """
UNWIND $rows AS row
MATCH (a:Title {id: row.id})
CALL (a) {
  MATCH (a)-[old:SIMILAR]->()
  DELETE old
}
WITH a, row
UNWIND row.to AS x
MATCH (b:Title {id: x.id})
CREATE (a)-[:SIMILAR {w: x.w}]->(b)
"""

#: Titles no longer in the model (no liked watch) keep no stale edges.
DROP_STALE: LiteralString = """
MATCH (a:Title)-[old:SIMILAR]->()
WHERE NOT a.id IN $modelled
DELETE old
"""

ROWS_PER_TRANSACTION = 200  # titles; x top_k edges
#: The titles modelled, the most watched first: numpy inverts in float64 whatever the input,
#: so the peak is about five n x n float64 matrices (measured: 12,000 titles 5.5 GB,
#: 17,000 titles 10.5 GB). The rest get no SIMILAR edges (the collaborative and content
#: lists cover them).
MAX_TITLES = 12_000


@dataclass(frozen=True)
class SimilarityRun:
    titles: int
    interactions: int
    edges: int
    fit_s: float
    write_s: float

    def as_dict(self) -> dict[str, Any]:
        return {"titles": self.titles, "interactions": self.interactions,
                "edges": self.edges, "fit_s": round(self.fit_s, 2),
                "write_s": round(self.write_s, 2)}


class SimilarityJob:
    def __init__(self, driver: Driver, database: str | None = None,
                 lam: float = ease.DEFAULT_LAMBDA, top_k: int = ease.DEFAULT_TOP_K,
                 beta: float = ease.DEFAULT_BETA, alpha: float = ease.DEFAULT_ALPHA) -> None:
        self.driver = driver
        self.alpha = alpha
        self.database = database
        self.lam = lam
        self.top_k = top_k
        self.beta = beta

    def run(self) -> SimilarityRun:
        started = time.perf_counter()
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            pairs = s.execute_read(_pairs)
        neighbours = ease.fit(pairs, self.lam, self.top_k, self.beta, MAX_TITLES, self.alpha)
        fitted = time.perf_counter()
        edges = self.write(neighbours)
        with self.driver.session(database=self.database) as session:
            session.execute_write(_write, DROP_STALE, {"modelled": neighbours.items})
        run = SimilarityRun(titles=len(neighbours.items), interactions=len(pairs), edges=edges,
                            fit_s=fitted - started, write_s=time.perf_counter() - fitted)
        logger.info("similar titles computed", **run.as_dict())
        return run

    def write(self, neighbours: ease.Neighbours) -> int:
        """Replace the listed titles' SIMILAR edges; the number written."""
        edges = 0
        with self.driver.session(database=self.database) as session:
            for rows in _batches(neighbours, ROWS_PER_TRANSACTION):
                session.execute_write(_write, REPLACE_EDGES, {"rows": rows})
                edges += sum(len(r["to"]) for r in rows)
        return edges


def _batches(neighbours: ease.Neighbours, size: int) -> Iterator[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    for i, source in enumerate(neighbours.items):
        count = int(neighbours.count[i])
        rows.append({"id": source, "to": [
            {"id": neighbours.items[int(neighbours.targets[i, k])],
             "w": float(neighbours.weights[i, k])} for k in range(count)]})
        if len(rows) >= size:
            yield rows
            rows = []
    if rows:
        yield rows


def _pairs(tx: ManagedTransaction) -> list[tuple[str, str]]:
    return [(str(r["user"]), str(r["title"])) for r in tx.run(LIKED_WATCHES)]


def _write(tx: ManagedTransaction, cypher: LiteralString, params: dict[str, Any]) -> None:
    tx.run(cypher, params).consume()


def main() -> None:  # pragma: no cover - a thin CLI over the job
    import argparse

    from chalicelib.platform.config import Settings
    from chalicelib.platform.resources import Resources

    parser = argparse.ArgumentParser(description="Compute SIMILAR edges (EASE) in Neo4j.")
    parser.add_argument("--lam", type=float, default=ease.DEFAULT_LAMBDA)
    parser.add_argument("--top-k", type=int, default=ease.DEFAULT_TOP_K)
    parser.add_argument("--beta", type=float, default=ease.DEFAULT_BETA)
    parser.add_argument("--alpha", type=float, default=ease.DEFAULT_ALPHA)
    args = parser.parse_args()
    resources = Resources(Settings.from_env())
    try:
        run = SimilarityJob(resources.neo4j, lam=args.lam, top_k=args.top_k,
                            beta=args.beta, alpha=args.alpha).run()
    finally:
        resources.close()
    print(run.as_dict())


if __name__ == "__main__":  # pragma: no cover
    main()
