"""The domain services, built once per Lambda container from the shared resources.

Each service, and the SDKs behind it, is imported and built on first use: a cold start
pays only for what its first request needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cached_property, wraps
from typing import TYPE_CHECKING, TypeVar

from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.platform.web_security import origin_of

if TYPE_CHECKING:
    from pynamodb.models import Model

    from chalicelib.audit.log import AuditLog
    from chalicelib.auth.guard import Guard
    from chalicelib.auth.service import AccountService
    from chalicelib.auth.sessions import SessionStore
    from chalicelib.auth.users import UserRepository
    from chalicelib.catalogue.importing.imdb_import import ImdbImporter
    from chalicelib.catalogue.importing.service import CatalogueImports
    from chalicelib.catalogue.importing.tmdb_client import TmdbClient
    from chalicelib.catalogue.importing.tmdb_import import TmdbImporter
    from chalicelib.catalogue.rebuild import CatalogueIndexer
    from chalicelib.catalogue.search.service import SearchService
    from chalicelib.catalogue.titles.artwork import Artwork
    from chalicelib.catalogue.titles.browse import CatalogueReader
    from chalicelib.catalogue.titles.choices_store import FacetChoicesStore
    from chalicelib.catalogue.titles.writer import CatalogueWriter
    from chalicelib.ingest.service import Ingest
    from chalicelib.jobs.actions import JobActions
    from chalicelib.jobs.console import JobsConsole
    from chalicelib.jobs.dashboard import Dashboard
    from chalicelib.jobs.retention import Retention
    from chalicelib.jobs.watchdog import Watchdog
    from chalicelib.mylist.service import MyListService
    from chalicelib.payments.entitlements import Entitlements
    from chalicelib.payments.paypal_client import PayPalClient
    from chalicelib.payments.service import PaymentsService
    from chalicelib.payments.verify import Verifier
    from chalicelib.platform.labels import Labels
    from chalicelib.playback.service import Playback
    from chalicelib.profiles.gate import MaturityGate
    from chalicelib.profiles.service import ProfileService
    from chalicelib.ratings.service import Ratings
    from chalicelib.recommendations.cache import RecommendationCache
    from chalicelib.recommendations.feed import GraphFeed
    from chalicelib.recommendations.outbox import GraphOutbox
    from chalicelib.recommendations.recommender import Recommender
    from chalicelib.recommendations.similarity_job import SimilarityJob
    from chalicelib.recommendations.sync_worker import GraphSyncWorker
    from chalicelib.recommendations.trending import Trending
    from chalicelib.telemetry.plays import PlayRegistry
    from chalicelib.telemetry.quality import QualityStore
    from chalicelib.uploads.access import UploadAccess
    from chalicelib.uploads.listing import UploadListing
    from chalicelib.uploads.new_titles import NewTitles
    from chalicelib.uploads.service import MultipartUploads
    from chalicelib.viewing.continuing import ContinueWatching
    from chalicelib.viewing.history import ViewingHistory
    from chalicelib.viewing.progress import ProgressService
    from chalicelib.viewing.resume import ResumeStore
    from chalicelib.web.pages import Pages


def allowed_origins(settings: Settings) -> frozenset[str]:
    """Origins whose pages may change state: our own site and the CORS allowlist."""
    origins = {origin_of(settings.public_url), *settings.cors_origins}
    if settings.local:
        origins |= {f"http://127.0.0.1:{settings.api_port}", f"http://localhost:{settings.api_port}"}
    return frozenset(o.rstrip("/").lower() for o in origins if o)


def table_models() -> dict[type[Model], str]:
    """Every pynamodb model of every domain, with its table's short name (imported here,
    on first use, so a cold start loads no model it does not bind)."""
    from chalicelib.audit.log import AUDIT_MODELS
    from chalicelib.auth.models import AUTH_MODELS
    from chalicelib.catalogue.importing.models import IMPORT_MODELS
    from chalicelib.catalogue.titles.models import CATALOGUE_MODELS
    from chalicelib.ingest.models import INGEST_MODELS
    from chalicelib.jobs.models import JOB_MODELS
    from chalicelib.mylist.models import MYLIST_MODELS
    from chalicelib.payments.models import PAYMENT_MODELS
    from chalicelib.profiles.models import PROFILE_MODELS
    from chalicelib.uploads.models import UPLOAD_MODELS
    from chalicelib.viewing.models import USAGE_MODELS

    return {**AUTH_MODELS, **PAYMENT_MODELS, **CATALOGUE_MODELS, **IMPORT_MODELS,
            **USAGE_MODELS, **JOB_MODELS, **AUDIT_MODELS, **INGEST_MODELS, **UPLOAD_MODELS,
            **PROFILE_MODELS, **MYLIST_MODELS}


T = TypeVar("T")


def uses_tables(build: Callable[[Services], T]) -> cached_property[T]:
    """A service built once, after every pynamodb model is pointed at this target's tables."""
    @wraps(build)
    def bound(self: Services) -> T:
        self._bind_tables()
        return build(self)
    return cached_property(bound)


class Services:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.settings = resources.settings
        self._tables_bound = False

    def _bind_tables(self) -> None:
        """Point every pynamodb model at this target's tables (once, before any use)."""
        if self._tables_bound:
            return
        from chalicelib.platform.dynamo import bind_models

        bind_models(self.settings, table_models())
        self._tables_bound = True

    @uses_tables
    def users(self) -> UserRepository:
        from chalicelib.auth.users import UserRepository
        from chalicelib.platform.dynamo import transaction_connection

        return UserRepository(transaction_connection(self.settings))

    @cached_property
    def sessions(self) -> SessionStore:
        from chalicelib.auth.sessions import SessionStore

        return SessionStore(self.resources.redis, ttl_seconds=self.settings.session_ttl_seconds,
                            prefix=self.settings.resource_prefix)

    @cached_property
    def guard(self) -> Guard:
        from chalicelib.auth.guard import Guard

        return Guard(self.sessions, self.users, allowed_origins(self.settings),
                     profile_of=lambda user, session: self.profiles.current(user, session))

    @uses_tables
    def maturity(self) -> MaturityGate:
        from chalicelib.profiles.gate import MaturityGate

        return MaturityGate()

    @uses_tables
    def profiles(self) -> ProfileService:
        from chalicelib.auth.limits import RateLimiter
        from chalicelib.platform.dynamo import transaction_connection
        from chalicelib.profiles.erasure import ViewerErasure
        from chalicelib.profiles.service import ProfileService
        from chalicelib.profiles.store import ProfileStore

        return ProfileService(
            ProfileStore(transaction_connection(self.settings)), self.sessions,
            RateLimiter(self.resources.redis, prefix=self.settings.resource_prefix),
            on_new_viewer=self.graph_feed.profile_created,
            erasure=ViewerErasure(self.resume, self.recommendation_cache, self.graph_feed))

    @cached_property
    def accounts(self) -> AccountService:
        from chalicelib.auth.history import LoginHistory
        from chalicelib.auth.limits import AccountLimits, RateLimiter
        from chalicelib.auth.mail import Mailer
        from chalicelib.auth.reset_requests import ResetRequests
        from chalicelib.auth.resets import ResetTokens
        from chalicelib.auth.service import AccountService
        from chalicelib.auth.throttle import LoginRules, LoginThrottle

        settings = self.settings
        rules = LoginRules(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            first_delay_seconds=settings.login_first_delay_seconds,
            max_delay_seconds=settings.login_max_delay_seconds,
            quiet_seconds=settings.login_quiet_seconds,
            account_max_failures=settings.login_account_max_failures,
            ip_max_failures=settings.login_ip_max_failures,
            ceiling_window_seconds=settings.login_ceiling_window_seconds)
        sqs = self.resources.sqs
        queue = settings.reset_queue
        return AccountService(
            users=self.users,
            sessions=self.sessions,
            throttle=LoginThrottle(self.resources.redis, rules, prefix=settings.resource_prefix),
            history=LoginHistory(),
            resets=ResetTokens(settings.password_reset_ttl_seconds),
            mailer=Mailer(self.resources.client("ses"), settings.mail_from, settings.public_url),
            limiter=RateLimiter(self.resources.redis, prefix=settings.resource_prefix),
            limits=AccountLimits.from_settings(settings),
            reset_requests=ResetRequests(
                sqs, lambda: str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])),
            on_registered=self.graph_feed.user_registered,
        )

    @cached_property
    def paypal(self) -> PayPalClient:
        from chalicelib.payments.paypal_client import PayPalClient

        settings = self.settings
        return PayPalClient(self.resources.http, settings.paypal_base_url,
                            settings.paypal_client_id, settings.paypal_client_secret)

    def _verifier(self) -> Verifier:
        from chalicelib.payments.verify import ApiVerifier, CertificateStore, LocalVerifier

        settings = self.settings
        if settings.paypal_verifier == "api":
            return ApiVerifier(self.paypal, settings.paypal_webhook_id)
        certificates = CertificateStore(
            self.resources.http, settings.paypal_cert_hosts,
            CertificateStore.load_bundle(settings.paypal_ca_bundle),
            allow_http_hosts=settings.paypal_cert_hosts if settings.local else ())
        return LocalVerifier(certificates, settings.paypal_webhook_id)

    @uses_tables
    def payments(self) -> PaymentsService:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from chalicelib.payments.ledger import Ledger
        from chalicelib.payments.plans import Plans
        from chalicelib.payments.service import PaymentsService
        from chalicelib.payments.subscriptions import SubscriptionStore

        return PaymentsService(
            plans=Plans(self.settings), paypal=self.paypal, verifier=self._verifier(),
            subscriptions=SubscriptionStore(on_change=self.entitlements.revoke),
            ledger=Ledger(),
            idempotency=DynamoDBPersistenceLayer(
                table_name=self.settings.table_name("idempotency"),
                boto3_client=self.resources.dynamodb),
            public_url=self.settings.public_url)

    @uses_tables
    def entitlements(self) -> Entitlements:
        from chalicelib.payments.entitlements import Entitlements
        from chalicelib.payments.subscriptions import SubscriptionStore

        return Entitlements(self.resources.redis, self.settings.resource_prefix,
                            SubscriptionStore())

    # -- catalogue --------------------------------------------------------------------------
    @uses_tables
    def catalogue(self) -> CatalogueReader:
        from chalicelib.catalogue.titles.browse import CatalogueReader

        return CatalogueReader(self.settings.image_base_url, self.browse_choices.counts)

    @cached_property
    def browse_choices(self) -> FacetChoicesStore:
        from chalicelib.catalogue.titles.choices_store import FacetChoicesStore

        settings = self.settings
        return FacetChoicesStore(self.resources.s3, settings.data_bucket,
                                 settings.search_refresh_seconds)

    @uses_tables
    def artwork(self) -> Artwork:
        from chalicelib.catalogue.titles.artwork import Artwork

        return Artwork(self.resources.s3, self.settings.media_bucket)

    @cached_property
    def search(self) -> SearchService:
        from chalicelib.catalogue.search.service import SearchService

        settings = self.settings
        return SearchService(self.resources.s3, settings.data_bucket,
                             settings.search_refresh_seconds, settings.image_base_url)

    @uses_tables
    def imdb_import(self) -> ImdbImporter:
        from chalicelib.catalogue.importing.imdb_import import ImdbImporter, Match

        def recorded(user_id: str, matches: list[Match]) -> None:
            self.graph_feed.list_imported(user_id, matches)  # never raises
            self.recommendation_cache.invalidate(user_id)  # watches and thumbs changed

        return ImdbImporter(on_recorded=recorded)

    @uses_tables
    def catalogue_writer(self) -> CatalogueWriter:
        from chalicelib.catalogue.titles.writer import CatalogueWriter

        return CatalogueWriter(on_saved=self.graph_feed.titles_saved)

    @uses_tables
    def catalogue_indexer(self) -> CatalogueIndexer:
        from chalicelib.catalogue.rebuild import CatalogueIndexer

        settings = self.settings
        return CatalogueIndexer(self.resources.s3, settings.data_bucket,
                                settings.ranking_min_votes, settings.ranking_mean,
                                settings.ranking_min_votes_percentile)

    @asynccontextmanager
    async def tmdb_client(self) -> AsyncIterator[TmdbClient]:
        """A TMDB client for one import run (its own event loop and connections)."""
        import httpx

        from chalicelib.catalogue.importing.tmdb_client import TmdbClient

        settings = self.settings
        if not (settings.tmdb_api_key or settings.tmdb_bearer_token):
            raise ValueError("TMDB needs NOTFLIX_TMDB_API_KEY or NOTFLIX_TMDB_BEARER_TOKEN")
        timeout = httpx.Timeout(20.0, connect=5.0)
        limits = httpx.Limits(max_connections=settings.tmdb_concurrency * 2)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
            yield TmdbClient(http, api_url=settings.tmdb_api_url,
                             export_url=settings.tmdb_export_url,
                             api_key=settings.tmdb_api_key,
                             bearer_token=settings.tmdb_bearer_token,
                             rate_per_second=settings.tmdb_rate_per_second,
                             concurrency=settings.tmdb_concurrency)

    def tmdb_importer(self) -> TmdbImporter:
        import tempfile
        from pathlib import Path

        from chalicelib.catalogue.importing.fetch_state import FetchStateStore
        from chalicelib.catalogue.importing.runs import ImportRuns
        from chalicelib.catalogue.importing.tmdb_import import TmdbImporter

        settings = self.settings
        return TmdbImporter(self.tmdb_client, FetchStateStore(self.resources.s3,
                                                               settings.data_bucket),
                            ImportRuns(), self.catalogue_writer, settings.tmdb_stale_days,
                            Path(tempfile.gettempdir()) / "notflix-imports",
                            workers=settings.tmdb_concurrency)

    @uses_tables
    def imports(self) -> CatalogueImports:
        from chalicelib.catalogue.importing.runs import ImportRuns
        from chalicelib.catalogue.importing.service import CatalogueImports

        sqs = self.resources.sqs
        queue = self.settings.import_queue
        return CatalogueImports(ImportRuns(), self.tmdb_importer, self.catalogue_indexer, sqs,
                                lambda: str(sqs.get_queue_url(QueueName=queue)["QueueUrl"]))

    # -- recommendations and viewing --------------------------------------------------------
    @cached_property
    def graph_outbox(self) -> GraphOutbox:
        from chalicelib.recommendations.outbox import GraphOutbox

        sqs = self.resources.sqs
        queue = self.settings.graph_queue
        return GraphOutbox(sqs, lambda: str(sqs.get_queue_url(QueueName=queue)["QueueUrl"]))

    @uses_tables
    def graph_feed(self) -> GraphFeed:
        from chalicelib.recommendations.feed import GraphFeed

        return GraphFeed(self.graph_outbox)

    @cached_property
    def graph_worker(self) -> GraphSyncWorker:
        from chalicelib.recommendations.sync import GraphSync
        from chalicelib.recommendations.sync_worker import GraphSyncWorker, RetryDelay

        outbox = self.graph_outbox
        return GraphSyncWorker(GraphSync(self.resources.neo4j), self.resources.sqs,
                               outbox.queue_url, RetryDelay(self.settings.graph_retry_seconds,
                                                          self.settings.graph_retry_max_seconds),
                               on_watched=self.recommendation_cache.invalidate_all)

    @cached_property
    def similarity_job(self) -> SimilarityJob:
        from chalicelib.recommendations.similarity_job import SimilarityJob

        return SimilarityJob(self.resources.neo4j)

    @cached_property
    def trending(self) -> Trending:
        from chalicelib.recommendations.trending import Trending

        return Trending(self.resources.redis, self.settings.resource_prefix,
                        half_life_s=self.settings.trending_half_life_hours * 3600)

    @cached_property
    def recommendation_cache(self) -> RecommendationCache:
        from chalicelib.recommendations.cache import RecommendationCache

        return RecommendationCache(self.resources.redis, self.settings.resource_prefix,
                                   self.settings.recs_cache_seconds)

    @uses_tables
    def recommender(self) -> Recommender:
        from chalicelib.recommendations.fallback import PopularTitles
        from chalicelib.recommendations.recommender import Recommender

        settings = self.settings
        return Recommender(self.resources.neo4j, self.recommendation_cache,
                           PopularTitles(self.trending, settings.image_base_url),
                           settings.image_base_url, budget_s=settings.recs_budget_ms / 1000,
                           thumbs=self.ratings.thumbs)

    # -- my list and ratings ----------------------------------------------------------------
    def _title_exists(self, title_id: str) -> bool:
        return bool(self.catalogue.names([title_id]))

    @uses_tables
    def my_list(self) -> MyListService:
        from chalicelib.mylist.service import MyListService
        from chalicelib.mylist.store import MyListStore
        from chalicelib.platform.dynamo import transaction_connection

        return MyListService(MyListStore(transaction_connection(self.settings)),
                             self.catalogue.cards, self._title_exists)

    @uses_tables
    def ratings(self) -> Ratings:
        from chalicelib.ratings.service import Ratings

        def rated(viewer_id: str, title_id: str, rating: int | None, at: str) -> None:
            self.graph_feed.rated(viewer_id, title_id, rating, at)  # never raises
            self.recommendation_cache.invalidate(viewer_id)

        return Ratings(self._title_exists, self.catalogue.names, on_rated=rated)

    @cached_property
    def resume(self) -> ResumeStore:
        from chalicelib.viewing.resume import ResumeStore

        return ResumeStore(self.resources.redis, self.settings.resource_prefix)

    @uses_tables
    def history(self) -> ViewingHistory:
        from chalicelib.viewing.history import ViewingHistory

        return ViewingHistory(self.settings.image_base_url)

    @uses_tables
    def progress(self) -> ProgressService:
        from chalicelib.viewing.progress import ProgressService

        return ProgressService(self.resume, self.history, self.graph_outbox, self.trending,
                               self.recommendation_cache, self.entitlements.require)

    @uses_tables
    def continue_watching(self) -> ContinueWatching:
        from chalicelib.viewing.continuing import ContinueWatching

        return ContinueWatching(self.resume, self.settings.image_base_url)

    @uses_tables
    def uploads(self) -> MultipartUploads:
        from chalicelib.uploads.service import MultipartUploads

        return MultipartUploads(self.resources.s3_long_calls, self.settings.uploads_bucket,
                                self.settings.upload_max_bytes, self.upload_access,
                                self.settings.upload_part_url_seconds)

    @uses_tables
    def upload_access(self) -> UploadAccess:
        from chalicelib.uploads.access import UploadAccess

        return UploadAccess()

    @cached_property
    def new_titles(self) -> NewTitles:
        from chalicelib.uploads.new_titles import NewTitles

        return NewTitles(self.catalogue_writer, self.upload_access)

    @cached_property
    def upload_listing(self) -> UploadListing:
        from chalicelib.uploads.listing import UploadListing

        return UploadListing(self.uploads)

    @uses_tables
    def jobs_console(self) -> JobsConsole:
        from chalicelib.jobs.console import JobsConsole

        return JobsConsole(self.resources.s3, self.settings.data_bucket)

    @cached_property
    def job_actions(self) -> JobActions:
        from chalicelib.jobs.actions import JobActions

        return JobActions(self.resources.s3, self.settings.uploads_bucket, self.jobs_console,
                          self.upload_access, s3_copies=self.resources.s3_long_calls)

    @uses_tables
    def retention(self) -> Retention:
        from chalicelib.jobs.retention import Retention

        return Retention(self.resources.s3, self.settings.uploads_bucket,
                         self.settings.media_bucket)

    @uses_tables
    def encode_watchdog(self) -> Watchdog:
        from chalicelib.jobs.watchdog import Watchdog, stall_after

        settings = self.settings
        return Watchdog(self.resources.s3, self.resources.sqs, settings.data_bucket,
                        {"upload": settings.encode_dlq, "task": settings.encode_tasks_dlq},
                        stall_after(settings.encoder_timeout_seconds),
                        tasks_queue=settings.encode_tasks_queue)

    @cached_property
    def dashboard(self) -> Dashboard:
        from chalicelib.jobs.dashboard import Dashboard

        return Dashboard(self.jobs_console, self.labels)

    @cached_property
    def labels(self) -> Labels:
        from chalicelib.platform.labels import Labels

        return Labels(self.catalogue.names, self.users.emails)

    @uses_tables
    def ingest(self) -> Ingest:
        from chalicelib.ingest.service import Ingest

        return Ingest(self.resources.s3, self.settings.uploads_bucket, self.resources.redis,
                      self.settings.resource_prefix)

    @uses_tables
    def audit(self) -> AuditLog:
        from chalicelib.audit.log import AuditLog

        return AuditLog(self.labels)

    @uses_tables
    def playback(self) -> Playback:
        from chalicelib.playback.service import Playback

        settings = self.settings
        return Playback(self.resources.s3, settings.media_bucket, self.entitlements.require,
                        self.resume, self.plays, settings.image_base_url,
                        settings.stream_url_seconds)

    # -- playback quality (QoE) ---------------------------------------------------------------
    @cached_property
    def plays(self) -> PlayRegistry:
        from chalicelib.telemetry.plays import PlayRegistry

        return PlayRegistry(self.resources.redis, self.settings.resource_prefix)

    @cached_property
    def playback_quality(self) -> QualityStore:
        from chalicelib.telemetry.quality import QualityStore

        return QualityStore(self.resources.redis, self.settings.resource_prefix, self.plays)

    # -- pages ------------------------------------------------------------------------------
    @uses_tables
    def pages(self) -> Pages:
        from chalicelib.web.pages import Pages

        return Pages(self)
