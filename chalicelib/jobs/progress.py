"""How far an encode job has come, as a person follows it: chunks done of total, percent,
time per stage, an estimate of the time left and how long ago a worker last reported.

Everything is read from the job record at a given moment (``now``, epoch seconds), so the
same job summarised twice a second apart differs only in its clocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.jobs.models import FINAL, STAGES, JobModel
from chalicelib.openapi import responses as api
from chalicelib.platform.clock import parse_iso

CHUNK = re.compile(r"^chunk-(\d+)$")
#: Below this fraction done there is no basis for an estimate of the time left.
MIN_BASIS = 0.01
#: Until a job is published it shows at most this percent (packaging is still to come).
BEFORE_PUBLISH_MAX = 99.0
LABELS = {"QUEUED": "Queued", "PROBING": "Planning", "ENCODING": "Encoding",
          "PACKAGING": "Packaging", "PUBLISHED": "Published", "FAILED": "Failed",
          "CANCELLED": "Cancelled"}


@dataclass(frozen=True)
class StageTime:
    name: str
    started_at: str | None
    ended_at: str | None
    outcome: str | None
    #: Seconds from its start to its end, or to now while it runs.
    elapsed_s: float | None
    running: bool

    def as_dict(self) -> api.StageProgress:
        return {"name": self.name, "started_at": self.started_at, "ended_at": self.ended_at,
                "outcome": self.outcome, "elapsed_s": self.elapsed_s, "running": self.running}


@dataclass(frozen=True)
class JobProgress:
    status: str
    chunks_done: int
    chunks_total: int
    tasks_done: int
    tasks_total: int
    #: 0..100; 100 only once published.
    percent: float
    #: The stage running now (None when queued or final).
    stage: str | None
    stages: list[StageTime]
    #: From the first stage's start (or the job's creation) to its end, or to now.
    elapsed_s: float | None
    eta_seconds: float | None
    heartbeat_age_s: float | None

    def as_dict(self) -> api.JobProgress:
        return {"status": self.status, "chunks_done": self.chunks_done,
                "chunks_total": self.chunks_total, "tasks_done": self.tasks_done,
                "tasks_total": self.tasks_total, "percent": self.percent, "stage": self.stage,
                "stages": [s.as_dict() for s in self.stages], "elapsed_s": self.elapsed_s,
                "eta_seconds": self.eta_seconds, "heartbeat_age_s": self.heartbeat_age_s,
                "summary": headline(self)}


def is_chunk(name: str) -> bool:
    return CHUNK.match(name) is not None


def _seconds(stamp: Any) -> float | None:
    if not stamp:
        return None
    try:
        return parse_iso(str(stamp)).timestamp()
    except ValueError:
        return None


def _plan_tasks(job: JobModel) -> list[str]:
    plan = job.plan if isinstance(job.plan, dict) else {}
    tasks = plan.get("tasks")
    return [str(t) for t in tasks] if isinstance(tasks, list) else []


def _weights(job: JobModel, names: list[str]) -> dict[str, float]:
    """Each task's share of the work: a chunk by its length (the last one is often short),
    any other task as much as a full chunk."""
    plan = job.plan if isinstance(job.plan, dict) else {}
    chunk_s = float(plan.get("chunk_seconds") or 0)
    duration = float(plan.get("duration_s") or 0)
    weights = {}
    for name in names:
        match = CHUNK.match(name)
        weight = 1.0
        if match and chunk_s > 0 and duration > 0:
            start = int(match.group(1)) * chunk_s
            weight = max(min(chunk_s, duration - start), 0.0) / chunk_s
        weights[name] = weight
    return weights


def _running(job: JobModel) -> dict[str, float]:
    raw: dict[str, Any] = (job.task_progress.as_dict()  # type: ignore[no-untyped-call]
                           if job.task_progress is not None else {})
    running = {}
    for name, value in raw.items():
        try:
            running[str(name)] = min(max(float(value), 0.0), 1.0)
        except (TypeError, ValueError):
            continue
    return running


def task_fraction(job: JobModel) -> float | None:
    """0..1 of the planned work done (done tasks whole, running ones by their fraction);
    None when nothing was planned yet."""
    names = _plan_tasks(job)
    done = set(job.tasks_done or ())
    running = _running(job)
    if names:
        weights = _weights(job, names)
        total = sum(weights.values())
        if total <= 0:
            return None
        made = sum(w * (1.0 if n in done else running.get(n, 0.0)) for n, w in weights.items())
        return made / total
    total_tasks = int(job.tasks_total or 0)
    if total_tasks <= 0:
        return None
    made = len(done) + sum(v for n, v in running.items() if n not in done)
    return min(made / total_tasks, 1.0)


def stage_times(job: JobModel, now: float) -> list[StageTime]:
    """The job's stages in pipeline order; a stage left open by a final job ends when the
    job last changed."""
    stages = dict(job.stages or {})
    final = job.status in FINAL
    order = [s for s in STAGES if s in stages] + sorted(s for s in stages if s not in STAGES)
    times = []
    for name in order:
        stage = stages[name] if isinstance(stages[name], dict) else {}
        start = _seconds(stage.get("started_at"))
        end = _seconds(stage.get("ended_at"))
        running = end is None and not final and name == job.status
        until = end if end is not None else (now if running else _seconds(job.updated_at))
        elapsed = (round(max(until - start, 0.0), 3)
                   if start is not None and until is not None else None)
        times.append(StageTime(name, stage.get("started_at"), stage.get("ended_at"),
                               stage.get("outcome"), elapsed, running))
    return times


def _elapsed(job: JobModel, stages: list[StageTime], now: float) -> float | None:
    starts = [s for s in (_seconds(t.started_at) for t in stages) if s is not None]
    start = min(starts) if starts else _seconds(job.created_at)
    end = _seconds(job.updated_at) if job.status in FINAL else now
    if start is None or end is None:
        return None
    return round(max(end - start, 0.0), 3)


def _eta(job: JobModel, stages: list[StageTime], fraction: float | None) -> float | None:
    """Encoding's time so far scaled by what is left; None before there is a basis."""
    if job.status != "ENCODING" or fraction is None or fraction < MIN_BASIS:
        return None
    encoding = next((s for s in stages if s.name == "ENCODING"), None)
    if encoding is None or not encoding.elapsed_s:
        return None
    return float(round(encoding.elapsed_s * (1.0 - fraction) / fraction))


def summarize(job: JobModel, now: float) -> JobProgress:
    names = _plan_tasks(job)
    done = set(job.tasks_done or ())
    chunks = [n for n in names if is_chunk(n)]
    plan = job.plan if isinstance(job.plan, dict) else {}
    chunks_total = len(chunks) or int(plan.get("chunks") or 0)
    chunks_done = len({n for n in done if is_chunk(n)} & set(chunks)) if chunks else len(
        {n for n in done if is_chunk(n)})
    tasks_total = len(names) or int(job.tasks_total or 0)
    tasks_done = len(done & set(names)) if names else len(done)
    fraction = task_fraction(job)
    if job.status == "PUBLISHED":
        percent = 100.0
    else:
        share = fraction if fraction is not None else float(job.progress or 0)
        percent = min(round(share * 100, 1), BEFORE_PUBLISH_MAX)
    stages = stage_times(job, now)
    heartbeat = float(job.heartbeat_at or 0)
    return JobProgress(
        status=str(job.status), chunks_done=chunks_done, chunks_total=chunks_total,
        tasks_done=tasks_done, tasks_total=tasks_total, percent=percent,
        stage=job.status if job.status in STAGES else None, stages=stages,
        elapsed_s=_elapsed(job, stages, now), eta_seconds=_eta(job, stages, fraction),
        heartbeat_age_s=round(max(now - heartbeat, 0.0), 1) if heartbeat > 0 else None)


def clock(seconds: float) -> str:
    """`72` -> ``1:12``, `3723` -> ``1:02:03``."""
    whole = round(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def headline(progress: JobProgress) -> str:
    """``Encoding: 7 of 20 chunks · 38% · 1:12 elapsed · about 2:00 left``."""
    label = LABELS.get(progress.status, progress.status.title())
    if progress.status == "QUEUED":
        return label
    if progress.chunks_total:
        label += f": {progress.chunks_done} of {progress.chunks_total} chunks"
    parts = [label, f"{progress.percent:g}%"]
    if progress.stage is not None:
        current = next((s for s in progress.stages if s.name == progress.stage), None)
        if current is not None and current.elapsed_s is not None:
            parts.append(f"{clock(current.elapsed_s)} elapsed")
    elif progress.elapsed_s is not None:
        parts.append(f"{clock(progress.elapsed_s)} in all")
    if progress.eta_seconds is not None:
        parts.append(f"about {clock(progress.eta_seconds)} left")
    return " · ".join(parts)
