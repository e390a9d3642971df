"""Jobs and people for the in-process jobs tests, written as the encoder leaves them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.jobs.models import JobModel
from chalicelib.platform.clock import iso
from localcloud.isolation import unique


def stamp(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def a_job(bucket: str, status: str, *, title_id: str | None = None,
          uploader: str | None = None, key: str | None = None, created: float | None = None,
          **fields: Any) -> JobModel:
    """A job in `status` (no checks: the tests put jobs where they need them)."""
    created_at = stamp(created) if created is not None else iso()
    job = JobModel(unique("job-"), status=status, bucket=bucket,
                   key=key or f"uploads/{unique()}/film.mp4", title_id=title_id,
                   uploader=uploader, created_at=created_at, updated_at=created_at,
                   stages={}, **fields)
    job.save()
    return job


def stored(job: JobModel) -> JobModel:
    return JobModel.get(job.job_id, consistent_read=True)
