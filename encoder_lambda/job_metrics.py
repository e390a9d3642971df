"""Metrics of a job that has just reached its final state, from its stored stage times.

One EMF line per job end (``chalicelib.platform.metrics``), dimensioned by the outcome only
(encoded, linked, failed, cancelled, cooldown, superseded): never the job, title or uploader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.jobs.models import JobModel
from chalicelib.platform.metrics import Count, Measures, NoUnit, Seconds, emit

SERVICE = "notflix-encoder"
#: The count each final status adds to.
ENDED = {"PUBLISHED": "EncodeSucceeded", "FAILED": "EncodeFailed",
         "CANCELLED": "EncodeCancelled"}
#: Stage -> the metric of its duration (EncodeDuration is their sum).
STAGE_METRICS = {"PROBING": "ProbeDuration", "ENCODING": "TranscodeDuration",
                 "PACKAGING": "PackageDuration"}


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def stage_seconds(stages: dict[str, Any]) -> dict[str, float]:
    """Each finished stage's duration in seconds (stages never started are left out)."""
    durations: dict[str, float] = {}
    for stage in STAGE_METRICS:
        times = stages.get(stage) or {}
        if times.get("started_at") and times.get("ended_at"):
            elapsed = (_moment(times["ended_at"]) - _moment(times["started_at"])).total_seconds()
            durations[stage] = max(elapsed, 0.0)
    return durations


def job_measures(job: JobModel, outcome: str) -> Measures:
    measures: dict[str, tuple[Any, float]] = {ENDED[str(job.status)]: (Count, 1)}
    durations = stage_seconds(dict(job.stages or {}))
    if durations:
        measures["EncodeDuration"] = (Seconds, round(sum(durations.values()), 3))
        for stage, seconds in durations.items():
            measures[STAGE_METRICS[stage]] = (Seconds, round(seconds, 3))
    source_seconds = (job.source_info or {}).get("duration_s")
    if outcome == "encoded" and source_seconds:
        measures["EncodedSourceMinutes"] = (NoUnit, round(float(source_seconds) / 60, 4))
    return measures


def record_job_end(job: JobModel, outcome: str) -> None:
    """Emit the metrics of `job`, which has just moved to a final status."""
    if str(job.status) not in ENDED:
        return
    emit(SERVICE, job_measures(job, outcome), outcome=outcome)
