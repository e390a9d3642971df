"""Response bodies of the API: typed dicts the services return and mypy checks, and the
schemas of the OpenAPI document (built from these same types with pydantic's TypeAdapter).

The contract test (schemathesis, tests/integration/app/test_contract.py) checks every response
the fuzzer provokes against them. Objects allow extra keys (clients must ignore what they do
not know); the listed keys are promised. No pydantic here: services import these types at
no cost, and only building the document loads pydantic.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

# routes name these here (the document reads its models from this module)
from chalicelib.openapi.playback_quality import PlaybackEventsAccepted as PlaybackEventsAccepted
from chalicelib.openapi.playback_quality import PlaybackQuality as PlaybackQuality
from chalicelib.openapi.playback_quality import PlaybackRow as PlaybackRow


# -- errors and health ---------------------------------------------------------------------
class ErrorDetail(TypedDict):
    code: str
    message: str
    details: NotRequired[list[dict[str, Any]] | None]


class Error(TypedDict):
    """Every 4xx and 5xx answer: a stable machine code and a human message."""

    error: ErrorDetail


class Dependency(TypedDict):
    status: Literal["up", "down"]
    latency_ms: float
    error: NotRequired[str | None]


class Health(TypedDict):
    status: Literal["up", "down"]
    down: list[str]
    dependencies: dict[str, Dependency]


class Message(TypedDict):
    message: str


# -- accounts ---------------------------------------------------------------------------------
class User(TypedDict):
    id: str
    email: str
    display_name: str
    roles: list[str]
    created_at: str
    updated_at: str | None


class Subscription(TypedDict):
    id: str
    plan: str
    status: str
    last_payment_at: str | None
    paid_until: str | None
    can_watch: bool


class Me(User):
    subscription: Subscription | None


class LoggedIn(TypedDict):
    token: str
    user: User


class LoginEvent(TypedDict):
    at: str
    ip: str
    user_agent: str
    success: bool


class Logins(TypedDict):
    logins: list[LoginEvent]


class UserPage(TypedDict):
    users: list[User]
    next: str | None


# -- payments ---------------------------------------------------------------------------------
class Plan(TypedDict):
    key: str
    name: str
    price: str
    currency: str
    interval: str
    max_quality: str


class Plans(TypedDict):
    plans: list[Plan]


class SubscriptionCreated(TypedDict):
    subscription_id: str
    approve_url: str
    status: str


class Payment(TypedDict):
    id: str
    subscription_id: str
    kind: str
    status: str
    amount: str
    currency: str
    occurred_at: str


class Payments(TypedDict):
    payments: list[Payment]
    next: str | None


class WebhookOutcome(TypedDict):
    #: What the event did: `applied`, `stale`, `recorded`, `duplicate`, `ignored` or
    #: `unknown_subscription`.
    status: str


# -- catalogue --------------------------------------------------------------------------------
class TitleCard(TypedDict):
    id: str
    kind: str
    name: str
    year: int | None
    genres: list[str]
    countries: list[str]
    rating: float | None
    imdb_id: str | None
    poster_url: str | None
    has_poster: bool
    playable: bool


class TitlePage(TypedDict):
    titles: list[TitleCard]
    next: str | None


class Person(TypedDict):
    name: str
    #: `director`, `actor`, `writer`, `creator`, `producer` or `composer`.
    role: str
    character: str | None
    #: Billing order for actors (0 = top billed); 0 for other roles.
    order: int
    tmdb_id: int | None


class SeasonSummary(TypedDict):
    #: 0 holds specials.
    number: int
    name: str
    air_date: str | None
    episode_count: int


class Title(TitleCard):
    original_name: str | None
    overview: str | None
    runtime: int | None
    votes: int
    popularity: float
    tmdb_id: int | None
    people: list[Person]
    seasons: list[SeasonSummary]
    #: Spoken languages by English name, main one first (empty when unknown).
    languages: list[str]
    asset: dict[str, Any] | None
    #: Its maturity rating (MPAA or US TV; an admin's overrides the source's), null when
    #: unrated: kids profiles see it only when it is at or under their ceiling.
    maturity: str | None


class Episode(TypedDict):
    number: int
    name: str | None
    overview: str | None
    runtime: int | None
    air_date: str | None
    playable: bool


class TitleRef(TypedDict):
    id: str
    name: str


class Season(SeasonSummary):
    title: TitleRef
    episodes: list[Episode]


class SearchMatch(TypedDict):
    #: What matched: `title`, `director`, `cast` or `genre`.
    kind: str
    #: Why, for people: "directed by Francis Ford Coppola", "with Tom Hanks", "Drama".
    text: str


class SearchHit(TypedDict):
    id: str
    name: str
    year: int | None
    imdb_id: str | None
    poster_url: str | None
    #: The first country code, if any.
    country: str | None
    kind: str
    match: SearchMatch


class SearchResults(TypedDict):
    query: str | None
    results: list[SearchHit]
    #: How many titles match in all (at least this many when `total_exact` is false).
    total: int
    total_exact: bool
    page: int
    #: The next page's number, or null on the last page.
    next: int | None
    #: The corrected query that answered, when the query as typed matched nothing.
    did_you_mean: str | None


class RankedTitle(TypedDict):
    id: str
    imdb_id: str | None
    name: str
    year: int | None
    rating: float
    votes: int
    #: IMDb's weighted rating: few votes pull a film towards the mean vote.
    weighted_rating: float
    #: Imported artwork (as of the ranking's computation) and whether it can be watched.
    poster_path: NotRequired[str | None]
    playable: NotRequired[bool]
    #: Its poster (imported art, its own frame or a generated one), as on a card.
    poster_url: NotRequired[str]


class CountryRanking(TypedDict):
    country: str
    country_name: str
    titles: list[RankedTitle]
    computed_at: str | None
    #: Once the ranking was computed: the votes a film needs to count fully, and the mean.
    min_votes: NotRequired[int]
    mean_vote: NotRequired[float]
    #: `critics` (Rotten Tomatoes critics' average and review count, the demo catalogue) or
    #: `audience` (TMDB users' votes); one ranking never mixes the two.
    scale: NotRequired[str]


class ImdbMatch(TypedDict):
    id: str
    name: str
    year: int | None
    imdb_id: str
    countrycode: str | None
    personal_rating: int | None
    rating: float | None


class ImdbUnmatched(TypedDict):
    name: str
    year: int | None
    imdb_id: str


class ImdbImport(TypedDict):
    matched: list[ImdbMatch]
    unmatched: list[ImdbUnmatched]
    #: rows, matched and unmatched.
    counts: dict[str, int]


class ImportFailure(TypedDict):
    #: `movie:550`, `tv:1399`, or `export:movie:2026-11-23:line:17` for a bad export line.
    item: str
    error: str
    failed_at: str
    attempts: int
    #: The payload or line, cut at 2000 characters.
    raw: str


class ImportRun(TypedDict):
    id: str
    source: str | None
    #: QUEUED, RUNNING, PAUSED, DONE or FAILED.
    status: str
    kinds: list[str]
    export_date: str | None
    limit: int | None
    started_at: str | None
    updated_at: str | None
    finished_at: str | None
    counts: dict[str, int]
    message: str | None
    #: One run's answer only: the items that failed, newest first.
    failures: NotRequired[list[ImportFailure]]


class ImportRuns(TypedDict):
    runs: list[ImportRun]


# -- viewing ----------------------------------------------------------------------------------
class ProgressRecorded(TypedDict):
    title_id: str
    episode: str | None
    #: The play this position belongs to (a new one after 30 minutes without a post).
    play_id: str
    position_s: float
    duration_s: float
    progress: float
    resume_s: float
    watched: bool
    play_count: int
    new_play: bool


class Rendition(TypedDict):
    name: str | None
    width: int | None
    height: int | None


class Subtitle(TypedDict):
    language: str | None
    label: str | None
    #: The WebVTT file, under /stream/.
    url: str


class PlayingEpisode(TypedDict):
    #: `S1E3`
    label: str
    season: int
    number: int
    name: str | None


class NextEpisode(TypedDict):
    label: str
    name: str | None
    #: The player page of that episode.
    url: str
    #: Its poster frame (for the "up next" overlay).
    poster_url: str


class PlaySegment(TypedDict):
    #: `intro` or `credits` (found in the season's shared audio).
    kind: str
    start_s: float
    end_s: float


class PlayGrant(TypedDict):
    title: TitleCard
    asset_id: str
    manifest_url: str
    hls_url: str
    poster_url: str
    thumbnails_url: str
    subtitles: list[Subtitle]
    renditions: list[Rendition]
    #: A series' episode being played, and the playable one after it.
    episode: PlayingEpisode | None
    next_episode: NextEpisode | None
    duration_s: float | None
    #: Where to start (0 under 5% and from 90%) and how far the viewer got.
    resume_s: float
    progress: float
    #: An episode's intro and credits ("Skip intro", "Skip credits"); empty for a film.
    segments: list[PlaySegment]
    #: This play's id: the player's progress posts and playback-quality beacons name it.
    play_id: str


class ContinuingTitle(TitleCard):
    resume_s: float
    progress: float
    watched_at: str | None
    #: A series' latest episode in progress (`S1E3`).
    episode: str | None
    #: Seconds left to watch, and the player page that resumes there.
    left_s: float
    watch_url: str


class ContinueWatching(TypedDict):
    titles: list[ContinuingTitle]


class RemovedFromRow(TypedDict):
    title_id: str
    #: Entries taken out of the row (a series: one per episode in progress).
    removed: int


class TitleId(TypedDict):
    """A title no longer in the catalogue: only its id."""

    id: str


class HistoryEntry(TypedDict):
    at: str
    #: `started` or `finished`.
    event: str
    episode: str | None
    position_s: float
    progress: float
    title: TitleCard | TitleId


class History(TypedDict):
    history: list[HistoryEntry]
    next: str | None


class Reason(TypedDict):
    #: `watched`, `liked`, `genre`, `director`, `actor`, `popular` or `trending`.
    kind: str
    #: "Because you watched Heat", "Because you liked Heat", "More from Michael Mann"...
    text: str
    #: The title watched (`watched`) or rated up (`liked`).
    title_id: NotRequired[str]
    #: The genre or person (`genre`, `director`, `actor`).
    name: NotRequired[str]


class Recommended(TypedDict):
    id: str
    name: str
    kind: str | None
    year: int | None
    poster_url: str | None
    #: Whether it can be played now: the whole catalogue is ranked, not only playable titles.
    playable: bool
    score: float
    reasons: list[Reason]
    #: Popular and trending titles (the degraded answer) carry the whole title card.
    genres: NotRequired[list[str]]
    countries: NotRequired[list[str]]
    rating: NotRequired[float | None]
    imdb_id: NotRequired[str | None]
    has_poster: NotRequired[bool]


class FewerLike(TypedDict):
    """A title the viewer rated down: it is never offered, and titles like it lose score."""

    title_id: str
    name: str
    #: "Fewer titles like Heat: you rated it down".
    text: str


class Recommendations(TypedDict):
    results: list[Recommended]
    #: The graph could not answer in time: popular and trending titles instead.
    degraded: bool
    #: A user's recommendations only: answered from the cache.
    cached: NotRequired[bool]
    #: A user's recommendations only: why titles dropped (the latest thumbs-down titles).
    fewer_like: NotRequired[list[FewerLike]]


# -- my list and ratings --------------------------------------------------------------------
class ListedTitle(TitleCard):
    #: When the viewer added it (ISO-8601 UTC).
    added_at: str


class MyList(TypedDict):
    """A page of My List, newest first."""

    titles: list[ListedTitle]
    #: Titles in the list (titles since removed from the catalogue included).
    count: int
    #: The most titles the list holds.
    limit: int
    next: str | None


class MyListChange(TypedDict):
    title_id: str
    #: Whether the title is in the list now.
    in_list: bool
    #: False when it already was (or was not) there: adding and removing are idempotent.
    changed: bool


class TitleRating(TypedDict):
    """The viewer's own rating of a title."""

    title_id: str
    #: `up`, `down`, or null (not rated, or an imported rating from 5 to 6).
    thumb: Literal["up", "down"] | None
    #: The rating on the 1..10 scale (thumbs up is 10, down 1; IMDb imports keep theirs).
    rating: int | None
    rated_at: str | None
    #: False when the rating was already this (writes are idempotent).
    changed: NotRequired[bool]


# -- uploads and operations ---------------------------------------------------------------------
class Upload(TypedDict):
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


class StoredPart(TypedDict):
    part_number: int
    etag: str
    size: int


class UploadParts(Upload):
    """An upload with the parts S3 already holds: what a resuming client skips."""

    parts: list[StoredPart]
    bytes_uploaded: int


class UploadList(TypedDict):
    uploads: list[Upload]


class UnfinishedUpload(Upload):
    #: None when S3 could not say (the upload expired meanwhile).
    bytes_uploaded: int | None
    #: How many parts S3 holds (absent when S3 could not say).
    parts_uploaded: NotRequired[int]
    progress: float | None


class UnfinishedUploads(TypedDict):
    uploads: list[UnfinishedUpload]


class UploadAccessEntry(TypedDict):
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


class UploadAccessList(TypedDict):
    user_id: str
    #: `all` (admins), `assigned` (uploaders: the titles listed) or `none`.
    access: Literal["all", "assigned", "none"]
    titles: list[UploadAccessEntry]


class NewTitle(TypedDict):
    id: str
    kind: Literal["film", "series"]
    name: str
    year: int | None
    overview: str
    owner: str
    via: Literal["created"]
    #: The upload page with this title chosen.
    upload_url: str


class PartUrl(TypedDict):
    part_number: int
    #: How many bytes this part must carry.
    size: int
    #: A presigned S3 UploadPart URL: PUT the part's bytes to it; S3 answers its ETag.
    url: str


class PartUrls(TypedDict):
    upload_id: str
    expires_in: int
    urls: list[PartUrl]


class StageProgress(TypedDict):
    name: str
    started_at: str | None
    ended_at: str | None
    outcome: str | None
    #: Seconds from its start to its end, or to now while it runs.
    elapsed_s: float | None
    running: bool


class JobProgress(TypedDict):
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


class UploadStatus(TypedDict):
    upload_id: str
    key: str
    #: The upload's state until it is complete, then RECEIVED or its encode job's state.
    state: str
    upload_state: str
    title_id: str | None
    progress: float
    #: Why it was aborted, or why its job failed.
    error: NotRequired[str | None]
    #: Once the upload has a job.
    job_id: NotRequired[str]
    progress_detail: NotRequired[JobProgress | None]
    #: The job's stages as the encoder records them.
    stages: NotRequired[dict[str, dict[str, Any]]]
    asset_id: NotRequired[str | None]


class JobStage(TypedDict):
    started_at: NotRequired[str | None]
    ended_at: NotRequired[str | None]
    outcome: NotRequired[str | None]
    #: A finished stage's duration (None while it runs).
    seconds: float | None
    #: Its duration so far while it runs, else as `seconds`.
    elapsed_s: float | None
    running: bool


class JobSource(TypedDict):
    bucket: str | None
    key: str | None
    size: int
    #: What probing the file found (streams, duration...), once probed.
    info: dict[str, Any] | None


class JobOutputs(TypedDict):
    asset_id: str
    #: The published stream's DASH manifest.
    manifest: str


class Job(TypedDict):
    job_id: str
    #: The title's job number (job 1, 2, 3...).
    number: int | None
    status: str
    title_id: str | None
    #: A series' episode (`S1E3`).
    episode: str | None
    source: JobSource
    uploader: str | None
    progress: float
    progress_detail: JobProgress
    attempts: int
    stages: dict[str, JobStage]
    error: str | None
    cancel_requested: bool
    #: Once published.
    outputs: JobOutputs | None
    #: The encoder's log, once written.
    log_url: str | None
    created_at: str | None
    updated_at: str | None
    #: The title's name and the uploader's email (the console's labels; absent if unknown).
    title_name: NotRequired[str]
    uploader_email: NotRequired[str]


class JobPanel(TypedDict):
    jobs: list[Job]
    #: The panel asked for (`?panel=`), or the title (`?title=`).
    panel: NotRequired[str]
    title_id: NotRequired[str]


class JobCancelled(TypedDict):
    job: Job
    was: str
    message: str


class Accepted(TypedDict):
    accepted: bool
    key: str
    job_id: str
    message: str


class EncodeSettings(TypedDict):
    title_id: str
    only_latest: bool
    cooldown_s: int


class KeptAsset(TypedDict):
    asset_id: str
    #: Why it stays (a month's last encode, or in use).
    reason: str


class RetentionReport(TypedDict):
    dry_run: bool
    days: int
    keep_monthly: bool
    #: The source files and the encoded assets past the retention period.
    sources: list[str]
    assets: list[str]
    kept: list[KeptAsset]
    deleted_files: int
    #: After a run: assets not deleted because a title took them up meanwhile.
    skipped_in_use: NotRequired[list[str]]


class Dashboard(TypedDict):
    cursor: str
    changed: list[str]
    panels: dict[str, list[Job]]


class Webhook(TypedDict):
    id: str
    name: str
    actors: list[str]
    created_by: str | None
    created_at: str | None


class WebhookCreated(Webhook):
    secret: str


class Webhooks(TypedDict):
    webhooks: list[Webhook]


class AuditEntry(TypedDict):
    at: str
    actor_id: str
    actor_email: str
    action: str
    target: str
    ip: str
    user_agent: str
    details: dict[str, Any]
    #: The target's name: a user's email or a title's name (absent if neither).
    target_label: NotRequired[str]


class AuditLog(TypedDict):
    entries: list[AuditEntry]


class ViewerProfile(TypedDict):
    """A profile of the account: a viewer with its own history, list and recommendations."""

    id: str
    name: str
    avatar: str
    kids: bool
    #: A kids profile's ceiling (G, TV-Y7, PG or PG-13): titles above it, or unrated, are
    #: hidden from it; null for other profiles.
    maturity_ceiling: str | None
    #: Choosing it asks for its PIN.
    locked: bool
    #: The account's first profile (it cannot be deleted).
    main: bool


class Profiles(TypedDict):
    profiles: list[ViewerProfile]
    #: The profile this session watches as.
    current: str


class TitleMaturity(TypedDict):
    title_id: str
    #: The rating on the scale (MPAA or US TV), null when unrated.
    maturity: str | None
