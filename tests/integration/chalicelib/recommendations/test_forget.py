"""A deleted profile forgotten by the real Neo4j: its edges go, its node stays a tombstone,
and a watch or rating that the queue delivers after the forget is not kept; another viewer
of the same titles keeps theirs."""

from __future__ import annotations

import pytest

from chalicelib.platform.resources import Resources
from chalicelib.recommendations.events import (
    ForgetEvent,
    ForgetRow,
    RatingRow,
    RatingsEvent,
    TitleRow,
    TitlesEvent,
    UserRow,
    UsersEvent,
    WatchesEvent,
    WatchRow,
)
from chalicelib.recommendations.sync import GraphSync
from tests.support import unique

pytestmark = pytest.mark.integration
AT = "2026-12-01T10:00:00.000Z"


def edges(resources: Resources, user: str) -> list[str]:
    with resources.neo4j.session() as session:
        return sorted(r["kind"] for r in session.run(
            "MATCH (:User {id: $user})-[r]-() RETURN type(r) AS kind", user=user))


def test_a_forgotten_viewer_keeps_no_edges_even_from_late_events(
        resources: Resources, graph_schema: None) -> None:
    ns = unique("fg") + "-"
    gone, stays, title = f"{ns}gone", f"{ns}stays", f"{ns}film"
    sync = GraphSync(resources.neo4j)

    def watched(user: str, at: str) -> list[WatchesEvent | RatingsEvent]:
        return [WatchesEvent([WatchRow(user, title, 1, at, 0.5, False)]),
                RatingsEvent([RatingRow(user, title, 10.0, at)])]

    sync.apply([TitlesEvent([TitleRow(id=title, name="Film", kind="film", playable=True)]),
                UsersEvent([UserRow(gone, AT), UserRow(stays, AT)]),
                *watched(gone, AT), *watched(stays, AT)])
    assert edges(resources, gone) == ["RATED", "WATCHED"]

    sync.apply([ForgetEvent([ForgetRow(gone, AT)])])
    assert edges(resources, gone) == []
    # queued before the deletion, delivered after it; and a later watch in the same batch
    sync.apply(watched(gone, "2026-11-30T10:00:00.000Z"))
    sync.apply([*watched(gone, "2026-12-02T10:00:00.000Z"), ForgetEvent([ForgetRow(gone, AT)])])
    sync.apply([UsersEvent([UserRow(gone, AT)])])
    assert edges(resources, gone) == []
    with resources.neo4j.session() as session:
        node = session.run("MATCH (u:User {id: $id}) RETURN u", id=gone).single()
    assert node is not None and node["u"]["forgotten"] is True
    assert edges(resources, stays) == ["RATED", "WATCHED"]

    # forgetting a viewer the graph never saw leaves a tombstone too (the forget came first)
    early = f"{ns}early"
    sync.apply([ForgetEvent([ForgetRow(early, AT)])])
    sync.apply([UsersEvent([UserRow(early, AT)]), *watched(early, AT)])
    assert edges(resources, early) == []
