"""What a person sees of a job's progress, from job records built in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.jobs.models import JobModel
from chalicelib.jobs.progress import clock, headline, summarize, task_fraction
from chalicelib.platform.clock import iso

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).timestamp()


def at(seconds: float) -> str:
    """The ISO stamp `seconds` after T0."""
    return iso(datetime.fromtimestamp(T0 + seconds, UTC))


def plan(chunks: int, duration_s: float, extra: tuple[str, ...] = ("audio", "artwork", "text"),
         chunk_seconds: int = 60) -> dict[str, Any]:
    names = [f"chunk-{i:04d}" for i in range(chunks)]
    return {"tasks": [*names, *extra], "chunks": chunks, "chunk_seconds": chunk_seconds,
            "segment_seconds": 4, "duration_s": duration_s}


def job(status: str = "ENCODING", **fields: Any) -> JobModel:
    base: dict[str, Any] = {"bucket": "b", "key": "uploads/x/film.mp4", "created_at": at(0),
                            "updated_at": at(0), "stages": {}}
    return JobModel("job-1", status=status, **{**base, **fields})


def encoding(done: set[str] | None = None, running: dict[str, float] | None = None,
             **fields: Any) -> JobModel:
    the_plan = fields.pop("plan", plan(20, 1200, extra=()))
    return job("ENCODING", plan=the_plan, tasks_total=len(the_plan["tasks"]),
               tasks_done=done or None, task_progress=running,
               stages={"PROBING": {"started_at": at(0), "ended_at": at(10), "outcome": "ok"},
                       "ENCODING": {"started_at": at(10)}}, **fields)


def chunks(*numbers: int) -> set[str]:
    return {f"chunk-{n:04d}" for n in numbers}


def test_a_queued_job_has_nothing_to_show_yet() -> None:
    progress = summarize(job("QUEUED"), T0 + 5)
    assert (progress.chunks_done, progress.chunks_total) == (0, 0)
    assert (progress.tasks_done, progress.tasks_total) == (0, 0)
    assert progress.percent == 0 and progress.eta_seconds is None
    assert progress.stage is None and progress.stages == []
    assert progress.heartbeat_age_s is None
    assert headline(progress) == "Queued"


def test_chunks_and_tasks_are_counted_from_the_plan() -> None:
    the_plan = plan(20, 1200)
    progress = summarize(encoding(chunks(0, 1, 2, 3, 4, 5, 6) | {"audio"}, plan=the_plan),
                         T0 + 82)
    assert (progress.chunks_done, progress.chunks_total) == (7, 20)
    assert (progress.tasks_done, progress.tasks_total) == (8, 23)
    assert progress.stage == "ENCODING"


def test_done_tasks_count_whole_and_running_ones_by_their_fraction() -> None:
    progress = summarize(encoding(chunks(*range(7)), {"chunk-0007": 0.5, "chunk-0008": 0.1}),
                         T0 + 82)
    assert progress.percent == pytest.approx(round((7 + 0.5 + 0.1) / 20 * 100, 1))
    assert progress.percent == 38.0


def test_the_last_short_chunk_weighs_by_its_length() -> None:
    # 150 s in 60 s chunks: 60 + 60 + 30; the short one is a fifth of the work
    short = summarize(encoding(chunks(2), plan=plan(3, 150, extra=())), T0 + 30)
    assert short.percent == 20.0
    full = summarize(encoding(chunks(0), plan=plan(3, 150, extra=())), T0 + 30)
    assert full.percent == 40.0


def test_a_fraction_reported_for_a_done_task_is_not_counted_twice() -> None:
    fraction = task_fraction(encoding(chunks(0), {"chunk-0000": 0.9}, plan=plan(2, 120, ())))
    assert fraction == pytest.approx(0.5)


def test_without_a_plan_the_count_of_tasks_or_the_encoders_fraction_is_used() -> None:
    counted = job("ENCODING", tasks_total=4, tasks_done={"chunk-0000", "audio"},
                  task_progress={"chunk-0001": 0.5})
    assert summarize(counted, T0).percent == 62.5
    assert summarize(counted, T0).chunks_done == 1
    legacy = job("ENCODING", progress=0.42)
    assert summarize(legacy, T0).percent == 42.0


def test_only_a_published_job_shows_100_percent() -> None:
    every = set(plan(3, 180, ())["tasks"])
    packaging = encoding(every, plan=plan(3, 180, ()))
    packaging.status = "PACKAGING"
    assert summarize(packaging, T0 + 100).percent == 99.0
    published = job("PUBLISHED", progress=1.0, plan=plan(3, 180, ()), tasks_done=every,
                    stages={"PROBING": {"started_at": at(0), "ended_at": at(10)},
                            "ENCODING": {"started_at": at(10), "ended_at": at(190)},
                            "PACKAGING": {"started_at": at(190), "ended_at": at(200)}},
                    updated_at=at(200))
    progress = summarize(published, T0 + 5000)
    assert progress.percent == 100.0 and progress.stage is None
    assert progress.elapsed_s == 200.0  # the job's time, not the time since
    assert headline(progress) == "Published: 3 of 3 chunks · 100% · 3:20 in all"


def test_each_stage_shows_its_elapsed_time_ended_or_running() -> None:
    progress = summarize(encoding(), T0 + 82)
    probing, running = progress.stages
    assert (probing.name, probing.elapsed_s, probing.running, probing.outcome) == (
        "PROBING", 10.0, False, "ok")
    assert (running.name, running.elapsed_s, running.running) == ("ENCODING", 72.0, True)
    assert progress.elapsed_s == 82.0


def test_a_stage_left_open_by_a_final_job_ends_with_the_jobs_last_change() -> None:
    failed = job("FAILED", stages={"ENCODING": {"started_at": at(10)}}, updated_at=at(70))
    (stage,) = summarize(failed, T0 + 9999).stages
    assert stage.elapsed_s == 60.0 and stage.running is False


def test_the_estimate_scales_encodings_time_by_what_is_left() -> None:
    # 72 s of encoding made 38%: the other 62% takes about 117 s more
    progress = summarize(encoding(chunks(*range(7)), {"chunk-0007": 0.5, "chunk-0008": 0.1}),
                         T0 + 82)
    assert progress.eta_seconds == round(72 * 0.62 / 0.38) == 117
    assert headline(progress) == ("Encoding: 7 of 20 chunks · 38% · 1:12 elapsed · "
                                  "about 1:57 left")


@pytest.mark.parametrize("the_job", [
    encoding(),  # nothing done yet
    encoding(running={"chunk-0000": 0.001}),  # too little to go by
    job("PROBING", stages={"PROBING": {"started_at": at(0)}}),
], ids=["nothing-done", "too-little", "planning"])
def test_no_estimate_before_there_is_a_basis(the_job: JobModel) -> None:
    progress = summarize(the_job, T0 + 30)
    assert progress.eta_seconds is None
    assert "left" not in headline(progress)


def test_no_estimate_once_encoding_is_over() -> None:
    packaging = encoding(chunks(*range(20)))
    packaging.status = "PACKAGING"
    packaging.stages = {**packaging.stages,
                        "ENCODING": {"started_at": at(10), "ended_at": at(100)},
                        "PACKAGING": {"started_at": at(100)}}
    progress = summarize(packaging, T0 + 104)
    assert progress.eta_seconds is None
    assert headline(progress) == "Packaging: 20 of 20 chunks · 99% · 0:04 elapsed"


def test_the_heartbeat_age_is_seconds_since_the_last_sign_of_life() -> None:
    assert summarize(encoding(heartbeat_at=T0 + 70), T0 + 82).heartbeat_age_s == 12.0
    assert summarize(encoding(heartbeat_at=T0 + 90), T0 + 82).heartbeat_age_s == 0.0
    assert summarize(encoding(), T0 + 82).heartbeat_age_s is None


def test_malformed_plans_stamps_and_fractions_are_tolerated() -> None:
    odd = job("ENCODING", plan={"tasks": "nope"}, task_progress={"chunk-0000": "x"},
              stages={"ENCODING": {"started_at": "yesterday"}})
    progress = summarize(odd, T0)
    assert progress.percent == 0 and progress.stages[0].elapsed_s is None
    assert progress.eta_seconds is None


def test_as_dict_carries_the_numbers_and_the_sentence() -> None:
    shown = summarize(encoding(chunks(0)), T0 + 82).as_dict()
    assert shown["chunks_done"] == 1 and shown["chunks_total"] == 20
    assert shown["stages"][1] == {"name": "ENCODING", "started_at": at(10), "ended_at": None,
                                  "outcome": None, "elapsed_s": 72.0, "running": True}
    assert shown["summary"].startswith("Encoding: 1 of 20 chunks · 5% · 1:12 elapsed")


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (59.6, "1:00"), (72, "1:12"),
                                                (3723, "1:02:03"), (-3, "0:00")])
def test_clock(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown
