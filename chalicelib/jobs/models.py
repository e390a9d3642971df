"""The encode jobs table, shared by the encoder (which moves jobs) and the API (which shows
and steers them).

One item per upload (bucket, key, ETag): its state, stages, progress, source, outputs and log;
indexes by status, by title and by key, each newest first.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

FINAL = frozenset({"PUBLISHED", "FAILED", "CANCELLED"})
STAGES = ("PROBING", "ENCODING", "PACKAGING")
#: Which states a job may move to from each state.
MOVES: dict[str, frozenset[str]] = {
    "QUEUED": frozenset({"PROBING", "FAILED", "CANCELLED"}),
    "PROBING": frozenset({"PROBING", "ENCODING", "PUBLISHED", "FAILED", "CANCELLED"}),
    "ENCODING": frozenset({"PROBING", "PACKAGING", "FAILED", "CANCELLED"}),
    "PACKAGING": frozenset({"PROBING", "PUBLISHED", "FAILED", "CANCELLED"}),
}


class ByStatus(GlobalSecondaryIndex["JobModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByTitle(GlobalSecondaryIndex["JobModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-title"
        projection = AllProjection()

    title_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByUploader(GlobalSecondaryIndex["JobModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-uploader"
        projection = AllProjection()

    uploader = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByKey(GlobalSecondaryIndex["JobModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-key"
        projection = AllProjection()

    key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class JobModel(Model):
    class Meta:
        table_name = "jobs"

    job_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    bucket = UnicodeAttribute()
    key = UnicodeAttribute()
    etag = UnicodeAttribute(default="")
    size = NumberAttribute(default=0)
    title_id = UnicodeAttribute(null=True)
    #: ``0001#0003`` when the upload is an episode of the series ``title_id``.
    episode = UnicodeAttribute(null=True)
    #: Who uploaded it (a browser upload's user id; absent for uploads straight to S3).
    uploader = UnicodeAttribute(null=True)
    #: 1, 2, 3... per title: the title's job index.
    number = NumberAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    asset_id = UnicodeAttribute(null=True)
    #: {stage: {started_at, ended_at, outcome}}
    stages = JSONAttribute(default=dict)
    progress = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    cancel_requested = BooleanAttribute(default=False)
    #: Epoch seconds until which the worker that last took the job owns it.
    lease_until = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    log_key = UnicodeAttribute(null=True)
    source_info = JSONAttribute(null=True)
    #: The plan of a fanned-out encode: {"tasks": [names], "chunks": n, "chunk_seconds": s,
    #: "segment_seconds": s, "duration_s": d, ...}; absent before planning.
    plan = JSONAttribute(null=True)
    #: How many tasks the plan fanned out, and the names of those done (a set: adding a name
    #: twice counts it once, so exactly one task's write sees the set complete).
    tasks_total = NumberAttribute(null=True)
    tasks_done = UnicodeSetAttribute(null=True)
    #: {task name: fraction done} while tasks run; what the console's percent is made of.
    task_progress = MapAttribute(null=True)  # type: ignore[var-annotated,no-untyped-call]
    #: Epoch seconds of the last sign of life from any worker on this job (the watchdog's
    #: clock: a non-final job whose heartbeat stops is stalled).
    heartbeat_at = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    by_status = ByStatus()
    by_title = ByTitle()
    by_key = ByKey()
    by_uploader = ByUploader()


class JobCounterModel(Model):
    """``counter#<title id>`` items in the jobs table: the last job number of a title.

    They carry no status, title or key, so no index sees them.
    """

    class Meta:
        table_name = "jobs"

    job_id = UnicodeAttribute(hash_key=True)
    last_number = NumberAttribute(default=0)


def next_job_number(title_id: str) -> int:
    """Atomically the title's next job number (1, 2, 3...)."""
    counter = JobCounterModel(f"counter#{title_id}")
    counter.update(actions=[JobCounterModel.last_number.add(1)])
    return int(counter.last_number)


def job_id_for(bucket: str, key: str, etag: str) -> str:
    """S3 events give the ETag bare, HeadObject in quotes: both name the same job."""
    plain = etag.strip('"')
    return hashlib.sha256(f"{bucket}\n{key}\n{plain}".encode()).hexdigest()[:32]





#: The dashboard's panels and the states each shows.
PANELS: dict[str, tuple[str, ...]] = {
    "active": ("PROBING", "ENCODING", "PACKAGING"),
    "queued": ("QUEUED",),
    "recent": ("PUBLISHED",),
    "failed": ("FAILED", "CANCELLED"),
}
PANEL_OF = {state: panel for panel, states in PANELS.items() for state in states}
VERSIONS_ID = "versions#dashboard"


class PanelVersionsModel(Model):
    """One item in the jobs table counting changes per dashboard panel.

    Every job change bumps the panels it touches, so "has anything changed since?" is one
    read, whatever the number of jobs.
    """

    class Meta:
        table_name = "jobs"

    job_id = UnicodeAttribute(hash_key=True)
    active = NumberAttribute(default=0)
    queued = NumberAttribute(default=0)
    recent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)


def bump_panels(*states: str) -> None:
    """Count a change in the panels showing these states."""
    panels = {PANEL_OF[s] for s in states if s in PANEL_OF}
    if panels:
        PanelVersionsModel(VERSIONS_ID).update(
            actions=[getattr(PanelVersionsModel, p).add(1) for p in sorted(panels)])


def panel_versions() -> dict[str, int]:
    try:
        item = PanelVersionsModel.get(VERSIONS_ID, consistent_read=True)
    except PanelVersionsModel.DoesNotExist:
        return dict.fromkeys(PANELS, 0)
    return {p: int(getattr(item, p) or 0) for p in PANELS}


class TitleSettingsModel(Model):
    """``settings#<title id>`` items in the jobs table: how a title's uploads are handled."""

    class Meta:
        table_name = "jobs"

    job_id = UnicodeAttribute(hash_key=True)
    #: A newer upload for the title cancels older ones still queued.
    only_latest = BooleanAttribute(default=True)
    #: Uploads of one key closer together than this collapse into the first.
    cooldown_s = NumberAttribute(default=10)


DEFAULT_COOLDOWN_S = 10.0


def title_settings(title_id: str | None) -> tuple[bool, float]:
    """(only latest, cooldown seconds) for a title's uploads; the defaults without one."""
    if not title_id:
        return True, DEFAULT_COOLDOWN_S
    try:
        item = TitleSettingsModel.get(f"settings#{title_id}")
    except TitleSettingsModel.DoesNotExist:
        return True, DEFAULT_COOLDOWN_S
    return bool(item.only_latest), float(item.cooldown_s)


JOB_MODELS: dict[type[Model], str] = {JobModel: "jobs", JobCounterModel: "jobs",
                                      PanelVersionsModel: "jobs", TitleSettingsModel: "jobs"}
