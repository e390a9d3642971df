"""TMDB v3 API client: details with credits and external ids, season episodes, daily exports.

One client is shared by all concurrent fetches of an import: a token bucket keeps the request
rate under TMDB's limit (about 40 a second), a semaphore bounds requests in flight, and a 429
pauses everyone for its `Retry-After`. Timeouts, connection errors, 429 and 5xx answers are
retried with jittered exponential backoff; other 4xx never. The API key travels as the
`api_key` query parameter, so it is scrubbed from every message, exception and httpx log line.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from chalicelib.platform.logs import logger

ExportKind = Literal["movie", "tv"]

#: TMDB answers at most this many `append_to_response` items per request.
MAX_APPENDED = 20
#: Raw bodies kept on exceptions (for the import's failures table).
MAX_BODY_CHARS = 10_000
_EXPORT_PREFIX: dict[ExportKind, str] = {"movie": "movie_ids", "tv": "tv_series_ids"}
_API_KEY_PARAM = re.compile(r"(api_key=)[^&\s\"'#]+")


class TmdbError(RuntimeError):
    """TMDB answered `status` (0: no answer at all); `body` is the raw text, truncated."""

    def __init__(self, status: int, body: str, *, url: str = "", message: str = "") -> None:
        self.status = status
        self.body = body[:MAX_BODY_CHARS]
        self.url = url
        where = f" for {url}" if url else ""
        super().__init__(message or f"TMDB answered {status}{where}: {self.body[:300]}")


class TmdbNotFound(TmdbError):
    """404: no such title, season or export."""


class TmdbAuthError(TmdbError):
    """401: the API key or bearer token was refused."""


class _Throttled(TmdbError):
    """429, with the wait TMDB asked for (None when it did not say)."""

    def __init__(self, body: str, *, url: str, retry_after: float | None) -> None:
        super().__init__(429, body, url=url)
        self.retry_after = retry_after


@dataclass
class TmdbStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0


class RateLimiter:
    """Token bucket: `rate` requests a second, at most `burst` at once; `pause` stops everyone."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: waiters are served in arrival order
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    self._tokens, self._updated = 0.0, time.monotonic()
                    continue
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def redact(text: str) -> str:
    """`text` with any `api_key=...` query value replaced."""
    return _API_KEY_PARAM.sub(r"\1***", text)


class _RedactApiKey(logging.Filter):
    """httpx logs every request URL at INFO, query string included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = redact(message), None
        return True


def _install_log_filter() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactApiKey) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactApiKey())


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def export_name(kind: ExportKind, day: date) -> str:
    """`movie_ids_MM_DD_YYYY.json.gz` or `tv_series_ids_MM_DD_YYYY.json.gz`."""
    return f"{_EXPORT_PREFIX[kind]}_{day:%m_%d_%Y}.json.gz"


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, TmdbError) and (exc.status == 429 or exc.status >= 500)


def _batches(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _episode_order(episode: dict[str, Any]) -> float:
    number = episode.get("episode_number")
    return number if isinstance(number, int) else math.inf


class TmdbClient:
    def __init__(self, http: httpx.AsyncClient, *, api_url: str, export_url: str,
                 api_key: str = "", bearer_token: str = "", rate_per_second: float = 40.0,
                 burst: int = 1, concurrency: int = 8, attempts: int = 5,
                 backoff_seconds: float = 0.5, max_backoff_seconds: float = 8.0,
                 max_retry_after_seconds: float = 60.0) -> None:
        if not api_key and not bearer_token:
            raise ValueError("TMDB needs an api_key or a bearer_token")
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.export_url = export_url.rstrip("/")
        self._secrets = tuple(s for s in (api_key, bearer_token) if s)
        self._params = {"api_key": api_key} if api_key else {}
        self._headers = {"Accept": "application/json"}
        if bearer_token:
            self._headers["Authorization"] = f"Bearer {bearer_token}"
        self.limiter = RateLimiter(rate_per_second, burst)
        self._slots = asyncio.Semaphore(concurrency)
        self.attempts = attempts
        self.max_retry_after = max_retry_after_seconds
        self._backoff = wait_random_exponential(multiplier=backoff_seconds,
                                                max=max_backoff_seconds)
        self.stats = TmdbStats()
        _install_log_filter()

    def __repr__(self) -> str:
        return f"TmdbClient(api_url={self.api_url!r}, export_url={self.export_url!r})"

    # -- public API ------------------------------------------------------------------------------
    async def movie(self, tmdb_id: int) -> dict[str, Any]:
        """Movie details with `credits` and `external_ids` appended."""
        return await self._get_json(f"/movie/{int(tmdb_id)}",
                                    {"append_to_response": "credits,external_ids"})

    async def series(self, tmdb_id: int) -> dict[str, Any]:
        """Series details with `credits`, `external_ids` and every season's `episodes`."""
        path = f"/tv/{int(tmdb_id)}"
        payload = await self._get_json(path, {"append_to_response": "credits,external_ids"})
        seasons = [s for s in payload.get("seasons") or [] if isinstance(s, dict)]
        numbers = sorted({s["season_number"] for s in seasons
                          if isinstance(s.get("season_number"), int)})
        answers = await asyncio.gather(*(
            self._get_json(path, {"append_to_response": ",".join(f"season/{n}" for n in batch)})
            for batch in _batches(numbers, MAX_APPENDED)))
        details: dict[str, Any] = {}
        for answer in answers:
            details.update({key: answer[key] for key in answer if key.startswith("season/")})
        for season in seasons:
            found = details.get(f"season/{season.get('season_number')}")
            episodes = found.get("episodes") if isinstance(found, dict) else None
            season["episodes"] = sorted(
                (e for e in episodes or [] if isinstance(e, dict)), key=_episode_order)
        return payload

    async def season(self, tmdb_id: int, number: int) -> dict[str, Any]:
        """One season's details (episodes included)."""
        return await self._get_json(f"/tv/{int(tmdb_id)}/season/{int(number)}", {})

    async def download_export(self, kind: ExportKind, day: date, dest: Path) -> Path:
        """Stream the day's ID export to `dest` (a file, or a directory to put it in)."""
        name = export_name(kind, day)
        target = dest / name if dest.is_dir() else dest
        partial = target.with_name(target.name + ".part")
        url = f"{self.export_url}/{name}"
        try:
            await self._retrying()(self._download_once, url, partial, day)
        except httpx.TransportError as exc:
            partial.unlink(missing_ok=True)
            raise self._transport_error(url, exc) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return target

    # -- plumbing --------------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        text = redact(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _wait(self, state: RetryCallState) -> float:
        backoff = float(self._backoff(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Throttled) and exc.retry_after is not None:
            return max(exc.retry_after, backoff)
        return backoff

    def _stop(self, state: RetryCallState) -> bool:
        if stop_after_attempt(self.attempts)(state):
            return True
        exc = state.outcome.exception() if state.outcome else None
        return (isinstance(exc, _Throttled) and exc.retry_after is not None
                and exc.retry_after > self.max_retry_after)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        status = exc.status if isinstance(exc, TmdbError) else type(exc).__name__
        logger.info("tmdb_retry", extra={
            "attempt": state.attempt_number, "status": status,
            "wait_seconds": round(state.upcoming_sleep, 3),
            "url": self._scrub(exc.url) if isinstance(exc, TmdbError) else ""})

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(retry=retry_if_exception(_retryable), reraise=True,
                             stop=self._stop, wait=self._wait, before_sleep=self._before_sleep)

    def _transport_error(self, url: str, exc: httpx.TransportError) -> TmdbError:
        detail = self._scrub(f"{type(exc).__name__}: {exc}")
        return TmdbError(0, detail, url=url,
                         message=f"TMDB unreachable for {url} after {self.attempts} attempts: "
                                 f"{detail}")

    async def _get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.api_url}{path}"
        try:
            response: httpx.Response = await self._retrying()(self._get_once, url, params)
        except httpx.TransportError as exc:
            raise self._transport_error(url, exc) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TmdbError(response.status_code, self._scrub(response.text), url=url,
                            message=f"TMDB answered {url} with something other than an object")
        return body

    async def _get_once(self, url: str, params: dict[str, str]) -> httpx.Response:
        async with self._slots:
            await self.limiter.acquire()
            self.stats.requests += 1
            response = await self.http.get(url, params={**params, **self._params},
                                           headers=self._headers)
        if response.status_code >= 400:
            raise self._error(response, url)
        return response

    def _error(self, response: httpx.Response, url: str) -> TmdbError:
        status, body = response.status_code, self._scrub(response.text)
        if status == 429:
            self.stats.throttled += 1
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                self.limiter.pause(min(retry_after, self.max_retry_after))
            return _Throttled(body, url=url, retry_after=retry_after)
        if status == 404:
            return TmdbNotFound(status, body, url=url)
        if status == 401:
            return TmdbAuthError(status, body, url=url,
                                 message=f"TMDB refused the credentials (401) for {url}: "
                                         f"{body[:300]}")
        return TmdbError(status, body, url=url)

    async def _download_once(self, url: str, partial: Path, day: date) -> None:
        self.stats.requests += 1
        async with self.http.stream("GET", url) as response:
            if response.status_code >= 400:
                text = self._scrub((await response.aread()).decode("utf-8", "replace"))
                if response.status_code == 404:
                    raise TmdbNotFound(404, text, url=url, message=(
                        f"no export for {day.isoformat()} at {url} (TMDB publishes each day's "
                        "export around 08:00 UTC)"))
                if response.status_code == 429:
                    self.stats.throttled += 1
                    raise _Throttled(text, url=url, retry_after=parse_retry_after(
                        response.headers.get("Retry-After")))
                raise TmdbError(response.status_code, text, url=url)
            with partial.open("wb") as out:
                async for chunk in response.aiter_raw(1 << 20):
                    out.write(chunk)
