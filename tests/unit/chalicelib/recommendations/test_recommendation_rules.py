"""Graph events, the outbox's message sizes, the sync worker's retries, resume rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.recommendations.events import (
    MAX_ACTORS,
    BadEvent,
    PersonRow,
    TitleRow,
    TitlesEvent,
    WatchesEvent,
    WatchRow,
    decode,
    encode,
    people_rows,
)
from chalicelib.recommendations.outbox import MAX_MESSAGE_BYTES, GraphOutbox
from chalicelib.recommendations.queued import QueuedMessage
from chalicelib.recommendations.sync_worker import GraphSyncWorker, GraphUnavailable, RetryDelay
from chalicelib.viewing.resume import resume_point


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.batch_calls = 0
        self.visibility: list[tuple[str, int]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert len(Entries) <= 10
        self.batch_calls += 1
        self.sent += [e["MessageBody"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str,
                                  VisibilityTimeout: int) -> None:
        self.visibility.append((ReceiptHandle, VisibilityTimeout))


class FakeSync:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.applied: list[Any] = []

    def apply(self, events: list[Any]) -> dict[str, int]:
        if self.fail:
            raise ConnectionError("Neo4j is down")
        self.applied += events
        return {"watches": sum(len(e.rows) for e in events)}


def watch_row(n: int) -> WatchRow:
    return WatchRow(user=f"u{n}", title="t", count=1, last_at="2026-11-01T00:00:00Z",
                    progress=0.5, completed=False)


def test_events_round_trip_and_garbage_is_refused() -> None:
    event = TitlesEvent([TitleRow(id="t1", name="Heat", kind="film", year=1995,
                                  genres=["Crime"], people=[PersonRow("tmdb:1", "M", "director")])])
    assert decode(encode(event)) == event
    for bad in (b"not json", b'{"type": "nope", "rows": []}', b'{"type": "watches"}',
                b'{"type": "watches", "rows": [{"user": 1}]}'):
        with pytest.raises(BadEvent):
            decode(bad)


def test_people_rows_keep_directors_and_top_billed_actors() -> None:
    people = [{"name": f"Actor {i}", "role": "actor", "order": i, "tmdb_id": 100 + i}
              for i in reversed(range(15))]
    people += [{"name": "Michael Mann", "role": "director"},
               {"name": "Michael Mann", "role": "director"},  # listed twice
               {"name": "  ", "role": "director"},
               {"name": "Dante Spinotti", "role": "writer"}]
    rows = people_rows(people)
    directors = [r for r in rows if r.role == "director"]
    actors = [r for r in rows if r.role == "actor"]
    assert directors == [PersonRow("name:michael mann", "Michael Mann", "director")]
    assert [a.name for a in actors] == [f"Actor {i}" for i in range(MAX_ACTORS)]
    assert actors[0].key == "tmdb:100"


def test_outbox_packs_rows_into_few_messages_within_the_size_limit() -> None:
    sqs = FakeSqs()
    GraphOutbox(sqs, lambda: "queue-url").watches([watch_row(n) for n in range(450)])
    assert [len(json.loads(body)["rows"]) for body in sqs.sent] == [200, 200, 50]
    assert sqs.batch_calls == 1
    big = [TitleRow(id=f"t{n}", name="x" * 3000, kind="film") for n in range(200)]
    sqs = FakeSqs()
    GraphOutbox(sqs, "queue-url").titles(big)
    assert len(sqs.sent) > 1 and all(len(body) <= MAX_MESSAGE_BYTES for body in sqs.sent)
    assert sum(len(json.loads(body)["rows"]) for body in sqs.sent) == 200


def test_retry_delay_doubles_up_to_its_cap() -> None:
    delay = RetryDelay(base_s=5, cap_s=900)
    assert [delay.after(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert delay.after(9) == 900 and delay.after(500) == 900
    assert RetryDelay(1, 2).after(7) == 2


def test_a_failing_graph_sends_the_batch_back_with_a_delay() -> None:
    sqs = FakeSqs()
    worker = GraphSyncWorker(FakeSync(fail=True), sqs, "q", RetryDelay(5, 900))  # type: ignore[arg-type]
    body = encode(WatchesEvent([watch_row(1)])).decode()
    messages = [QueuedMessage(body, "h1", 1), QueuedMessage(body, "h2", 3)]
    with pytest.raises(GraphUnavailable):
        worker.handle(messages)
    assert sqs.visibility == [("h1", 5), ("h2", 20)]


def test_a_bad_message_is_dropped_and_the_rest_applied() -> None:
    sync = FakeSync()
    worker = GraphSyncWorker(sync, FakeSqs(), "q")  # type: ignore[arg-type]
    good = encode(WatchesEvent([watch_row(1), watch_row(2)])).decode()
    assert worker.handle([QueuedMessage("{broken", "h1", 1), QueuedMessage(good, "h2", 1)]) == {
        "watches": 2}
    assert len(sync.applied) == 1


def test_once_watches_are_in_the_graph_their_users_cached_answers_go() -> None:
    told: list[set[str]] = []
    worker = GraphSyncWorker(FakeSync(), FakeSqs(), "q",  # type: ignore[arg-type]
                             on_watched=told.append)
    body = encode(WatchesEvent([watch_row(1), watch_row(2), watch_row(1)])).decode()
    worker.handle([QueuedMessage(body, "h1", 1)])
    assert told == [{"u1", "u2"}]

    failing = GraphSyncWorker(FakeSync(fail=True), FakeSqs(), "q",  # type: ignore[arg-type]
                              on_watched=told.append)
    with pytest.raises(GraphUnavailable):
        failing.handle([QueuedMessage(body, "h2", 1)])
    assert told == [{"u1", "u2"}]  # not in the graph: nothing to drop yet


def test_queued_message_from_a_lambda_record() -> None:
    record = {"body": "{}", "receiptHandle": "rh", "attributes": {"ApproximateReceiveCount": "4"}}
    assert QueuedMessage.from_record(record) == QueuedMessage("{}", "rh", 4)
    assert QueuedMessage.from_record({"body": "x", "receiptHandle": "r"}).receive_count == 1


@pytest.mark.parametrize(("position", "fraction", "resume"), [
    (10.0, 0.01, 0.0),  # under 5%: start over
    (30.0, 0.05, 30.0),
    (500.0, 0.8999, 500.0),
    (540.0, 0.90, 0.0),  # watched: start over next time
])
def test_resume_rules(position: float, fraction: float, resume: float) -> None:
    assert resume_point(position, fraction) == resume
