"""The jobs console: panels of jobs, one job's stages and log, and cancelling.

Admins see every job; uploaders see only the jobs of their own uploads (anything else is
"not found" to them, so ids cannot be probed).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, TypedDict

from chalicelib.auth.users import User
from chalicelib.catalogue.titles.episodes import episode_label
from chalicelib.jobs.models import FINAL, MOVES, PANELS, JobModel, bump_panels
from chalicelib.jobs.progress import summarize
from chalicelib.openapi import responses as api
from chalicelib.platform.errors import catalogued

MAX_JOB_ID = 64


def is_admin(user: User) -> bool:
    return "admin" in user.roles


class _StageRecord(TypedDict, total=False):
    """A stage as the encoder records it in ``JobModel.stages``."""

    started_at: str | None
    ended_at: str | None
    outcome: str | None


def _seconds(stage: _StageRecord) -> float | None:
    try:
        start = datetime.fromisoformat(str(stage["started_at"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(stage["ended_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return round((end - start).total_seconds(), 3)


def public(job: JobModel, now: float | None = None) -> api.Job:
    """A job as the console shows it: state, progress, stages with durations (a running
    stage's so far), source and outputs."""
    detail = summarize(job, time.time() if now is None else now)
    elapsed = {s.name: (s.elapsed_s, s.running) for s in detail.stages}
    recorded: dict[str, _StageRecord] = job.stages or {}
    stages: dict[str, api.JobStage] = {name: {**stage, "seconds": _seconds(stage),
                     "elapsed_s": elapsed.get(name, (None, False))[0],
                     "running": elapsed.get(name, (None, False))[1]}
              for name, stage in recorded.items()}
    return {
        "job_id": job.job_id, "number": int(job.number) if job.number is not None else None,
        "status": job.status, "title_id": job.title_id,
        "episode": episode_label(job.episode) if job.episode else None,
        "source": {"bucket": job.bucket, "key": job.key, "size": int(job.size or 0),
                   "info": job.source_info},
        "uploader": job.uploader, "progress": round(detail.percent / 100, 4),
        "progress_detail": detail.as_dict(),
        "attempts": int(job.attempts or 0), "stages": stages, "error": job.error,
        "cancel_requested": bool(job.cancel_requested),
        "outputs": ({"asset_id": job.asset_id,
                     "manifest": f"/stream/{job.asset_id}/manifest.mpd"}
                    if job.asset_id and job.status == "PUBLISHED" else None),
        "log_url": f"/api/admin/jobs/{job.job_id}/log" if job.log_key else None,
        "created_at": job.created_at, "updated_at": job.updated_at,
    }


class JobsConsole:
    def __init__(self, s3: Any, data_bucket: str) -> None:
        self.s3 = s3
        self.data_bucket = data_bucket

    def panel(self, viewer: User, name: str, limit: int) -> list[api.Job]:
        states = PANELS.get(name)
        if states is None:
            raise catalogued("unknown_panel", panel=name[:20], panels=", ".join(PANELS))
        if is_admin(viewer):
            jobs: list[JobModel] = []
            for state in states:
                jobs += JobModel.by_status.query(state, scan_index_forward=False, limit=limit)
        else:
            jobs = [j for j in JobModel.by_uploader.query(viewer.id, scan_index_forward=False,
                                                          limit=limit * 4)
                    if j.status in states]
        jobs.sort(key=lambda j: str(j.created_at), reverse=True)
        now = time.time()
        return [public(j, now) for j in jobs[:limit]]

    def for_title(self, viewer: User, title_id: str, limit: int) -> list[api.Job]:
        """The title's job index, newest first (job 3, 2, 1)."""
        if not 0 < len(title_id) <= MAX_JOB_ID:
            raise catalogued("title_not_found")
        jobs = JobModel.by_title.query(title_id, scan_index_forward=False, limit=limit)
        now = time.time()
        return [public(j, now) for j in jobs if self.visible(viewer, j)]

    def job(self, viewer: User, job_id: str) -> JobModel:
        if not 0 < len(job_id) <= MAX_JOB_ID or job_id.startswith("counter#"):
            raise catalogued("job_not_found")
        try:
            job = JobModel.get(job_id, consistent_read=True)
        except JobModel.DoesNotExist:
            raise catalogued("job_not_found") from None
        if not self.visible(viewer, job):
            raise catalogued("job_not_found")
        return job

    def describe(self, viewer: User, job_id: str) -> api.Job:
        return public(self.job(viewer, job_id))

    def log(self, viewer: User, job_id: str) -> str:
        job = self.job(viewer, job_id)
        if not job.log_key:
            raise catalogued("job_log_missing")
        found = self.s3.get_object(Bucket=self.data_bucket, Key=job.log_key)
        return str(found["Body"].read().decode("utf-8", "replace"))

    def cancel(self, viewer: User, job_id: str) -> api.JobCancelled:
        """Ask a queued or running job to stop; says which it was."""
        from pynamodb.exceptions import UpdateError

        job = self.job(viewer, job_id)
        if job.status in FINAL:
            raise catalogued("job_finished", status=job.status.lower())
        try:
            job.update(actions=[JobModel.cancel_requested.set(True)],
                       condition=JobModel.status.is_in(*MOVES))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            current = JobModel.get(job_id, consistent_read=True)
            raise catalogued("job_finished", status=current.status.lower()) from None
        bump_panels(job.status)
        state = "queued" if job.status == "QUEUED" else "running"
        message = ("Cancel accepted: the job will not start." if state == "queued" else
                   "Cancel accepted: the encoder stops it within seconds and publishes nothing.")
        return {"job": public(job), "was": state, "message": message}

    @staticmethod
    def recently_published_titles(limit: int) -> list[str]:
        """Ids of the titles whose streams were published most recently, newest first."""
        ids: list[str] = []
        for job in JobModel.by_status.query("PUBLISHED", scan_index_forward=False, limit=50):
            if job.title_id and job.title_id not in ids:
                ids.append(job.title_id)
            if len(ids) >= limit:
                break
        return ids

    @staticmethod
    def latest(states: tuple[str, ...], per_state: int, limit: int) -> list[JobModel]:
        """The newest jobs in each of `states`, newest first overall (the admin page)."""
        jobs: list[JobModel] = []
        for state in states:
            jobs += list(JobModel.by_status.query(state, scan_index_forward=False,
                                                  limit=per_state))
        jobs.sort(key=lambda j: str(j.created_at), reverse=True)
        return jobs[:limit]

    @staticmethod
    def visible(viewer: User, job: JobModel) -> bool:
        return is_admin(viewer) or (job.uploader is not None and job.uploader == viewer.id)
