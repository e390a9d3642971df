"""Encode job records: one per upload, moved through their states by conditional writes.

QUEUED -> PROBING -> ENCODING -> PACKAGING -> PUBLISHED, or FAILED / CANCELLED from any
state that is not final. A redelivered message finds its job by id (the upload's bucket,
key and ETag) and may restart it at PROBING while it is not final; a final job is never
worked again, so a message delivered twice publishes once. Each stage keeps its start, end
and outcome.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.jobs.models import (
    FINAL,
    MOVES,
    STAGES,
    JobModel,
    bump_panels,
    job_id_for,
    next_job_number,
)
from chalicelib.platform.clock import iso
from encoder_lambda.job_metrics import record_job_end


class TransitionRefused(Exception):
    """The job is not in a state it may move from (cancelled, final, or moved by another)."""


class JobStore:
    def __init__(self, lease_seconds: float = 900) -> None:
        #: How long a worker owns a job it took: the encoder's timeout. A redelivered message
        #: cannot take the job from a worker that may still be running.
        self.lease_seconds = lease_seconds

    def open(self, bucket: str, key: str, etag: str, size: int,
             title_id: str | None, episode: str | None = None,
             uploader: str | None = None) -> JobModel:
        """The upload's job: created QUEUED on first delivery, the same record afterwards.

        The job that creates the record also takes the title's next job number.
        """
        now = iso()
        job = JobModel(job_id_for(bucket, key, etag), status="QUEUED", bucket=bucket, key=key,
                       etag=etag.strip('"'), size=size, title_id=title_id, episode=episode,
                       uploader=uploader, created_at=now,
                       updated_at=now,
                       stages={})
        try:
            job.save(condition=JobModel.job_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return JobModel.get(job.job_id, consistent_read=True)
        if title_id:
            number = next_job_number(title_id)
            job.update(actions=[JobModel.number.set(number)])
        bump_panels("QUEUED")
        return job

    def find(self, bucket: str, key: str, etag: str) -> JobModel | None:
        try:
            return JobModel.get(job_id_for(bucket, key, etag), consistent_read=True)
        except JobModel.DoesNotExist:
            return None

    def move(self, job: JobModel, to: str, *, outcome: str | None = None,
             lease_for: float = float("inf"), **fields: Any) -> None:
        """Move `job` to `to` if its stored state allows it (and no cancel is pending).

        Moving to PROBING takes the job's lease: ``lease_seconds``, or ``lease_for`` when
        that is shorter (the invocation ends then anyway, so its lease should too).
        """
        if to not in MOVES.get(job.status, frozenset()):
            raise TransitionRefused(f"job {job.job_id} cannot move from {job.status} to {to}")
        now = iso()
        stages = dict(job.stages or {})
        current = job.status
        if current in stages and "ended_at" not in stages[current]:
            stages[current] = {**stages[current], "ended_at": now,
                               "outcome": outcome or ("ok" if to not in FINAL - {"PUBLISHED"}
                                                      else to.lower())}
        if to in STAGES:
            stages[to] = {"started_at": now}
        actions: list[Any] = [JobModel.status.set(to), JobModel.updated_at.set(now),
                              JobModel.stages.set(stages)]
        actions += [getattr(JobModel, name).set(value) for name, value in fields.items()]
        condition = JobModel.status == current
        actions.append(JobModel.heartbeat_at.set(time.time()))
        if to == "PROBING":
            now_s = time.time()
            lease = min(self.lease_seconds, max(lease_for, 1.0))
            actions += [JobModel.attempts.add(1), JobModel.lease_until.set(now_s + lease)]
            condition &= JobModel.lease_until < now_s
        if to != "CANCELLED":
            condition &= JobModel.cancel_requested == False  # noqa: E712 - a DynamoDB condition
        try:
            job.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise TransitionRefused(f"job {job.job_id} cannot move from its state to {to}"
                                        ) from exc
            raise
        bump_panels(current, to)
        if to in FINAL:
            record_job_end(job, outcome or to.lower())

    def superseded(self, job: JobModel) -> bool:
        """True when a later upload of the same key, or for the same title (and the same
        episode: a season's episodes uploaded together are each encoded), is not cancelled."""
        later = JobModel.created_at > job.created_at
        alive = JobModel.status != "CANCELLED"
        if any(JobModel.by_key.query(job.key, later, filter_condition=alive)):
            return True
        same_episode = (JobModel.episode == job.episode if job.episode
                        else JobModel.episode.does_not_exist())
        return bool(job.title_id) and any(JobModel.by_title.query(
            job.title_id, later, filter_condition=alive & same_episode))

    def repeated_within(self, job: JobModel, seconds: float) -> bool:
        """True when the same key was uploaded less than `seconds` before this job, and that
        earlier job has not started yet: it will encode what the key holds now. (One that
        has been planned is pinned to the older content, so this upload must encode.)"""
        since = (datetime.fromisoformat(job.created_at.replace("Z", "+00:00"))
                 - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        window = JobModel.created_at.between(since, job.created_at)
        return any(other.job_id != job.job_id and other.status == "QUEUED"
                   for other in JobModel.by_key.query(job.key, window))

    def release(self, job: JobModel) -> None:
        """Give up the lease this worker took (its try failed): the message's next delivery
        may take the job at once instead of waiting out the lease. Only this try's lease:
        a later try has counted another attempt."""
        job.update(actions=[JobModel.lease_until.set(0)],
                   condition=JobModel.attempts == job.attempts)

    def start_fanout(self, job: JobModel, plan: dict[str, Any], total: int,
                     **fields: Any) -> None:
        """PROBING -> ENCODING with the plan: ``total`` tasks to run, none counted twice.

        A job planned again (its planner was retried) keeps the tasks already done: the plan
        of the same content is the same plan.
        """
        progress = job.task_progress.as_dict() if job.task_progress is not None else {}  # type: ignore[no-untyped-call]
        self.move(job, "ENCODING", plan=plan, tasks_total=total, progress=0,
                  task_progress=progress, **fields)

    def mark_dispatched(self, job_id: str, plan: dict[str, Any]) -> None:
        """Every task of the plan is on its way: a repeated upload event plans nothing more.
        (Only while the job still has this plan: a cancel or a finish may have come first.)"""
        with contextlib.suppress(UpdateError):
            JobModel(job_id).update(actions=[JobModel.plan.set({**plan, "dispatched": True})],
                                    condition=JobModel.status.is_in("ENCODING", "PACKAGING"))

    def task_progress(self, job_id: str, name: str, fraction: float) -> bool:
        """Record a running task's fraction (and the job's heartbeat); False when the job
        no longer wants the work (cancelled, failed, or moved on): the task stops."""
        job = JobModel(job_id)
        try:
            job.update(actions=[JobModel.task_progress[name].set(round(fraction, 3)),
                                JobModel.heartbeat_at.set(time.time())],
                       condition=(JobModel.status == "ENCODING")
                       & (JobModel.cancel_requested == False))  # noqa: E712
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        bump_panels("ENCODING")
        return True

    def task_done(self, job_id: str, name: str) -> JobModel:
        """Count task ``name`` done, once; the job as stored after the write.

        Adding a name to a set is idempotent and the write is conditional on the name not
        being there yet, so of all the tasks of a job exactly one write sees the set reach
        ``tasks_total``: that task's invocation assembles the title.
        """
        job = JobModel(job_id)
        try:
            job.update(actions=[JobModel.tasks_done.add({name}),
                                JobModel.task_progress[name].set(1),
                                JobModel.heartbeat_at.set(time.time()),
                                JobModel.updated_at.set(iso())],
                       condition=(JobModel.status == "ENCODING")
                       & ~JobModel.tasks_done.contains(name))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return JobModel.get(job_id, consistent_read=True)
        done, total = len(job.tasks_done or ()), int(job.tasks_total or 0)
        if total:
            # moved on meanwhile (assembled, cancelled): no matter
            with contextlib.suppress(UpdateError):
                job.update(actions=[JobModel.progress.set(round(min(done / total, 0.99), 3))],
                           condition=JobModel.status == "ENCODING")
        bump_panels("ENCODING")
        return job

    def heartbeat(self, job: JobModel) -> None:
        job.update(actions=[JobModel.heartbeat_at.set(time.time())])

    def progress(self, job: JobModel, fraction: float) -> None:
        job.update(actions=[JobModel.progress.set(round(fraction, 3)),
                            JobModel.updated_at.set(iso())],
                   condition=JobModel.status == "ENCODING")
        bump_panels("ENCODING")

    def cancel(self, job_id: str) -> JobModel:
        """Ask a job to stop: a queued one is skipped, a running one stops its ffmpeg."""
        job = JobModel.get(job_id, consistent_read=True)
        if job.status in FINAL:
            return job
        job.update(actions=[JobModel.cancel_requested.set(True),
                            JobModel.updated_at.set(iso())],
                   condition=JobModel.status.is_in(*MOVES))
        bump_panels(str(job.status))
        return job

    def cancel_requested(self, job_id: str) -> bool:
        job = JobModel.get(job_id, consistent_read=True, attributes_to_get=["cancel_requested"])
        return bool(job.cancel_requested)


