"""Response bodies of the API, as the OpenAPI document describes them.

Handlers build their answers as dicts; these models are the contract those answers keep.
The contract test (schemathesis, tests/integration/test_contract.py) checks every response
the fuzzer provokes against them, so the two cannot drift apart unnoticed. Objects allow
extra keys (clients must ignore what they do not know); the listed keys are promised.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- errors and health ---------------------------------------------------------------------
class ErrorDetail(Out):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class Error(Out):
    """Every 4xx and 5xx answer: a stable machine code and a human message."""

    error: ErrorDetail


class Dependency(Out):
    status: Literal["up", "down"]
    latency_ms: float
    error: str | None = None


class Health(Out):
    status: Literal["up", "down"]
    down: list[str]
    dependencies: dict[str, Dependency]


class Message(Out):
    message: str


# -- accounts ---------------------------------------------------------------------------------
class User(Out):
    id: str
    email: str
    display_name: str
    roles: list[str]
    created_at: str
    updated_at: str | None


class Subscription(Out):
    id: str
    plan: str
    status: str
    last_payment_at: str | None
    paid_until: str | None
    can_watch: bool


class Me(User):
    subscription: Subscription | None


class LoggedIn(Out):
    token: str
    user: User


class LoginEvent(Out):
    at: str
    ip: str
    user_agent: str
    success: bool


class Logins(Out):
    logins: list[LoginEvent]


class UserPage(Out):
    users: list[User]
    next: str | None


# -- payments ---------------------------------------------------------------------------------
class Plan(Out):
    key: str
    name: str
    price: str
    currency: str
    interval: str
    max_quality: str


class Plans(Out):
    plans: list[Plan]


class SubscriptionCreated(Out):
    subscription_id: str
    approve_url: str
    status: str


class Payment(Out):
    id: str
    subscription_id: str
    kind: str
    status: str
    amount: str
    currency: str
    occurred_at: str


class Payments(Out):
    payments: list[Payment]
    next: str | None


class WebhookOutcome(Out):
    status: Any


# -- catalogue --------------------------------------------------------------------------------
class TitleCard(Out):
    id: str
    kind: str
    name: str
    year: int | None
    genres: list[str]
    countries: list[str]
    rating: float | None
    imdb_id: str | None
    poster_url: str | None
    playable: bool


class TitlePage(Out):
    titles: list[TitleCard]
    next: str | None


class Title(TitleCard):
    original_name: str | None
    overview: str | None
    runtime: int | None
    votes: int
    popularity: float
    tmdb_id: int | None
    people: list[dict[str, Any]]
    seasons: list[dict[str, Any]]
    asset: dict[str, Any] | None


class Episode(Out):
    number: int
    name: str | None
    overview: str | None
    runtime: int | None
    air_date: str | None
    playable: bool


class Season(Out):
    title: dict[str, Any]
    episodes: list[Episode]


class SearchHit(Out):
    id: str
    name: str


class SearchResults(Out):
    query: str | None
    results: list[SearchHit]


class CountryRanking(Out):
    country: str
    country_name: str
    titles: list[dict[str, Any]]
    computed_at: str | None


class ImdbImport(Out):
    matched: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    counts: dict[str, int]


class ImportRun(Out):
    id: str
    source: str | None
    status: str
    kinds: list[str]
    counts: dict[str, Any]


class ImportRuns(Out):
    runs: list[ImportRun]


# -- viewing ----------------------------------------------------------------------------------
class ProgressRecorded(Out):
    title_id: str
    episode: str | None
    position_s: float
    duration_s: float
    progress: float
    resume_s: float
    watched: bool
    play_count: int
    new_play: bool


class Rendition(Out):
    name: str | None
    width: int | None
    height: int | None


class PlayGrant(Out):
    title: TitleCard
    asset_id: str
    manifest_url: str
    hls_url: str
    poster_url: str
    thumbnails_url: str
    subtitles: list[dict[str, Any]]
    renditions: list[Rendition]
    episode: dict[str, Any] | None
    next_episode: dict[str, Any] | None


class ContinueWatching(Out):
    titles: list[dict[str, Any]]


class History(Out):
    history: list[dict[str, Any]]
    next: str | None


class Recommended(Out):
    id: str
    name: str
    playable: bool


class Recommendations(Out):
    results: list[Recommended]
    degraded: bool


# -- uploads and operations ---------------------------------------------------------------------
class Upload(Out):
    """A multipart upload: what was declared, how it is cut into parts, where it stands."""

    upload_id: str
    #: UPLOADING, COMPLETING, COMPLETED or ABORTED.
    state: str
    key: str
    file_name: str
    size: int
    last_modified: int | None
    content_type: str
    title_id: str | None
    episode: str | None
    #: Every part but the last has exactly this many bytes.
    part_size: int
    part_count: int
    owner: str
    owner_email: str
    #: Why it was aborted.
    reason: str | None
    created_at: str
    updated_at: str
    completed_at: str | None
    #: Where to follow it once complete.
    status_url: str


class StoredPart(Out):
    part_number: int
    etag: str
    size: int


class UploadParts(Upload):
    """An upload with the parts S3 already holds: what a resuming client skips."""

    parts: list[StoredPart]
    bytes_uploaded: int


class UploadList(Out):
    uploads: list[Upload]


class UnfinishedUpload(Upload):
    #: None when S3 could not say (the upload expired meanwhile).
    bytes_uploaded: int | None
    progress: float | None


class UnfinishedUploads(Out):
    uploads: list[UnfinishedUpload]


class UploadAccessEntry(Out):
    """A title on an uploader's list (a series covers its episodes)."""

    user_id: str
    title_id: str
    #: The title's name, kind and year (None when the title is gone).
    name: str | None
    kind: str | None
    year: int | None
    #: `assigned` by an admin, or `created` by the uploader.
    via: Literal["assigned", "created"]
    granted_by: str
    granted_by_email: str
    granted_at: str


class UploadAccessList(Out):
    user_id: str
    #: `all` (admins), `assigned` (uploaders: the titles listed) or `none`.
    access: Literal["all", "assigned", "none"]
    titles: list[UploadAccessEntry]


class NewTitle(Out):
    id: str
    kind: Literal["film", "series"]
    name: str
    year: int | None
    overview: str
    owner: str
    via: Literal["created"]
    #: The upload page with this title chosen.
    upload_url: str


class PartUrl(Out):
    part_number: int
    #: How many bytes this part must carry.
    size: int
    #: A presigned S3 UploadPart URL: PUT the part's bytes to it; S3 answers its ETag.
    url: str


class PartUrls(Out):
    upload_id: str
    expires_in: int
    urls: list[PartUrl]


class StageProgress(Out):
    name: str
    started_at: str | None
    ended_at: str | None
    outcome: str | None
    #: Seconds from its start to its end, or to now while it runs.
    elapsed_s: float | None
    running: bool


class JobProgress(Out):
    """How far a job has come: chunks and tasks done of total, percent (100 only once
    published), time per stage, an estimate of the time left and the heartbeat's age."""

    status: str
    chunks_done: int
    chunks_total: int
    tasks_done: int
    tasks_total: int
    percent: float
    stage: str | None
    stages: list[StageProgress]
    elapsed_s: float | None
    eta_seconds: float | None
    heartbeat_age_s: float | None
    #: "Encoding: 7 of 20 chunks · 38% · 1:12 elapsed · about 2:00 left"
    summary: str


class UploadStatus(Out):
    upload_id: str
    #: The upload's state until it is complete, then RECEIVED or its encode job's state.
    state: str
    upload_state: str
    progress: float
    #: Once the upload has a job.
    progress_detail: JobProgress | None = None


class JobStage(Out):
    started_at: str | None = None
    ended_at: str | None = None
    outcome: str | None = None
    #: A finished stage's duration (None while it runs).
    seconds: float | None
    #: Its duration so far while it runs, else as `seconds`.
    elapsed_s: float | None
    running: bool


class Job(Out):
    job_id: str
    status: str
    title_id: str | None
    source: dict[str, Any]
    progress: float
    progress_detail: JobProgress
    attempts: int
    stages: dict[str, JobStage]
    error: str | None
    created_at: str | None


class JobPanel(Out):
    jobs: list[Job]


class JobCancelled(Out):
    job: Job
    was: str
    message: str


class Accepted(Out):
    accepted: bool
    key: str
    job_id: str
    message: str


class EncodeSettings(Out):
    title_id: str
    only_latest: bool
    cooldown_s: int


class RetentionReport(Out):
    dry_run: bool
    days: int


class Dashboard(Out):
    cursor: str
    changed: list[str]
    panels: dict[str, list[Job]]


class Webhook(Out):
    id: str
    name: str
    actors: list[str]
    created_by: str | None
    created_at: str | None


class WebhookCreated(Webhook):
    secret: str


class Webhooks(Out):
    webhooks: list[Webhook]


class AuditEntry(Out):
    at: str
    actor_id: str
    action: str
    target: str


class AuditLog(Out):
    entries: list[AuditEntry]
