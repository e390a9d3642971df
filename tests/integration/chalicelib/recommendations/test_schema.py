"""The graph schema applied by many processes at once, against the real Neo4j.

Test workers (and two deploys) apply the schema at the same moment; a session that loses the
race to create a rule is told an equivalent one exists. Each must still succeed. The race is
run on this test's own, uniquely named rules so the shared graph's schema is left alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from neo4j.exceptions import ClientError

from chalicelib.platform.resources import Resources
from chalicelib.recommendations.schema import apply_schema
from tests.support import unique

pytestmark = pytest.mark.integration
RACERS = 8


def test_racing_sessions_creating_the_same_rules_all_succeed(resources: Resources) -> None:
    tag = unique("schema").replace("-", "_")
    statements = [
        f"CREATE INDEX {tag}_{n} IF NOT EXISTS FOR (x:{tag}) ON (x.p{n})"
        for n in range(6)]
    names = [f"{tag}_{n}" for n in range(6)]
    try:
        for _round in range(3):
            with ThreadPoolExecutor(RACERS) as pool:
                ran = list(pool.map(
                    lambda _: apply_schema(resources.neo4j, statements=statements),
                    range(RACERS)))
            assert ran == [len(statements)] * RACERS
            with resources.neo4j.session() as session:
                found = {r["name"] for r in session.run(
                    "SHOW INDEXES YIELD name WHERE name STARTS WITH $tag", tag=tag)}
            assert found == set(names)
            _drop(resources, names)
    finally:
        _drop(resources, names)


def test_an_error_other_than_already_there_is_raised(resources: Resources) -> None:
    with pytest.raises(ClientError):
        apply_schema(resources.neo4j, statements=["CREATE INDEX FOR (x:Broken) ON"])


def _drop(resources: Resources, names: list[str]) -> None:
    with resources.neo4j.session() as session:
        for name in names:
            session.run(f"DROP INDEX {name} IF EXISTS").consume()
