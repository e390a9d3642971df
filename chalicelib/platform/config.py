"""The one place that reads the environment and decides which cloud the app talks to.

Targets:
- ``embedded`` (default): moto server, redis-server and Neo4j started by ``notflix up`` on
  127.0.0.1, ports overridable by ``NOTFLIX_*_PORT``.
- ``localstack``: ``localstack/docker-compose.yml`` (LocalStack edge on 4566, redis:7, neo4j:5).
- ``aws``: no endpoint override; credentials come from the usual boto3 chain.

Everything below ``chalicelib`` receives a :class:`Settings` (or clients built from it) and never
reads ``os.environ`` itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Target(StrEnum):
    EMBEDDED = "embedded"
    LOCALSTACK = "localstack"
    AWS = "aws"


#: The largest object S3 stores (and so the largest upload).
S3_MAX_OBJECT_BYTES = 5 * 1024**4


class ConfigError(ValueError):
    """The environment names an unknown target or an invalid value."""


DEFAULT_PORTS = {"aws": 4566, "redis": 6379, "neo4j": 7687, "api": 8000, "paypal": 8025}
PORT_ENV = {
    "aws": "NOTFLIX_AWS_PORT",
    "redis": "NOTFLIX_REDIS_PORT",
    "neo4j": "NOTFLIX_NEO4J_PORT",
    "api": "NOTFLIX_API_PORT",
    "paypal": "NOTFLIX_PAYPAL_PORT",
}
#: Password the LocalStack compose file gives Neo4j (a throwaway local container).
LOCALSTACK_NEO4J_PASSWORD = "notflix-local-neo4j"  # noqa: S105 - local docker only


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


#: Settings field -> (environment variable, default) of the login throttle and rate limits.
_ACCOUNT_LIMITS = {
    "login_max_failures": ("NOTFLIX_LOGIN_MAX_FAILURES", 5),
    "login_window_seconds": ("NOTFLIX_LOGIN_WINDOW_SECONDS", 60),
    "login_first_delay_seconds": ("NOTFLIX_LOGIN_FIRST_DELAY_SECONDS", 1),
    "login_max_delay_seconds": ("NOTFLIX_LOGIN_MAX_DELAY_SECONDS", 900),
    "login_quiet_seconds": ("NOTFLIX_LOGIN_QUIET_SECONDS", 900),
    "login_account_max_failures": ("NOTFLIX_LOGIN_ACCOUNT_MAX_FAILURES", 100),
    "login_ip_max_failures": ("NOTFLIX_LOGIN_IP_MAX_FAILURES", 100),
    "login_ceiling_window_seconds": ("NOTFLIX_LOGIN_CEILING_WINDOW_SECONDS", 3600),
    "account_limit_window_seconds": ("NOTFLIX_ACCOUNT_LIMIT_WINDOW_SECONDS", 3600),
    "reset_mails_per_email": ("NOTFLIX_RESET_MAILS_PER_EMAIL", 3),
    "reset_mails_per_ip": ("NOTFLIX_RESET_MAILS_PER_IP", 20),
    "registrations_per_ip": ("NOTFLIX_REGISTRATIONS_PER_IP", 20),
    "password_changes_per_account": ("NOTFLIX_PASSWORD_CHANGES_PER_ACCOUNT", 5),
    "password_changes_per_ip": ("NOTFLIX_PASSWORD_CHANGES_PER_IP", 20),
}


def _account_limits(env: Mapping[str, str]) -> dict[str, Any]:
    return {field_name: _int(env, variable, default)
            for field_name, (variable, default) in _ACCOUNT_LIMITS.items()}


def _paypal(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, name in (("paypal_base_url", "NOTFLIX_PAYPAL_BASE_URL"),
                      ("paypal_client_id", "NOTFLIX_PAYPAL_CLIENT_ID"),
                      ("paypal_client_secret", "NOTFLIX_PAYPAL_CLIENT_SECRET"),
                      ("paypal_webhook_id", "NOTFLIX_PAYPAL_WEBHOOK_ID"),
                      ("paypal_ca_bundle", "NOTFLIX_PAYPAL_CA_BUNDLE")):
        if env.get(name):
            values[key] = env[name]
    verifier = env.get("NOTFLIX_PAYPAL_VERIFIER", "local").strip().lower()
    if verifier not in ("local", "api"):
        raise ConfigError(f"NOTFLIX_PAYPAL_VERIFIER must be local or api, got {verifier!r}")
    values["paypal_verifier"] = verifier
    if env.get("NOTFLIX_PAYPAL_CERT_HOSTS"):
        values["paypal_cert_hosts"] = _csv(env["NOTFLIX_PAYPAL_CERT_HOSTS"])
    plans = []
    for pair in _csv(env.get("NOTFLIX_PAYPAL_PLAN_IDS", "")):
        key, sep, plan_id = pair.partition("=")
        if not sep or not key.strip() or not plan_id.strip():
            raise ConfigError(f"NOTFLIX_PAYPAL_PLAN_IDS entries are like basic=P-1, not {pair!r}")
        plans.append((key.strip(), plan_id.strip()))
    values["paypal_plan_ids"] = tuple(plans)
    return values


def _float(env: Mapping[str, str], name: str, default: float | None,
           minimum: float = 0.0) -> float | None:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
    return value


def _percent(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value is None or value > 100:
        raise ConfigError(f"{name} must be a percentile from 0 to 100, got {env.get(name)}")
    return value


def _catalogue(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tmdb_rate_per_second": _float(env, "NOTFLIX_TMDB_RATE_PER_SECOND", 40.0, 0.1),
        "tmdb_concurrency": _int(env, "NOTFLIX_TMDB_CONCURRENCY", 8),
        "tmdb_stale_days": _int(env, "NOTFLIX_TMDB_STALE_DAYS", 30),
        "ranking_min_votes": (_int(env, "NOTFLIX_RANKING_MIN_VOTES", 0, minimum=0)
                              if env.get("NOTFLIX_RANKING_MIN_VOTES", "") else None),
        "ranking_min_votes_percentile": _percent(env, "NOTFLIX_RANKING_MIN_VOTES_PERCENTILE",
                                                 50.0),
        "ranking_mean": _float(env, "NOTFLIX_RANKING_MEAN", None),
        "search_refresh_seconds": _int(env, "NOTFLIX_SEARCH_REFRESH_SECONDS", 60, minimum=0),
    }
    for key, name in (("tmdb_api_url", "NOTFLIX_TMDB_API_URL"),
                      ("tmdb_export_url", "NOTFLIX_TMDB_EXPORT_URL"),
                      ("tmdb_api_key", "NOTFLIX_TMDB_API_KEY"),
                      ("tmdb_bearer_token", "NOTFLIX_TMDB_BEARER_TOKEN"),
                      ("image_base_url", "NOTFLIX_IMAGE_BASE_URL")):
        if env.get(name):
            values[key] = env[name].rstrip("/") if key.endswith("_url") else env[name]
    return values


def _recommendations(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "aws_read_timeout_s": _int(env, "NOTFLIX_AWS_READ_TIMEOUT_SECONDS", 5),
        "recs_budget_ms": _int(env, "NOTFLIX_RECS_BUDGET_MS", 300),
        "recs_cache_seconds": _int(env, "NOTFLIX_RECS_CACHE_SECONDS", 900),
        "trending_half_life_hours": _float(env, "NOTFLIX_TRENDING_HALF_LIFE_HOURS", 24.0, 0.01),
        "graph_retry_seconds": _int(env, "NOTFLIX_GRAPH_RETRY_SECONDS", 5),
        "graph_retry_max_seconds": _int(env, "NOTFLIX_GRAPH_RETRY_MAX_SECONDS", 900),
        "stream_url_seconds": _int(env, "NOTFLIX_STREAM_URL_SECONDS", 300, minimum=10),
        "upload_max_bytes": _upload_max(env),
        "upload_part_url_seconds": _int(env, "NOTFLIX_UPLOAD_PART_URL_SECONDS", 900,
                                        minimum=60),
        "retention_days": _int(env, "NOTFLIX_RETENTION_DAYS", 30, minimum=0),
        "retention_keep_monthly": env.get("NOTFLIX_RETENTION_KEEP_MONTHLY", "true").lower()
        not in ("0", "false", "no"),
    }


def _upload_max(env: Mapping[str, str]) -> int:
    value = _int(env, "NOTFLIX_UPLOAD_MAX_BYTES", S3_MAX_OBJECT_BYTES, minimum=1)
    if value > S3_MAX_OBJECT_BYTES:
        raise ConfigError(f"NOTFLIX_UPLOAD_MAX_BYTES is at most {S3_MAX_OBJECT_BYTES} "
                          f"(5 TiB, S3's largest object), got {value}")
    return value


def port(env: Mapping[str, str], name: str) -> int:
    """The port for `aws`, `redis`, `neo4j`, `api` or `paypal` (`NOTFLIX_<NAME>_PORT`)."""
    raw = env.get(PORT_ENV[name])
    if raw is None or raw == "":
        return DEFAULT_PORTS[name]
    try:
        port = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{PORT_ENV[name]} must be a port number, got {raw!r}") from exc
    if not 0 < port < 65536:
        raise ConfigError(f"{PORT_ENV[name]} must be between 1 and 65535, got {port}")
    return port


@dataclass(frozen=True)
class Settings:
    target: Target
    region: str
    resource_prefix: str
    aws_endpoint_url: str | None
    redis_url: str
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str = field(repr=False)
    api_port: int = DEFAULT_PORTS["api"]
    log_level: str = "INFO"
    #: Where browsers reach the site; links in mail point here.
    public_url: str = "http://127.0.0.1:8000"
    mail_from: str = "no-reply@notflix.example"
    #: The encoder function's time limit (Lambda's cap, 900 s, in AWS; lower locally to prove
    #: that long sources still finish in chunks). The encode queues' visibility follows it.
    encoder_timeout_seconds: int = 900
    #: Encoder invocations at once: the local event runner's worker pool (in AWS, the
    #: function's reserved concurrency and its queue mappings' maximum concurrency).
    encoder_concurrency: int = 2
    #: Length of one chunk of video, a whole number of 4 s segments (bench/RESULTS.md: why).
    encode_chunk_seconds: int = 60
    #: Origins allowed to call the API cross-origin (CORS); empty means closed.
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    session_ttl_seconds: int = 14 * 24 * 3600
    #: Login throttle (chalicelib/auth/throttle.py; README "Accounts and security"): failures
    #: of one account from one IP within the window that restrict the pair...
    login_max_failures: int = 5
    login_window_seconds: int = 60
    #: ...the pair's first delay, doubling per further failure up to the cap, and forgotten
    #: after this long without a failure...
    login_first_delay_seconds: int = 1
    login_max_delay_seconds: int = 900
    login_quiet_seconds: int = 900
    #: ...and the ceilings across IPs (per account) and across accounts (per IP) in their
    #: window, which an account passes from an IP it logged in or registered from.
    login_account_max_failures: int = 100
    login_ip_max_failures: int = 100
    login_ceiling_window_seconds: int = 3600
    password_reset_ttl_seconds: int = 30 * 60
    #: Rate limits of the other account routes (chalicelib/auth/limits.py), per window.
    account_limit_window_seconds: int = 3600
    reset_mails_per_email: int = 3
    reset_mails_per_ip: int = 20
    registrations_per_ip: int = 20
    password_changes_per_account: int = 5
    password_changes_per_ip: int = 20
    paypal_base_url: str = "https://api-m.sandbox.paypal.com"
    paypal_client_id: str = ""
    paypal_client_secret: str = field(default="", repr=False)
    paypal_webhook_id: str = ""
    #: `local` (certificate check, as PayPal's SDKs do) or `api` (verify-webhook-signature).
    paypal_verifier: str = "local"
    #: PEM bundle of CAs that may issue PayPal's webhook certificates; empty = certifi's.
    paypal_ca_bundle: str = ""
    #: Hosts PAYPAL-CERT-URL may point at.
    paypal_cert_hosts: tuple[str, ...] = ("api.paypal.com", "api-m.paypal.com",
                                          "api.sandbox.paypal.com", "api-m.sandbox.paypal.com")
    #: Plan key -> PayPal plan id overrides, e.g. `basic=P-123,premium=P-456`.
    paypal_plan_ids: tuple[tuple[str, str], ...] = ()
    #: TMDB API (v3) and daily export locations; a local fake replaces both in tests.
    tmdb_api_url: str = "https://api.themoviedb.org/3"
    tmdb_export_url: str = "http://files.tmdb.org/p/exports"
    tmdb_api_key: str = field(default="", repr=False)
    tmdb_bearer_token: str = field(default="", repr=False)
    tmdb_rate_per_second: float = 40.0
    tmdb_concurrency: int = 8
    #: Details older than this are fetched again by the next import.
    tmdb_stale_days: int = 30
    #: IMDb weighted rating: `m` (None: the percentile below of each scale's vote counts)
    #: and the mean `C` (None: each scale's mean rating); see chalicelib.catalogue.rankings.
    ranking_min_votes: int | None = None
    ranking_min_votes_percentile: float = 50.0
    ranking_mean: float | None = None
    #: Where poster paths from TMDB are served from.
    image_base_url: str = "https://image.tmdb.org/t/p/w342"
    #: How often a warm function checks S3 for a rebuilt search index (0: every request).
    search_refresh_seconds: int = 60
    #: How long an AWS call may stay silent before it is retried once (then a 503); batch
    #: work run by hand (`notflix seed`, imports) waits longer.
    aws_read_timeout_s: int = 5
    #: The graph's time budget for one recommendation request; past it, popular titles answer.
    recs_budget_ms: int = 300
    recs_cache_seconds: int = 900
    #: A play this long ago counts half as much towards trending.
    trending_half_life_hours: float = 24.0
    #: First delay before a failed graph-sync batch is retried (doubling per attempt).
    graph_retry_seconds: int = 5
    graph_retry_max_seconds: int = 900
    #: How long a presigned media URL (a segment, a manifest) works after /stream/ hands it out.
    stream_url_seconds: int = 300
    #: The largest upload (S3's own limit for one object is 5 TiB).
    upload_max_bytes: int = S3_MAX_OBJECT_BYTES
    #: How long a presigned part URL works (S3 checks it when the part's request starts).
    upload_part_url_seconds: int = 900
    #: The daily cleanup deletes sources and superseded encodes older than this...
    retention_days: int = 30
    #: ...keeping the first and the last superseded asset of each month.
    retention_keep_monthly: bool = True

    @property
    def tmdb_configured(self) -> bool:
        """TMDB imports can run (an API key or a bearer token is set)."""
        return bool(self.tmdb_api_key or self.tmdb_bearer_token)

    @property
    def local(self) -> bool:
        """True on the embedded stack and LocalStack: cookies lose `Secure`, test creds apply."""
        return self.target is not Target.AWS

    @property
    def stack_name(self) -> str:
        return self.resource_prefix

    @property
    def uploads_bucket(self) -> str:
        return f"{self.resource_prefix}-uploads"

    @property
    def media_bucket(self) -> str:
        return f"{self.resource_prefix}-media"

    @property
    def data_bucket(self) -> str:
        """Private artefacts: the search index, import state and export copies."""
        return f"{self.resource_prefix}-data"

    @property
    def reset_queue(self) -> str:
        """Password reset requests on their way to the worker that mails the link."""
        return f"{self.resource_prefix}-password-resets"

    @property
    def import_queue(self) -> str:
        return f"{self.resource_prefix}-catalogue-imports"

    @property
    def graph_queue(self) -> str:
        """Graph updates (titles, users, watches, ratings) on their way to Neo4j."""
        return f"{self.resource_prefix}-graph-sync"

    @property
    def encode_queue(self) -> str:
        return f"{self.resource_prefix}-encode-jobs"

    @property
    def encode_dlq(self) -> str:
        return f"{self.resource_prefix}-encode-jobs-dlq"

    @property
    def encode_tasks_queue(self) -> str:
        """A planned job's fan-out: chunks, audio, artwork and text tracks."""
        return f"{self.resource_prefix}-encode-tasks"

    @property
    def encode_tasks_dlq(self) -> str:
        return f"{self.resource_prefix}-encode-tasks-dlq"

    def table_name(self, short_name: str) -> str:
        """Physical DynamoDB table name for a domain's table, e.g. ``users``."""
        return f"{self.resource_prefix}-{short_name}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        raw_target = env.get("NOTFLIX_TARGET", Target.EMBEDDED.value).strip().lower()
        try:
            target = Target(raw_target)
        except ValueError as exc:
            choices = ", ".join(t.value for t in Target)
            raise ConfigError(
                f"NOTFLIX_TARGET must be one of {choices}, got {raw_target!r}"
            ) from exc
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        default_prefix = "notflix" if target is Target.AWS else "notflix-local"
        prefix = env.get("NOTFLIX_PREFIX", default_prefix)
        endpoint = None
        if target is not Target.AWS:
            endpoint = env.get("NOTFLIX_AWS_ENDPOINT") or f"http://127.0.0.1:{port(env, 'aws')}"
        redis_url = env.get("NOTFLIX_REDIS_URL") or f"redis://127.0.0.1:{port(env, 'redis')}/0"
        neo4j_uri = env.get("NOTFLIX_NEO4J_URI") or f"bolt://127.0.0.1:{port(env, 'neo4j')}"
        default_password = LOCALSTACK_NEO4J_PASSWORD if target is Target.LOCALSTACK else ""
        return cls(
            target=target,
            region=region,
            resource_prefix=prefix,
            aws_endpoint_url=endpoint,
            redis_url=redis_url,
            neo4j_uri=neo4j_uri,
            neo4j_user=env.get("NOTFLIX_NEO4J_USER", "neo4j"),
            neo4j_password=env.get("NOTFLIX_NEO4J_PASSWORD", default_password),
            api_port=port(env, "api"),
            log_level=env.get("NOTFLIX_LOG_LEVEL", "INFO").upper(),
            public_url=env.get("NOTFLIX_PUBLIC_URL", f"http://127.0.0.1:{port(env, 'api')}"),
            mail_from=env.get("NOTFLIX_MAIL_FROM", "no-reply@notflix.example"),
            encoder_timeout_seconds=_int(env, "NOTFLIX_ENCODER_TIMEOUT_SECONDS", 900),
            encoder_concurrency=max(1, _int(env, "NOTFLIX_ENCODER_CONCURRENCY", 2)),
            encode_chunk_seconds=_int(env, "NOTFLIX_ENCODE_CHUNK_SECONDS", 60),
            cors_origins=_csv(env.get("NOTFLIX_CORS_ORIGINS", "")),
            max_body_bytes=_int(env, "NOTFLIX_MAX_BODY_BYTES", 1_048_576),
            session_ttl_seconds=_int(env, "NOTFLIX_SESSION_TTL_SECONDS", 14 * 24 * 3600),
            password_reset_ttl_seconds=_int(env, "NOTFLIX_PASSWORD_RESET_TTL_SECONDS", 30 * 60),
            **_account_limits(env),
            **_paypal(env),
            **_catalogue(env),
            **_recommendations(env),
        )
