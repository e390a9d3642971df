"""Apply graph events to Neo4j: batched ``UNWIND $rows`` + ``MERGE``, idempotent.

Running the same events twice leaves the same graph: nodes and edges are merged on their
keys, a title's genres and people are replaced by the row's, and a watch keeps the larger
count, the later time and the progress of the later event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from chalicelib.recommendations.events import (
    ForgetEvent,
    GraphEvent,
    RatingsEvent,
    TitlesEvent,
    UsersEvent,
    WatchesEvent,
    chunked,
)
from chalicelib.recommendations.schema import apply_schema

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

ROWS_PER_TRANSACTION = 5000

MERGE_TITLES = """
UNWIND $rows AS row
MERGE (t:Title {id: row.id})
SET t.name = row.name, t.kind = row.kind, t.year = row.year, t.popularity = row.popularity,
    t.poster_path = row.poster_path, t.playable = row.playable
WITH t, row
CALL (t, row) {
  OPTIONAL MATCH (t)-[old:IN_GENRE]->(g:Genre)
  WHERE NOT g.name IN row.genres
  DELETE old
}
CALL (t, row) {
  OPTIONAL MATCH (p:Person)-[old:DIRECTED|ACTED_IN]->(t)
  WHERE NOT (p.key + '|' + type(old)) IN
        [x IN row.people | x.key + '|' + CASE x.role WHEN 'director' THEN 'DIRECTED'
                                                    ELSE 'ACTED_IN' END]
  DELETE old
}
FOREACH (name IN row.genres |
  MERGE (g:Genre {name: name})
  MERGE (t)-[:IN_GENRE]->(g))
FOREACH (x IN [x IN row.people WHERE x.role = 'director'] |
  MERGE (p:Person {key: x.key}) SET p.name = x.name
  MERGE (p)-[:DIRECTED]->(t))
FOREACH (x IN [x IN row.people WHERE x.role = 'actor'] |
  MERGE (p:Person {key: x.key}) SET p.name = x.name
  MERGE (p)-[:ACTED_IN]->(t))
"""

MERGE_USERS = """
UNWIND $rows AS row
MERGE (u:User {id: row.id})
ON CREATE SET u.created_at = row.created_at
"""

MERGE_WATCHES = """
UNWIND $rows AS row
MERGE (u:User {id: row.user})
WITH u, row WHERE u.forgotten IS NULL
MERGE (t:Title {id: row.title})
MERGE (u)-[w:WATCHED]->(t)
WITH w, row, datetime(row.last_at).epochSeconds AS ts
WITH w, row, ts, (w.last_ts IS NULL OR ts >= w.last_ts) AS newer
SET w.count = CASE WHEN w.count IS NULL OR row.count > w.count THEN row.count ELSE w.count END,
    w.progress = CASE WHEN newer THEN row.progress ELSE w.progress END,
    w.completed = coalesce(w.completed, false) OR row.completed,
    w.last_at = CASE WHEN newer THEN row.last_at ELSE w.last_at END,
    w.last_ts = CASE WHEN newer THEN ts ELSE w.last_ts END
"""

#: The later rating wins; a cleared one (null) removes the edge's rating and keeps its time.
MERGE_RATINGS = """
UNWIND $rows AS row
MERGE (u:User {id: row.user})
WITH u, row WHERE u.forgotten IS NULL
MERGE (t:Title {id: row.title})
MERGE (u)-[r:RATED]->(t)
WITH r, row
WHERE r.rated_at IS NULL OR row.rated_at >= r.rated_at
SET r.rating = row.rating, r.rated_at = row.rated_at
"""

#: A deleted profile: its edges go, its node stays as a tombstone (no name, no edges) that
#: the watch and rating statements skip, whichever order the queue delivers them in.
FORGET_USERS = """
UNWIND $rows AS row
MERGE (u:User {id: row.id})
SET u.forgotten = true, u.forgotten_at = row.at
WITH u
CALL (u) {
  OPTIONAL MATCH (u)-[r]-()
  DELETE r
}
"""

#: Applied in this order: users and titles first, so watches rarely create bare nodes;
#: forgetting last, so a batch's own late watches of a deleted profile go with it.
STATEMENTS: tuple[tuple[type[Any], str], ...] = (
    (UsersEvent, MERGE_USERS), (TitlesEvent, MERGE_TITLES),
    (WatchesEvent, MERGE_WATCHES), (RatingsEvent, MERGE_RATINGS),
    (ForgetEvent, FORGET_USERS))


class GraphSync:
    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self.driver = driver
        self.database = database
        self._schema_ready = False

    def ensure_schema(self) -> None:
        if not self._schema_ready:
            apply_schema(self.driver, self.database)
            self._schema_ready = True

    def apply(self, events: Sequence[GraphEvent]) -> dict[str, int]:
        """Write every event's rows; rows written per kind. Raises the driver's errors."""
        self.ensure_schema()
        written: dict[str, int] = {}
        with self.driver.session(database=self.database) as session:
            for kind, statement in STATEMENTS:
                rows = [msgspec.to_builtins(row) for event in events
                        if isinstance(event, kind) for row in event.rows]
                for chunk in chunked(rows, ROWS_PER_TRANSACTION):
                    session.execute_write(_run, statement, chunk)
                if rows:
                    written[kind.__name__.removesuffix("Event").lower()] = len(rows)
        return written


def _run(tx: ManagedTransaction, statement: str, rows: list[dict[str, Any]]) -> None:
    tx.run(statement, rows=rows).consume()
