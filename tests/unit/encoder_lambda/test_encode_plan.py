"""Planning a chunked encode: chunk ranges on segment boundaries, global segment numbers,
one task per audio track, task messages that round-trip and refuse garbage."""

from __future__ import annotations

import json

import pytest

from encoder_lambda.tasks import (
    MalformedTask,
    chunk_seconds_for,
    is_task_message,
    parse_task,
    plan_chunks,
    plan_tasks,
)


def test_chunks_cover_the_title_on_segment_boundaries() -> None:
    chunks = plan_chunks("j", "a", 150.5, 60)
    assert [(c.start_s, c.end_s) for c in chunks] == [(0, 60), (60, 120), (120, 150.5)]
    assert [c.first_number for c in chunks] == [1, 16, 31]
    assert [c.name for c in chunks] == ["chunk-0000", "chunk-0001", "chunk-0002"]


@pytest.mark.parametrize(("requested", "used"), [(60, 60), (61, 60), (63, 64), (1, 4), (0, 4)])
def test_a_chunk_is_a_whole_number_of_segments(requested: int, used: int) -> None:
    assert chunk_seconds_for(requested) == used


def test_a_title_exactly_a_chunk_long_has_one_chunk() -> None:
    assert len(plan_chunks("j", "a", 60.0, 60)) == 1
    assert len(plan_chunks("j", "a", 60.001, 60)) == 2


def test_a_two_hour_film_at_the_default_is_120_chunks_plus_its_other_tasks() -> None:
    tasks = plan_tasks("j", "a", 7200.0, 60, [1, 2])
    kinds = [t.kind for t in tasks]
    assert kinds.count("chunk") == 120
    assert [t.name for t in tasks if t.kind == "audio"] == ["audio-0", "audio-1"]
    assert [t.stream_index for t in tasks if t.kind == "audio"] == [1, 2]
    assert {"artwork", "text"} <= {t.name for t in tasks}
    assert len({t.name for t in tasks}) == len(tasks)


def test_task_messages_round_trip_and_read_well() -> None:
    task = plan_chunks("job1", "asset1", 300.0, 60)[3]
    body = json.loads(task.to_json())
    assert is_task_message(body) and parse_task(body) == task
    assert task.label == "chunk 3 (180-240 s)"
    assert not is_task_message({"Records": []})


@pytest.mark.parametrize("body", [{"task": "dance", "job_id": "j", "name": "x", "asset_id": "a"},
                                  {"task": "chunk", "job_id": "j"},
                                  {"task": "chunk", "job_id": "j", "name": "c",
                                   "asset_id": "a", "start_s": "soon"}])
def test_a_malformed_task_is_refused_with_a_reason(body: dict[str, object]) -> None:
    with pytest.raises(MalformedTask):
        parse_task(body)
