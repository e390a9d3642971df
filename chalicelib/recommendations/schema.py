"""The graph's constraints and indexes, created at deploy (and idempotently on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, LiteralString

if TYPE_CHECKING:
    from neo4j import Driver, Session

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

#: What Neo4j answers when another session created the same rule between this statement's
#: "IF NOT EXISTS" check and its commit: the rule exists, which is all the statement wanted.
ALREADY_THERE = frozenset({
    "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    "Neo.ClientError.Schema.IndexAlreadyExists",
    "Neo.ClientError.Schema.ConstraintAlreadyExists",
})


def apply_schema(driver: Driver, database: str | None = None,
                 statements: Sequence[LiteralString] = STATEMENTS) -> int:
    """Create whatever is missing; the number of statements run (all of them, idempotent).

    Each statement runs in its own auto-commit transaction. "IF NOT EXISTS" is checked before
    the schema lock is taken, so the slower of two sessions creating the same rule (two
    deploys, or test processes, at once) is told an equivalent rule exists: that is success.
    A transient error (a deadlock on the schema lock) is retried with backoff."""
    with driver.session(database=database) as session:
        for statement in statements:
            _create(session, statement)
        session.run("CALL db.awaitIndexes(60)").consume()
    return len(statements)


def _create(session: Session, statement: LiteralString) -> None:
    from neo4j.exceptions import ClientError, TransientError
    from tenacity import (
        retry,
        retry_if_exception_type,
        stop_after_attempt,
        wait_random_exponential,
    )

    @retry(retry=retry_if_exception_type(TransientError), stop=stop_after_attempt(6),
           wait=wait_random_exponential(multiplier=0.2, max=3), reraise=True)
    def attempt() -> None:
        try:
            session.run(statement).consume()
        except ClientError as exc:
            if exc.code not in ALREADY_THERE:
                raise

    attempt()
