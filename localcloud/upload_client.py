"""A client of Notflix's resumable upload API: a file goes to S3 in parts, straight from here.

The API starts a multipart upload (it fixes the part size), signs ``UploadPart`` URLs in
batches, lists the parts S3 already holds and completes the upload; the bytes go from this
process to S3, ``parallel`` parts at a time (4 by default). Each part is read from the file
at its offset and streamed in small chunks, so memory holds at most a chunk per part in
flight, never the file.

Failures:

- A connection error, a timeout, a 5xx or a 429, from the API or from S3, is retried with
  exponential back-off and full jitter (``tenacity``) for up to ``RetryPolicy.max_seconds``
  (10 minutes) per part or per API call: a network that drops for minutes is survived.
  Every retry is reported to ``on_retry``.
- S3 answers 403 to a URL that has expired: the part is signed again and sent at once.
  URLs are also signed again before they get close to expiring.
- Any other 4xx from the API raises :class:`ApiError` with the API's own message; from S3,
  :class:`PartRejected` with S3's.
- A completion whose answer was lost is sent again; the API then answers 409
  ``upload_already_completed``, and the upload's status decides: completed is done.

Resuming: the API keeps each upload's file name, size and last-modified time (ms). A new
run looks for an unfinished upload of the same file (and the same title and episode), asks
which parts S3 holds, and sends only the others. Stopping (the ``stop`` event, Ctrl-C)
abandons the parts in flight: what they had sent is the only work lost, at most one part
per part in flight.

One :class:`UploadClient` runs one upload at a time.
"""

from __future__ import annotations

import concurrent.futures
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from chalicelib.uploads.parts import expected_part_bytes

DEFAULT_PARALLEL = 4
#: Bytes read from the file and written to the socket at a time.
CHUNK_BYTES = 256 * 1024
#: Part URLs signed per request (the API's limit): a 1 GiB file needs two requests. URLs
#: that would expire before their part's turn (a slow link) are signed again when needed.
SIGN_BATCH = 100
#: A URL this close to its expiry is signed again before it is used.
RESIGN_MARGIN_S = 60.0
#: S3 answering 403 to a URL signed less than this long ago is a refusal, not an expiry.
FRESH_URL_S = 30.0
#: Encode job states after which nothing changes any more.
FINAL_STATES = frozenset({"PUBLISHED", "FAILED", "CANCELLED"})
UPLOADS = "/api/admin/uploads"


# -- errors ------------------------------------------------------------------------------------
class UploadError(Exception):
    """The upload cannot go on; the message says why."""


class ApiError(UploadError):
    """A 4xx answer of the API, with its error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = str(error.get("code") or f"http_{response.status_code}")
        message = str(error.get("message") or response.reason_phrase or "refused")
        return cls(response.status_code, code, message)


class PartRejected(UploadError):
    """S3 refused a part for a reason sending it again will not fix."""


class UploadInterrupted(UploadError):
    """Stopped (the stop event or Ctrl-C) before completing; running again resumes."""

    def __init__(self, plan: UploadPlan | None, sent_bytes: int, parts_done: int) -> None:
        super().__init__("interrupted")
        self.plan = plan
        self.sent_bytes = sent_bytes
        self.parts_done = parts_done


class _Transient(Exception):
    """An answer worth trying again later (5xx, 429, an upload being completed)."""


class _UrlExpired(Exception):
    """S3 refused a part's URL as expired: sign it again."""


def is_transient(error: BaseException) -> bool:
    return isinstance(error, httpx.TransportError | _Transient | _UrlExpired)


def describe(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({type(error).__name__})"
    if isinstance(error, httpx.TransportError):
        return f"connection lost ({type(error).__name__}: {error})" if str(error) else (
            f"connection lost ({type(error).__name__})")
    return str(error)


# -- what is uploaded --------------------------------------------------------------------------
@dataclass(frozen=True)
class LocalFile:
    path: Path
    name: str
    size: int
    last_modified: int  # ms since 1970, what a resuming run matches on
    content_type: str

    @classmethod
    def of(cls, path: Path) -> LocalFile:
        stat = path.stat()
        guessed = mimetypes.guess_type(path.name)[0]
        return cls(path=path, name=path.name, size=stat.st_size,
                   last_modified=stat.st_mtime_ns // 1_000_000,
                   content_type=guessed or "application/octet-stream")


@dataclass(frozen=True)
class UploadPlan:
    """What this run sends: every part S3 does not hold yet."""

    upload_id: str
    key: str
    status_url: str
    size: int
    part_size: int
    part_count: int
    missing: tuple[int, ...]
    resumed_parts: int = 0
    resumed_bytes: int = 0
    #: ETags of the parts S3 already held.
    held: Mapping[int, str] = field(default_factory=dict, compare=False)

    @property
    def resumed(self) -> bool:
        return self.resumed_parts > 0


@dataclass(frozen=True)
class RetryNotice:
    """One failed attempt about to be tried again after ``delay`` seconds."""

    what: str  # "part 7", "sign", "complete", ...
    attempt: int
    error: str
    delay: float
    connection_lost: bool


@dataclass(frozen=True)
class UploadResult:
    plan: UploadPlan
    sent_bytes: int  # put on the wire by this run, failed attempts included
    sent_parts: int
    retries: int
    upload: dict[str, Any]  # the completed upload, or its status after a lost answer


@dataclass(frozen=True)
class RetryPolicy:
    max_seconds: float = 600.0  # per part or API call
    first_delay: float = 0.5
    max_delay: float = 30.0
    max_attempts: int | None = None

    def stop(self) -> stop_base:
        by_time = stop_after_delay(self.max_seconds)
        if self.max_attempts is None:
            return by_time
        return by_time | stop_after_attempt(self.max_attempts)


def parse_rate(text: str) -> float:
    """``"20M"`` -> 20 MiB/s in bytes per second; K, M and G suffixes (powers of 1024)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a rate: {text!r} (e.g. 500K, 20M, 1G bytes per second)")
    scale = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2).upper()]
    return float(match.group(1)) * scale


# -- internals -----------------------------------------------------------------------------------
@dataclass
class _Counters:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent_bytes: int = 0
    sent_parts: int = 0
    retries: int = 0

    def add(self, sent_bytes: int = 0, sent_parts: int = 0, retries: int = 0) -> None:
        with self.lock:
            self.sent_bytes += sent_bytes
            self.sent_parts += sent_parts
            self.retries += retries


class _Pacer:
    """Keeps the bytes sent by all threads under ``rate`` bytes per second."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        self.rate = rate
        self.stop = stop
        self.lock = threading.Lock()
        self.next_free = time.monotonic()

    def take(self, amount: int) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_free)
            self.next_free = start + amount / self.rate
        if start > now and self.stop.wait(start - now):
            raise _Stopped


class _Stopped(Exception):
    """Raised inside a worker when the upload is being stopped."""


@dataclass
class _Signed:
    url: str
    signed_at: float
    expires_at: float


# -- the client ----------------------------------------------------------------------------------
class UploadClient:
    def __init__(self, api_url: str, token: str, *, parallel: int = DEFAULT_PARALLEL,
                 policy: RetryPolicy | None = None, max_rate: float | None = None,
                 transport: httpx.BaseTransport | None = None,
                 s3_transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout | None = None,
                 on_retry: Callable[[RetryNotice], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.api_url = api_url.rstrip("/")
        self.parallel = parallel
        self.policy = policy or RetryPolicy()
        self.max_rate = max_rate
        self.on_retry = on_retry
        self.clock = clock
        timeout = timeout or httpx.Timeout(60.0, connect=10.0)
        self.api = httpx.Client(base_url=self.api_url, timeout=timeout, transport=transport,
                                headers={"Authorization": f"Bearer {token}"})
        # no Authorization header here: a presigned URL is its own authentication
        self.s3 = httpx.Client(timeout=timeout, transport=s3_transport or transport,
                               limits=httpx.Limits(max_connections=parallel * 2,
                                                   max_keepalive_connections=parallel))
        self._stop = threading.Event()
        self._counters = _Counters()
        self._urls: dict[int, _Signed] = {}
        self._urls_lock = threading.Lock()
        self._plan: UploadPlan | None = None
        self._pacer: _Pacer | None = None

    def close(self) -> None:
        self.api.close()
        self.s3.close()

    def __enter__(self) -> UploadClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def login(api_url: str, email: str, password: str,
              transport: httpx.BaseTransport | None = None) -> str:
        """A session token for ``email``; :class:`ApiError` with the API's message if refused."""
        with httpx.Client(base_url=api_url.rstrip("/"), timeout=30,
                          transport=transport) as http:
            response = http.post("/api/auth/login", json={"email": email, "password": password})
        if response.status_code != 200:
            raise ApiError.of(response)
        return str(response.json()["token"])

    # -- API calls -------------------------------------------------------------------------------
    def _retrying(self, what: str) -> Retrying:
        backoff = wait_random_exponential(multiplier=self.policy.first_delay,
                                          max=self.policy.max_delay)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return 0.0 if isinstance(error, _UrlExpired) else float(backoff(state))

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if error is None or isinstance(error, _UrlExpired):
                return
            self._counters.add(retries=1)
            if self.on_retry is not None:
                delay = state.next_action.sleep if state.next_action else 0.0
                self.on_retry(RetryNotice(what, state.attempt_number, describe(error),
                                          float(delay),
                                          isinstance(error, httpx.TransportError)))

        return Retrying(stop=self.policy.stop(), wait=wait, retry=retry_if_exception(is_transient),
                        before_sleep=before_sleep, sleep=self._sleep, reraise=True)

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped

    def _call(self, method: str, path: str, what: str, *, json: Any = None,
              params: Mapping[str, str | int] | None = None,
              busy_codes: frozenset[str] = frozenset()) -> dict[str, Any]:
        """One API request, tried again on lost connections, 5xx, 429 and ``busy_codes``."""
        for attempt in self._retrying(what):
            with attempt:
                response = self.api.request(method, path, json=json, params=params)
                if response.status_code >= 500 or response.status_code == 429:
                    raise _Transient(f"the API answered HTTP {response.status_code}")
                if response.status_code >= 400:
                    error = ApiError.of(response)
                    if error.code in busy_codes:
                        raise _Transient(error.message)
                    raise error
                body: dict[str, Any] = response.json()
                return body
        raise AssertionError("unreachable")  # reraise=True: the loop returns or raises

    def start(self, file: LocalFile, title_id: str | None = None,
              episode: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"file_name": file.name, "content_type": file.content_type,
                                "size": file.size, "last_modified": file.last_modified}
        if title_id:
            body["title_id"] = title_id
        if episode:
            body["episode"] = episode
        lost = False
        for attempt in self._retrying("start"):
            with attempt:
                if lost:
                    # the answer to an earlier try may be all that was lost: adopt that upload
                    found = self.find_unfinished(file, title_id, episode)
                    if found is not None:
                        return found
                try:
                    response = self.api.post(UPLOADS, json=body)
                except httpx.TransportError:
                    lost = True
                    raise
                if response.status_code >= 500 or response.status_code == 429:
                    lost = lost or response.status_code >= 500
                    raise _Transient(f"the API answered HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ApiError.of(response)
                started: dict[str, Any] = response.json()
                return started
        raise AssertionError("unreachable")

    def find_unfinished(self, file: LocalFile, title_id: str | None = None,
                        episode: str | None = None) -> dict[str, Any] | None:
        """The newest unfinished upload of this file (name, size, mtime) for this title."""
        found = self._call("GET", UPLOADS, "look for an unfinished upload",
                           params={"file_name": file.name, "size": file.size,
                                   "last_modified": file.last_modified, "state": "UPLOADING"})
        for upload in found.get("uploads", []):
            if (upload.get("title_id") == (title_id or None)
                    and (upload.get("episode") or "").upper() == (episode or "").upper()
                    and int(upload["size"]) == file.size):
                return dict(upload)
        return None

    def find_completed(self, file: LocalFile, title_id: str | None = None,
                       episode: str | None = None) -> dict[str, Any] | None:
        """The newest completed upload of this file (name, size, mtime) for this title: a
        run killed after S3 joined the parts but before it heard so finds it here."""
        found = self._call("GET", UPLOADS, "look for a completed upload",
                           params={"file_name": file.name, "size": file.size,
                                   "last_modified": file.last_modified, "state": "COMPLETED"})
        for upload in found.get("uploads", []):
            if (upload.get("title_id") == (title_id or None)
                    and (upload.get("episode") or "").upper() == (episode or "").upper()):
                return dict(upload)
        return None

    def stored_parts(self, upload_id: str) -> dict[int, tuple[str, int]]:
        """Part number -> (ETag, size) of the parts S3 holds."""
        listed = self._call("GET", f"{UPLOADS}/{upload_id}/parts", "list the parts")
        return {int(p["part_number"]): (str(p["etag"]), int(p["size"]))
                for p in listed.get("parts", [])}

    def status(self, upload_id: str) -> dict[str, Any]:
        return self._call("GET", f"{UPLOADS}/{upload_id}", "read the status")

    def abort(self, upload_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"{UPLOADS}/{upload_id}", "abort")

    def follow(self, upload_id: str, *, interval: float = 1.0,
               timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The upload's status every ``interval`` seconds until its encode job ends (the last
        one yielded has a final state) or ``timeout`` passes."""
        deadline = None if timeout is None else self.clock() + timeout
        while True:
            status = self.status(upload_id)
            yield status
            if status.get("state") in FINAL_STATES or status.get("upload_state") == "ABORTED":
                return
            if deadline is not None and self.clock() >= deadline:
                return
            self._sleep(interval)

    # -- signing -----------------------------------------------------------------------------
    def _url(self, upload_id: str, number: int, order: tuple[int, ...]) -> _Signed:
        """A usable URL for part ``number``; signs it, with the next parts needing one."""
        with self._urls_lock:
            now = self.clock()
            signed = self._urls.get(number)
            if signed is not None and signed.expires_at - now > RESIGN_MARGIN_S:
                return signed
            wanted = [number]
            start = order.index(number) + 1 if number in order else len(order)
            for other in order[start:]:
                if len(wanted) >= SIGN_BATCH:
                    break
                held = self._urls.get(other)
                if held is None or held.expires_at - now <= RESIGN_MARGIN_S:
                    wanted.append(other)
            answer = self._call("POST", f"{UPLOADS}/{upload_id}/parts", "sign part URLs",
                                json={"part_numbers": wanted})
            expires_at = now + float(answer.get("expires_in", 900))
            for entry in answer["urls"]:
                self._urls[int(entry["part_number"])] = _Signed(str(entry["url"]), now,
                                                                expires_at)
            return self._urls[number]

    def _forget_url(self, number: int) -> None:
        with self._urls_lock:
            self._urls.pop(number, None)

    # -- sending parts -------------------------------------------------------------------------
    def _send_part(self, file: LocalFile, plan: UploadPlan, number: int,
                   on_progress: Callable[[int], None]) -> str:
        """Send one part until S3 takes it; its ETag."""
        if self._stop.is_set():
            raise _Stopped
        for attempt in self._retrying(f"part {number}"):
            with attempt:
                signed = self._url(plan.upload_id, number, plan.missing)
                try:
                    return self._put(file, plan, number, signed, on_progress)
                except _UrlExpired:
                    self._forget_url(number)
                    raise
        raise AssertionError("unreachable")

    def _put(self, file: LocalFile, plan: UploadPlan, number: int, signed: _Signed,
             on_progress: Callable[[int], None]) -> str:
        size = expected_part_bytes(plan.size, plan.part_size, number)
        offset = (number - 1) * plan.part_size
        pacer = self._pacer
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            with file.path.open("rb") as source:
                source.seek(offset)
                left = size
                while left:
                    if self._stop.is_set():
                        raise _Stopped
                    chunk = source.read(min(CHUNK_BYTES, left))
                    if not chunk:
                        raise UploadError(f"{file.path} is shorter than when the upload "
                                          "started; it changed, so upload it again")
                    if pacer is not None:
                        pacer.take(len(chunk))
                    left -= len(chunk)
                    sent += len(chunk)
                    self._counters.add(sent_bytes=len(chunk))
                    on_progress(len(chunk))
                    yield chunk

        try:
            response = self.s3.put(signed.url, content=body(),
                                   headers={"Content-Length": str(size)})
        except BaseException:
            on_progress(-sent)  # the bar shows what S3 has
            raise
        if response.status_code == 200 and response.headers.get("ETag"):
            self._counters.add(sent_parts=1)
            return str(response.headers["ETag"])
        on_progress(-sent)
        status = response.status_code
        code, message = s3_error(response.text)
        if status >= 500 or status == 429:
            raise _Transient(f"S3 answered HTTP {status} {code}".strip())
        if status == 403 and self.clock() - signed.signed_at > FRESH_URL_S:
            raise _UrlExpired(message or code)
        raise PartRejected(f"S3 refused part {number} (HTTP {status} {code}: "
                           f"{message or 'no message'})")

    # -- the whole upload ----------------------------------------------------------------------
    def prepare(self, file: LocalFile, title_id: str | None = None,
                episode: str | None = None, resume: bool = True) -> UploadPlan:
        """Resume this file's unfinished upload, or start one; what is left to send."""
        upload = self.find_unfinished(file, title_id, episode) if resume else None
        stored: dict[int, tuple[str, int]] = {}
        if upload is not None:
            try:
                stored = self.stored_parts(str(upload["upload_id"]))
            except ApiError as exc:
                if exc.code not in ("upload_aborted", "upload_not_found",
                                    "upload_already_completed", "upload_completing"):
                    raise
                upload = None  # expired or moved on meanwhile: start afresh
        if upload is None:
            upload = self.start(file, title_id, episode)
        size, part_size = int(upload["size"]), int(upload["part_size"])
        count = int(upload["part_count"])
        held = {n: etag for n, (etag, got) in stored.items()
                if 1 <= n <= count and got == expected_part_bytes(size, part_size, n)}
        return UploadPlan(
            upload_id=str(upload["upload_id"]), key=str(upload["key"]),
            status_url=str(upload.get("status_url") or f"{UPLOADS}/{upload['upload_id']}"),
            size=size, part_size=part_size, part_count=count,
            missing=tuple(n for n in range(1, count + 1) if n not in held),
            resumed_parts=len(held),
            resumed_bytes=sum(expected_part_bytes(size, part_size, n) for n in held), held=held)

    def upload(self, path: Path, *, title_id: str | None = None, episode: str | None = None,
               resume: bool = True, stop: threading.Event | None = None,
               on_plan: Callable[[UploadPlan], None] | None = None,
               on_progress: Callable[[int], None] | None = None) -> UploadResult:
        """Send ``path`` (resuming its unfinished upload) and complete it.

        ``on_progress`` gets byte counts as they are sent (negative when a failed attempt's
        bytes are taken back). Setting ``stop``, or Ctrl-C, raises :class:`UploadInterrupted`.
        """
        self._stop = stop or threading.Event()
        self._counters = _Counters()
        self._urls = {}
        self._plan = None
        self._pacer = _Pacer(self.max_rate, self._stop) if self.max_rate else None
        progress = on_progress or (lambda _n: None)
        try:
            file = LocalFile.of(path)
            plan = self._plan = self.prepare(file, title_id, episode, resume)
            if on_plan is not None:
                on_plan(plan)
            etags = dict(plan.held)
            etags.update(self._send_all(file, plan, progress))
            upload = self.complete(plan, etags)
        except (_Stopped, KeyboardInterrupt) as exc:
            self._stop.set()
            raise UploadInterrupted(self._plan, self._counters.sent_bytes,
                                    self._parts_done()) from exc
        return UploadResult(plan=plan, sent_bytes=self._counters.sent_bytes,
                            sent_parts=self._counters.sent_parts,
                            retries=self._counters.retries, upload=upload)

    def _parts_done(self) -> int:
        plan = self._plan
        return (plan.resumed_parts if plan else 0) + self._counters.sent_parts

    def _send_all(self, file: LocalFile, plan: UploadPlan,
                  progress: Callable[[int], None]) -> dict[int, str]:
        etags: dict[int, str] = {}
        if not plan.missing:
            return etags
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.parallel,
                                                     thread_name_prefix="upload-part")
        futures = {pool.submit(self._send_part, file, plan, n, progress): n
                   for n in plan.missing}
        pending = set(futures)
        try:
            while pending:
                if self._stop.is_set():
                    raise _Stopped
                done, pending = concurrent.futures.wait(
                    pending, timeout=0.5, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    etags[futures[future]] = future.result()  # raises the part's failure
        except BaseException:
            self._stop.set()  # the other parts stop at their next chunk
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            # the parts in flight end at their next chunk (a cancelled one never finishes)
            concurrent.futures.wait([f for f in futures if not f.cancelled()], timeout=30)
        return etags

    def complete(self, plan: UploadPlan, etags: Mapping[int, str]) -> dict[str, Any]:
        parts = [{"part_number": n, "etag": etags[n]} for n in range(1, plan.part_count + 1)]
        try:
            return self._call("POST", f"{UPLOADS}/{plan.upload_id}/complete", "complete",
                              json={"parts": parts}, busy_codes=frozenset({"upload_completing"}))
        except ApiError as exc:
            if exc.code != "upload_already_completed":
                raise
            # an earlier try's answer was lost: done if the API says so
            status = self.status(plan.upload_id)
            if status.get("upload_state") != "COMPLETED":
                raise
            return status


def s3_error(text: str) -> tuple[str, str]:
    """(Code, Message) of an S3 XML error body; empty strings when absent."""
    code = re.search(r"<Code>([^<]*)</Code>", text)
    message = re.search(r"<Message>([^<]*)</Message>", text)
    return (code.group(1) if code else "", message.group(1) if message else "")
