"""The graph's constraints and indexes, created at deploy (and idempotently on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, LiteralString

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

#: Unique keys make MERGE an index lookup (and a lock, so concurrent syncs cannot duplicate);
#: the popularity index serves "most popular playable" lists; the SIMILAR weight index finds
#: the watch behind a "because you watched" (queries.BECAUSE_WATCHED).
STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT title_id IF NOT EXISTS FOR (t:Title) REQUIRE t.id IS UNIQUE",
    "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
    "CREATE CONSTRAINT genre_name IF NOT EXISTS FOR (g:Genre) REQUIRE g.name IS UNIQUE",
    "CREATE CONSTRAINT person_key IF NOT EXISTS FOR (p:Person) REQUIRE p.key IS UNIQUE",
    "CREATE INDEX title_popularity IF NOT EXISTS FOR (t:Title) ON (t.popularity)",
    "CREATE INDEX similar_weight IF NOT EXISTS FOR ()-[s:SIMILAR]-() ON (s.w)",
)


def apply_schema(driver: Driver, database: str | None = None) -> int:
    """Create whatever is missing; the number of statements run (all of them, idempotent).

    Each statement is a managed write transaction: two deploys (or test processes) applying
    the schema at once can deadlock on the schema lock, a transient error the driver retries
    with backoff."""
    with driver.session(database=database) as session:
        for statement in STATEMENTS:
            session.execute_write(_run, statement)
        session.run("CALL db.awaitIndexes(60)").consume()
    return len(STATEMENTS)


def _run(tx: ManagedTransaction, statement: LiteralString) -> None:
    tx.run(statement).consume()
