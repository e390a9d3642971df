"""Cost model: dollars per 1,000 plays, per encoded minute and per 1,000 subscribers a month.

Measured, against a private embedded stack (moto, redis-server, Neo4j, local PayPal) with the
Chalice app IN this process (``chalice.test.Client``, which runs the same routes and
middleware as API Gateway's proxy integration would):

- every request kind of the user journeys below, ``--samples`` times after one warm-up:
  handler wall time (what Lambda bills, rounded up to 1 ms, at the configured memory from
  ``.chalice/config.json``), peak Python allocation (tracemalloc, a separate pass so it does
  not slow the timed one), every AWS call by service and operation (botocore's
  ``_make_api_call``, which boto3 and pynamodb both go through; see ``bench/cost_meter.py``),
  DynamoDB request units estimated from the items' sizes, bytes logged, bytes answered;
- one real encode of a generated 1080p clip (``--clip-seconds``) by the encoder's own
  pipeline (``encoder_lambda.runtime.pipeline()``): wall time (billed at the 3008 MB and
  10 GB of ephemeral storage of ``infra/encoder.yaml``), its S3, DynamoDB and SQS calls, and
  the bytes it stores; that asset is then what the player journeys play, so the segment
  sizes are the real ladder's and the segment bytes are fetched from the presigned URLs;
- the graph-sync function (``sync_graph``) on the messages the progress posts queued.

Priced with ``bench/aws_prices.toml`` by ``bench/cost_model.py``. Everything NOT measured is
an assumption, all of them in the ASSUMPTIONS block below. The machine is shared and has 2
cores; durations are upper bounds of what Lambda would bill.

Run: ``.venv/bin/python -m bench.cost`` (``--samples 10 --clip-seconds 8`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.cost_meter import AwsCall, AwsMeter, LogMeter, MetricKey, usage_of
from bench.cost_model import (
    FREE_EPHEMERAL_MB,
    GB,
    LineItem,
    Options,
    Prices,
    Usage,
    biggest,
    dollars,
    fixed_monthly,
    lambda_gb_seconds,
    line_items,
    load_prices,
    total,
    with_transfer_tiers,
)

ROOT = Path(__file__).resolve().parent.parent

# == ASSUMPTIONS (not measured; change them here) ==============================================
#: A play: one viewing session of this many minutes (a film's or an episode's sitting).
SESSION_MINUTES = 45.0
#: The player posts progress every 10 s while playing (chalicelib/web/static/js/player.js).
PROGRESS_EVERY_S = 10.0
#: The rung the player streams: the top one (1080p), as dash.js picks on a good connection
#: and a large screen. An upper bound of the bytes; the table shows every rung's GB/hour.
WATCHED_RUNG = "top"
#: Per active subscriber a month.
PLAYS_PER_SUBSCRIBER = 40.0  # 40 x 45 min = 30 hours watched a month
BROWSE_SESSIONS_PER_SUBSCRIBER = 40.0  # one per play
LOGINS_PER_SUBSCRIBER = 2.0  # sessions last; a new device or an expiry now and then
RENEWALS_PER_SUBSCRIBER = 1.0  # PayPal's PAYMENT.SALE.COMPLETED webhook, monthly
#: A browse session: the home page, two title pages, a search page and four
#: search-as-you-type API calls; app.css once (cached an hour).
BROWSE = {"home page (logged in)": 1, "title page": 2, "search page": 1,
          "search API (as you type)": 4, "static: app.css": 1}
#: Static files a play loads besides the stream (cached an hour, so once per play).
PLAY_STATIC = ("static: player.js", "static: dash.all.min.js")
#: Subscribers sharing the always-on parts (Redis node, Neo4j instance, NAT gateway).
SUBSCRIBER_BASE = 10_000
#: Lambda's own START/END/REPORT lines in CloudWatch per invocation, bytes.
PLATFORM_LOG_BYTES = 300
#: A queued message costs its consumer's event source mapping a receive and a delete.
SQS_CONSUMER_REQUESTS_PER_MESSAGE = 2
#: Idle long-polling by Lambda's SQS event source mappings: ~5 pollers, 3 x 20 s polls a
#: minute each, for every queue a function consumes (encode-jobs, imports, graph).
ESM_POLLS_PER_QUEUE_MONTH = 5 * 3 * 60 * 730
POLLED_QUEUES = 3
#: With CloudFront: share of segment requests that miss the edge and GET from S3.
CDN_MISS_RATIO = 0.1
#: S3 sends one event message per upload to the encode-jobs queue.
SQS_SENDS_PER_UPLOAD = 1
#: The source upload is kept (in uploads/, then processed/) this many months.
SOURCE_KEPT_MONTHS = 1.0
NEO4J_VOLUME_GB = 50
# ================================================================================================

SAMPLES = 30
#: Lambda gives one vCPU per 1,769 MB of memory.
MB_PER_VCPU = 1769
CLIP_SECONDS = 20
PASSWORD = "violet-harbour-quiet-42"
MEMORY_SAMPLES = 3


# -- configuration read from the repository ------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    api_mb: int
    graph_mb: int
    encoder_mb: int
    encoder_ephemeral_mb: int


def chalice_setting(config: dict[str, Any], stage: str, function: str, key: str,
                    default: Any) -> Any:
    """A setting as Chalice resolves it: the stage's function, the stage, the function,
    the top level (first found)."""
    staged = config.get("stages", {}).get(stage, {})
    for scope in (staged.get("lambda_functions", {}).get(function, {}), staged,
                  config.get("lambda_functions", {}).get(function, {}), config):
        if key in scope:
            return scope[key]
    return default


def configured_memory() -> Memory:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    api_mb = int(chalice_setting(config, "dev", "api_handler", "lambda_memory_size", 128))
    graph_mb = int(chalice_setting(config, "dev", "sync_graph", "lambda_memory_size", 128))
    encoder = (ROOT / "infra" / "encoder.yaml").read_text()
    memory = re.search(r"^\s*MemorySize:\s*(\d+)", encoder, re.MULTILINE)
    ephemeral = re.search(r"EphemeralStorage:\s*\n\s*Size:\s*(\d+)", encoder)
    if memory is None or ephemeral is None:
        raise RuntimeError("infra/encoder.yaml has no MemorySize or EphemeralStorage Size")
    return Memory(api_mb, graph_mb, int(memory.group(1)), int(ephemeral.group(1)))


# -- the stack and the app in this process -------------------------------------------------------
@contextmanager
def stack_in_process() -> Iterator[Any]:
    """Sidecars on free ports, infra deployed, this process's environment pointed at them;
    yields the app module, imported afterwards so its settings are the stack's."""
    from chalicelib.platform.aws import make_session
    from chalicelib.platform.config import Settings
    from infra.deployer import deploy
    from localcloud.isolation import free_port, unique
    from localcloud.stack import EmbeddedStack

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NOTFLIX_LOCAL_DIR"] = tmp
        env = {**os.environ, "NOTFLIX_AWS_PORT": str(free_port()),
               "NOTFLIX_REDIS_PORT": str(free_port()), "NOTFLIX_NEO4J_PORT": str(free_port()),
               "NOTFLIX_PAYPAL_PORT": str(free_port()), "NOTFLIX_API_PORT": str(free_port()),
               "NOTFLIX_PREFIX": unique("cost-"), "NOTFLIX_LOG_LEVEL": "INFO"}
        stack = EmbeddedStack(env=env, record_pids=False)
        stack.install()
        stack.start_sidecars()
        try:
            os.environ.update(stack.child_env())
            settings = Settings.from_env()
            deploy(settings, make_session(settings))
            import app as app_module

            yield app_module
        finally:
            stack.stop()


# -- measuring requests --------------------------------------------------------------------------
@dataclass
class Kind:
    """One kind of request, measured ``samples`` times."""

    name: str
    memory_mb: int
    api: bool = True  # through API Gateway (False: an event-source invocation)
    durations_ms: list[float] = field(default_factory=list)
    calls: list[AwsCall] = field(default_factory=list)
    log_bytes: int = 0
    response_bytes: int = 0
    peak_alloc: list[int] = field(default_factory=list)
    video_bytes: int = 0  # bytes behind the redirects this kind answered, fetched

    @property
    def samples(self) -> int:
        return len(self.durations_ms)

    def usage(self) -> Usage:
        """What one request of this kind is billed for (means over the samples)."""
        n = self.samples
        per = usage_of(self.calls).scaled(1 / n)
        gb_s = statistics.fmean(lambda_gb_seconds(d, self.memory_mb) for d in self.durations_ms)
        return per + Usage(lambda_invocations=1, lambda_gb_s=gb_s,
                           api_requests=1 if self.api else 0,
                           log_bytes=self.log_bytes / n + PLATFORM_LOG_BYTES,
                           response_bytes=self.response_bytes / n if self.api else 0)


@dataclass
class Meters:
    aws: AwsMeter
    logs: LogMeter

    def reset(self) -> None:
        self.aws.take()
        self.logs.take()


def response_size(response: Any) -> int:
    headers = sum(len(k) + len(str(v)) + 4 for k, v in (response.headers or {}).items())
    return len(response.body or b"") + headers + 17  # + the status line


def measure(kind: Kind, call: Callable[[int], Any], samples: int, meters: Meters,
            check: Callable[[Any], None] | None = None) -> Kind:
    """Time ``call(i)`` ``samples`` times (after one warm-up), metering each; then a short
    tracemalloc pass for the peak allocation."""
    first = call(-1)
    if check is not None:
        check(first)
    for i in range(samples):
        meters.reset()
        started = time.perf_counter()
        response = call(i)
        kind.durations_ms.append((time.perf_counter() - started) * 1000)
        kind.calls += meters.aws.take()
        kind.log_bytes += meters.logs.take()
        if response is not None and kind.api:
            kind.response_bytes += response_size(response)
        if check is not None:
            check(response)
    tracemalloc.start()
    try:
        for i in range(MEMORY_SAMPLES):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            call(samples + i)
            kind.peak_alloc.append(tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()
    meters.reset()
    return kind


def expect(status: int) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        if response.status_code != status:
            raise RuntimeError(f"expected {status}, got {response.status_code}: "
                               f"{response.body[:300]!r}")
    return check


# -- the encode ----------------------------------------------------------------------------------
@dataclass
class Encode:
    clip_seconds: float
    source_bytes: int
    wall_s: float
    cpu_s: float  # ffmpeg children
    child_peak_rss_mb: float
    calls: list[AwsCall]
    log_bytes: int
    asset_id: str
    title_id: str
    output_bytes: int
    files: dict[str, int]  # name -> bytes
    manifest: Any


def encode_clip(app_module: Any, meters: Meters, seconds: int, workdir: Path) -> Encode:
    from bench.encode import make_clip
    from chalicelib.catalogue.titles.records import TitleRecord
    from encoder_lambda.media.binaries import find_tools
    from encoder_lambda.media.mpd import parse
    from encoder_lambda.runtime import pipeline
    from encoder_lambda.s3_events import Upload

    services = app_module.services
    settings = app_module.settings
    s3 = services.resources.s3
    title_id = f"cost-film-{uuid.uuid4().hex[:8]}"
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind="film", name="Cost Film",
                                                  source="generated", year=2024)])
    source = make_clip(find_tools().ffmpeg, workdir / "cost-clip.mp4", seconds,
                       tone_hz=500 + int(time.time()) % 400)
    key = f"uploads/cost-{uuid.uuid4().hex[:8]}.mp4"
    s3.upload_file(str(source), settings.uploads_bucket, key,
                   ExtraArgs={"Metadata": {"title-id": title_id}})
    head = s3.head_object(Bucket=settings.uploads_bucket, Key=key)
    upload = Upload(bucket=settings.uploads_bucket, key=key, size=head["ContentLength"],
                    etag=head["ETag"], event_name="ObjectCreated:Put", event_time="",
                    sequencer="")
    built = pipeline()
    meters.reset()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    outcome = built.process(upload)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    calls = meters.aws.take()
    log_bytes = meters.logs.take()
    if outcome != "PUBLISHED":
        raise RuntimeError(f"the encode ended {outcome}, not PUBLISHED")
    asset = services.catalogue.details(title_id).get("asset") or {}
    asset_id = str(asset.get("asset_id", ""))
    files: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=settings.media_bucket, Prefix=f"media/{asset_id}/"):
        for obj in page.get("Contents", []):
            files[obj["Key"].rsplit("/", 1)[1]] = int(obj["Size"])
    text = s3.get_object(Bucket=settings.media_bucket,
                         Key=f"media/{asset_id}/manifest.mpd")["Body"].read().decode()
    meters.reset()
    return Encode(seconds, int(head["ContentLength"]), wall,
                  (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime),
                  after.ru_maxrss / 1024, calls, log_bytes, asset_id, title_id,
                  sum(files.values()), files, parse(text))


def encode_usage(enc: Encode, memory: Memory) -> Usage:
    """One upload's encode, as billed (the source's storage included)."""
    ms = enc.wall_s * 1000
    aws = usage_of(enc.calls)
    return aws + Usage(
        lambda_invocations=1, lambda_gb_s=lambda_gb_seconds(ms, memory.encoder_mb),
        lambda_ephemeral_gb_s=math.ceil(ms) / 1000
        * max(0, memory.encoder_ephemeral_mb - FREE_EPHEMERAL_MB) / 1024,
        s3_put=1,  # the uploader's PUT of the source (presigned POST)
        s3_bytes_stored=enc.source_bytes * SOURCE_KEPT_MONTHS,
        sqs_requests=SQS_SENDS_PER_UPLOAD * (1 + SQS_CONSUMER_REQUESTS_PER_MESSAGE),
        log_bytes=enc.log_bytes + PLATFORM_LOG_BYTES)


# -- the ladder: which bytes a viewer fetches ----------------------------------------------------
@dataclass(frozen=True)
class Stream:
    video_id: str
    audio_id: str | None
    segment_s: float
    video_bytes_per_s: float
    audio_bytes_per_s: float
    init_bytes: int
    rungs: dict[str, float]  # "1920x1080" -> GB per hour (video + audio)
    segments: list[str]  # the watched rung's and the audio's media segments


def watched_stream(enc: Encode) -> Stream:
    reps = enc.manifest.representations
    videos = sorted((r for r in reps if r.content_type == "video"),
                    key=lambda r: r.bandwidth, reverse=True)
    audios = [r for r in reps if r.content_type == "audio"]
    if not videos:
        raise RuntimeError("the encoded manifest has no video")
    duration = float(enc.manifest.duration_s or enc.clip_seconds)

    def rate(rep: Any) -> float:
        return sum(enc.files.get(s, 0) for s in rep.segments) / duration

    audio = audios[0] if audios else None
    audio_rate = rate(audio) if audio is not None else 0.0
    top = videos[0] if WATCHED_RUNG == "top" else videos[-1]
    durations = [d for d in top.segment_durations if d > 0]
    segment_s = max(durations) if durations else 4.0  # the last one may be short
    init = sum(enc.files.get(r.initialization or "", 0) for r in (top, audio) if r is not None)
    return Stream(top.id, audio.id if audio else None, segment_s, rate(top), audio_rate, init,
                  {f"{v.width}x{v.height}": (rate(v) + audio_rate) * 3600 / GB for v in videos},
                  [*top.segments, *(audio.segments if audio else [])])


# -- the journeys --------------------------------------------------------------------------------
@dataclass
class Measured:
    kinds: dict[str, Kind]
    encode: Encode
    stream: Stream
    fetched_segment_bytes: int
    fetched_segments: int
    peak_rss_mb: float
    metrics: set[MetricKey]  # custom metrics the run's EMF lines created
    route_methods: int  # the app's (route, method) pairs: each gets its own metrics


def run(samples: int, clip_seconds: int) -> Measured:
    from chalice.test import Client

    memory = configured_memory()
    meters = Meters(AwsMeter(), LogMeter(["notflix", "notflix-encoder"]))
    with stack_in_process() as app_module, tempfile.TemporaryDirectory() as tmp:
        from bench.pages import seed_catalogue

        print("seeding the demo catalogue ...", file=sys.stderr)
        seed_catalogue(app_module.settings)
        meters.aws.install()
        meters.logs.install()
        try:
            print(f"encoding a {clip_seconds} s 1080p clip ...", file=sys.stderr)
            enc = encode_clip(app_module, meters, clip_seconds, Path(tmp))
            stream = watched_stream(enc)
            print("measuring the request kinds ...", file=sys.stderr)
            with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as client:
                kinds, fetched = measure_kinds(app_module, client.http, meters, memory, enc,
                                               stream, samples)
        finally:
            meters.logs.uninstall()
            meters.aws.uninstall()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    routes = sum(len(methods) for methods in app_module.app.routes.values())
    return Measured(kinds, enc, stream, fetched[0], fetched[1], peak, set(meters.logs.metrics),
                    routes)


def measure_kinds(app_module: Any, http: Any, meters: Meters, memory: Memory, enc: Encode,
                  stream: Stream, samples: int) -> tuple[dict[str, Kind], tuple[int, int]]:
    from chalicelib.platform.clock import iso
    from localcloud.paypal_sim.pki import ensure_test_pki
    from localcloud.paypal_sim.server import signed_delivery
    from localcloud.sidecars.paypal import pki_dir

    services, settings = app_module.services, app_module.settings
    json_headers = {"Content-Type": "application/json"}
    page_headers = {"Accept": "text/html"}

    def register(name: str) -> tuple[str, str, str]:
        email = f"cost-{name}-{uuid.uuid4().hex[:8]}@example.com"
        made = http.post("/api/auth/register", headers=json_headers, body=json.dumps({
            "email": email, "password": PASSWORD, "display_name": "Cost Bench"}))
        expect(201)(made)
        return email, made.json_body["token"], made.json_body["user"]["id"]

    email, token, user_id = register("viewer")
    subscription_id = f"I-COST{uuid.uuid4().hex[:10].upper()}"
    services.payments.subscriptions.ensure_pending(subscription_id, user_id, "standard")
    services.payments.subscriptions.apply_state(subscription_id, "active", iso())
    bearer = {"Authorization": f"Bearer {token}"}
    title, asset = enc.title_id, enc.asset_id
    films = [t["id"] for t in http.get("/api/titles?type=film&limit=20").json_body["titles"]]
    terms = ("star", "the", "love", "night", "man", "war", "day", "girl")
    kinds: dict[str, Kind] = {}
    api_mb = memory.api_mb

    def add(name: str, call: Callable[[int], Any], status: int = 200,
            n: int = samples) -> Kind:
        kinds[name] = measure(Kind(name, api_mb), call, n, meters, expect(status))
        return kinds[name]

    # -- a play -----------------------------------------------------------------------------------
    add("watch page", lambda i: http.get(f"/watch/{title}", headers={**bearer, **page_headers}))
    add("play (entitlement, resume point)",
        lambda i: http.get(f"/api/titles/{title}/play", headers=bearer))
    add("manifest.mpd (served by the API)",
        lambda i: http.get(f"/stream/{asset}/manifest.mpd", headers=bearer))
    if "thumbnails.vtt" in enc.files:
        add("thumbnails.vtt (served by the API)",
            lambda i: http.get(f"/stream/{asset}/thumbnails.vtt", headers=bearer))
    fetched = [0, 0]

    def segment(i: int) -> Any:
        name = stream.segments[i % len(stream.segments)]
        return http.get(f"/stream/{asset}/{name}", headers=bearer)

    seg = add("segment redirect (302 to S3)", segment, status=302)
    # the bytes behind the redirects, as the player fetches them (outside the timed part)
    for i in range(len(stream.segments)):
        location = segment(i).headers["Location"]
        got = httpx.get(location, timeout=30)
        got.raise_for_status()
        fetched[0] += len(got.content)
        fetched[1] += 1
    meters.reset()
    seg.video_bytes = fetched[0]
    duration = float(enc.manifest.duration_s or enc.clip_seconds)

    def progress(play_id: str, position: float) -> Any:
        return http.post("/api/me/progress", headers={**bearer, **json_headers},
                         body=json.dumps({"title_id": title, "position_s": position,
                                          "duration_s": duration, "play_id": play_id}))

    add("progress post, first of a play", lambda i: progress(uuid.uuid4().hex, 1.0))
    steady = uuid.uuid4().hex
    add("progress post, while playing",
        lambda i: progress(steady, min(duration * 0.8, 2.0 + (i + 1) % 50 * 0.01)))
    for name in PLAY_STATIC:
        path = {"static: player.js": "/static/js/player.js",
                "static: dash.all.min.js": "/static/vendor/dash.all.min.js"}[name]
        if (ROOT / "chalicelib" / "web" / path.lstrip("/")).exists():
            add(name, static_getter(http, path))
    # -- the graph-sync function on what the progress posts queued ---------------------------------
    kinds["graph sync (SQS, one message)"] = graph_sync(app_module, meters, memory, samples)
    # -- browsing ----------------------------------------------------------------------------------
    add("home page (logged in)", lambda i: http.get("/", headers={**bearer, **page_headers}))
    add("title page", lambda i: http.get(f"/titles/{films[i % len(films)]}",
                                         headers={**bearer, **page_headers}))
    add("search page", lambda i: http.get(f"/search?q={terms[i % len(terms)]}",
                                          headers={**bearer, **page_headers}))
    add("search API (as you type)",
        lambda i: http.get(f"/api/search?q={terms[i % len(terms)][:2 + i % 3]}",
                           headers=bearer))
    add("static: app.css", lambda i: http.get("/static/app.css"))
    # -- login -------------------------------------------------------------------------------------
    add("login", lambda i: http.post("/api/auth/login", headers=json_headers,
                                     body=json.dumps({"email": email, "password": PASSWORD})),
        n=max(5, samples // 3))
    # -- the monthly renewal webhook ---------------------------------------------------------------
    pki = ensure_test_pki(pki_dir())
    cert_url = f"{settings.paypal_base_url}/certs/webhook-chain.pem"

    def renewal(i: int) -> Any:
        stamp = iso()
        body, headers = signed_delivery({
            "id": f"WH-{uuid.uuid4().hex[:16]}", "event_version": "1.0", "create_time": stamp,
            "resource_type": "sale", "event_type": "PAYMENT.SALE.COMPLETED",
            "resource": {"id": f"SALE-{uuid.uuid4().hex[:12]}", "state": "completed",
                         "amount": {"total": "9.99", "currency": "EUR"},
                         "billing_agreement_id": subscription_id, "create_time": stamp,
                         "update_time": stamp}},
            webhook_id=settings.paypal_webhook_id, cert_url=cert_url, pki=pki)
        return http.post("/webhooks/paypal", headers={**headers,
                                                      "Content-Type": "application/json"},
                         body=body)

    add("PayPal webhook (monthly renewal)", renewal)
    return kinds, (fetched[0], fetched[1])


def static_getter(http: Any, path: str) -> Callable[[int], Any]:
    return lambda i: http.get(path)


def graph_sync(app_module: Any, meters: Meters, memory: Memory, samples: int) -> Kind:
    """``sync_graph`` invoked as the SQS event source would, one message a batch."""
    settings = app_module.settings
    sqs = app_module.services.resources.sqs
    url = sqs.get_queue_url(QueueName=settings.graph_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  VisibilityTimeout=600).get("Messages", [])
        if not got:
            break
        messages += got
    if not messages:
        raise RuntimeError("the progress posts queued no graph messages")
    kind = Kind("graph sync (SQS, one message)", memory.graph_mb, api=False)

    def invoke(i: int) -> None:
        message = messages[i % len(messages)]
        record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                  "body": message["Body"], "attributes": message.get("Attributes", {}),
                  "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
                  "eventSource": "aws:sqs", "eventSourceARN": arn,
                  "awsRegion": settings.region}
        app_module.sync_graph({"Records": [record]}, None)

    return measure(kind, invoke, min(samples, 3 * len(messages)), meters)


# -- composing journeys --------------------------------------------------------------------------
def per_play(m: Measured) -> tuple[Usage, dict[str, float]]:
    """One play: its requests (counts from the assumptions) and the bytes watched."""
    session_s = SESSION_MINUTES * 60
    segments = session_s / m.stream.segment_s
    tracks = 2 if m.stream.audio_id else 1
    counts = {
        "watch page": 1.0,
        "play (entitlement, resume point)": 1.0,
        "manifest.mpd (served by the API)": 1.0,
        "thumbnails.vtt (served by the API)": 1.0,
        # init segments + media segments of the video and audio tracks, + the poster
        "segment redirect (302 to S3)": tracks * (segments + 1) + 1,
        "progress post, first of a play": 1.0,
        "progress post, while playing": max(0.0, session_s / PROGRESS_EVERY_S - 1),
        **{name: 1.0 for name in PLAY_STATIC},
    }
    counts = {k: v for k, v in counts.items() if k in m.kinds}
    first = m.kinds["progress post, first of a play"]
    sends = sum(1 for c in first.calls if c.name.startswith("sqs.SendMessage")) / first.samples
    counts["graph sync (SQS, one message)"] = sends
    usage = total(m.kinds[name].usage().scaled(count) for name, count in counts.items())
    video = (session_s * (m.stream.video_bytes_per_s + m.stream.audio_bytes_per_s)
             + m.stream.init_bytes)
    usage = usage + Usage(video_bytes=video, video_requests=tracks * (segments + 1) + 1,
                          sqs_requests=sends * SQS_CONSUMER_REQUESTS_PER_MESSAGE)
    return usage, counts


def per_browse(m: Measured) -> Usage:
    return total(m.kinds[name].usage().scaled(n) for name, n in BROWSE.items())


def per_encoded_minute(m: Measured, memory: Memory) -> Usage:
    return encode_usage(m.encode, memory).scaled(60 / m.encode.clip_seconds)


def per_subscriber_month(m: Measured) -> Usage:
    play, _ = per_play(m)
    return (play.scaled(PLAYS_PER_SUBSCRIBER)
            + per_browse(m).scaled(BROWSE_SESSIONS_PER_SUBSCRIBER)
            + m.kinds["login"].usage().scaled(LOGINS_PER_SUBSCRIBER)
            + m.kinds["PayPal webhook (monthly renewal)"].usage().scaled(RENEWALS_PER_SUBSCRIBER))


def custom_metrics(m: Measured) -> tuple[int, float]:
    """(custom metrics the run created, the estimate once every route has had traffic)."""
    by_route = [k for k in m.metrics if any(d == "route" for d, _ in k[2])]
    routes = {tuple(v for d, v in k[2] if d in ("route", "method")) for k in by_route}
    per_route = len(by_route) / len(routes) if routes else 0.0
    return len(m.metrics), len(m.metrics) - len(by_route) + per_route * m.route_methods


def fixed_lines(prices: Prices, m: Measured) -> list[LineItem]:
    polls = ESM_POLLS_PER_QUEUE_MONTH * POLLED_QUEUES
    _, metrics = custom_metrics(m)
    return [*fixed_monthly(prices, NEO4J_VOLUME_GB),
            LineItem(f"SQS idle polling ({POLLED_QUEUES} queues)", polls, "requests",
                     prices["sqs_requests"].cost(polls)),
            LineItem("CloudWatch custom metrics (EMF, every route)", metrics, "metrics",
                     prices["cloudwatch_custom_metric_month"].cost(metrics))]


# -- printing ------------------------------------------------------------------------------------
def money(value: float) -> str:
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def print_lines(title: str, lines: list[LineItem]) -> float:
    shown = [line for line in lines if line.dollars > 0 or line.quantity > 0]
    grand = dollars(lines)
    print(f"\n{title}")
    print(f"  {'line item':<44} {'quantity':>16} {'unit':<12} {'cost':>11} {'share':>6}")
    for line in sorted(shown, key=lambda item: -item.dollars):
        share = line.dollars / grand * 100 if grand else 0
        print(f"  {line.name:<44} {line.quantity:>16,.3f} {line.unit:<12} "
              f"{money(line.dollars):>11} {share:5.1f}%")
    print(f"  {'TOTAL':<44} {'':>16} {'':<12} {money(grand):>11}")
    return grand


def print_measured(m: Measured, memory: Memory) -> None:
    print(f"\nMEASURED (n timed requests of each kind after one warm-up; Lambda "
          f"memory from .chalice/config.json: API {memory.api_mb} MB, graph sync "
          f"{memory.graph_mb} MB)")
    print(f"  {'request kind':<38} {'n':>3} {'p50 ms':>7} {'mean ms':>8} {'alloc KiB':>9} "
          f"{'log B':>6} {'resp B':>8} {'RRU':>6} {'WRU':>5}  AWS calls per request")
    for kind in m.kinds.values():
        n = kind.samples
        usage = kind.usage()
        calls: dict[str, float] = {}
        for call in kind.calls:
            calls[call.name] = calls.get(call.name, 0) + 1 / n
        text = ", ".join(f"{k} {v:.2g}" for k, v in sorted(calls.items())) or "-"
        print(f"  {kind.name:<38} {n:>3} {statistics.median(kind.durations_ms):7.1f} "
              f"{statistics.fmean(kind.durations_ms):8.1f} "
              f"{max(kind.peak_alloc or [0]) / 1024:9.0f} {kind.log_bytes / n:6.0f} "
              f"{usage.response_bytes:8,.0f} {usage.dynamodb_rru:6.2f} "
              f"{usage.dynamodb_wru:5.2f}  {text}")
    enc = m.encode
    print(f"\n  encode of a {enc.clip_seconds:g} s 1080p30 clip ({enc.source_bytes / 1e6:.1f} MB "
          f"source): {enc.wall_s:.1f} s wall, {enc.cpu_s:.1f} s ffmpeg CPU, ffmpeg peak RSS "
          f"{enc.child_peak_rss_mb:,.0f} MB; billed at {memory.encoder_mb} MB + "
          f"{memory.encoder_ephemeral_mb} MB ephemeral")
    counts: dict[str, int] = {}
    for call in enc.calls:
        counts[call.name] = counts.get(call.name, 0) + 1
    print("  its AWS calls: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"  output: {len(enc.files)} files, {enc.output_bytes / 1e6:.1f} MB "
          f"({enc.output_bytes / enc.clip_seconds * 60 / 1e6:.0f} MB per source minute)")
    s = m.stream
    print("  ladder (video + audio, GB per hour watched): "
          + ", ".join(f"{k} {v:.2f}" for k, v in s.rungs.items()))
    print(f"  watched rung {s.video_id} ({WATCHED_RUNG}): {s.video_bytes_per_s * 8 / 1e3:,.0f} "
          f"kb/s video + {s.audio_bytes_per_s * 8 / 1e3:,.0f} kb/s audio; segments of "
          f"{s.segment_s:g} s; fetched through the redirects: {m.fetched_segments} segments, "
          f"{m.fetched_segment_bytes / 1e6:.2f} MB")
    print(f"  this process's peak RSS (app + SDKs + bench): {m.peak_rss_mb:,.0f} MB")
    seen, every = custom_metrics(m)
    print(f"  CloudWatch custom metrics created by the run's EMF lines: {seen}; with traffic on "
          f"all {m.route_methods} route/method pairs: ~{every:,.0f}")


def report(m: Measured, prices: Prices, memory: Memory) -> dict[str, float]:
    options = Options(cdn_miss_ratio=CDN_MISS_RATIO)
    print_measured(m, memory)
    print(f"\nPRICES: {prices.region}, {prices.as_published} (bench/aws_prices.toml)")
    print(f"ASSUMPTIONS: a play = {SESSION_MINUTES:g} min watched at the {WATCHED_RUNG} rung, "
          f"progress every {PROGRESS_EVERY_S:g} s; a subscriber a month = "
          f"{PLAYS_PER_SUBSCRIBER:g} plays, {BROWSE_SESSIONS_PER_SUBSCRIBER:g} browse sessions, "
          f"{LOGINS_PER_SUBSCRIBER:g} logins, {RENEWALS_PER_SUBSCRIBER:g} renewal webhook; "
          f"fixed costs shared by {SUBSCRIBER_BASE:,} subscribers; CDN miss ratio "
          f"{CDN_MISS_RATIO:g}; x86 Lambda, REST API")

    play, counts = per_play(m)
    print("\nA play's requests: " + ", ".join(f"{k} x{v:,.1f}" for k, v in counts.items()))
    play_lines = line_items(play.scaled(1000), prices, options)
    per_1000_plays = print_lines("COST PER 1,000 PLAYS (video through CloudFront)", play_lines)
    as_built = dollars(line_items(play.scaled(1000), prices,
                                  Options(cloudfront=False, cdn_miss_ratio=CDN_MISS_RATIO)))
    print(f"  as built today (302 to presigned S3 URLs, S3 transfer rates): {money(as_built)}")

    minute = per_encoded_minute(m, memory)
    per_minute = print_lines("COST PER ENCODED MINUTE (encode + a month of storage)",
                             line_items(minute, prices, options))
    vcpus = memory.encoder_mb / MB_PER_VCPU
    floor_s = m.encode.cpu_s / vcpus
    compute = prices["lambda_gb_second_x86"].cost(
        lambda_gb_seconds(floor_s * 1000, memory.encoder_mb) * 60 / m.encode.clip_seconds)
    print(f"  (billed on this shared machine's wall time, {m.encode.wall_s:.1f} s; ffmpeg's "
          f"{m.encode.cpu_s:.1f} CPU-s on the {vcpus:.2f} vCPUs of {memory.encoder_mb} MB "
          f"would take {floor_s:.1f} s: compute {money(compute)} a minute, a floor)")

    sub = per_subscriber_month(m).scaled(1000)
    share = 1000 / SUBSCRIBER_BASE
    monthly_gb = sub.video_bytes / GB / share
    variable = with_transfer_tiers(line_items(sub, prices, options), prices, monthly_gb, share)
    fixed = [LineItem(f"fixed: {line.name}", line.quantity * share, line.unit,
                      line.dollars * share) for line in fixed_lines(prices, m)]
    subscriber_lines = variable + fixed
    per_1000_subs = print_lines(
        f"COST PER 1,000 ACTIVE SUBSCRIBERS A MONTH (fixed costs: {share:.0%} of the "
        f"service's; CloudFront at the volume tiers of {monthly_gb / 1024:,.0f} TB a month)",
        subscriber_lines)
    top = biggest(subscriber_lines)
    top_other = biggest(subscriber_lines, transfer=False)
    top_play = biggest(play_lines, transfer=False)
    print(f"\nBIGGEST COST: {top.name} ({money(top.dollars)} of {money(per_1000_subs)} per "
          f"1,000 subscribers a month, {top.dollars / per_1000_subs:.0%})")
    print(f"BIGGEST NON-TRANSFER COST: {top_other.name} ({money(top_other.dollars)}, "
          f"{top_other.dollars / per_1000_subs:.0%}); per play: {top_play.name}")
    whatifs(play, prices, m)
    return {"per_1000_plays": per_1000_plays, "per_encoded_minute": per_minute,
            "per_1000_subscribers": per_1000_subs}


def whatifs(play: Usage, prices: Prices, m: Measured) -> None:
    """What the design's choices cost, per 1,000 plays (the model's own numbers)."""
    base = dollars(line_items(play.scaled(1000), prices, Options(cdn_miss_ratio=CDN_MISS_RATIO)))
    seg = m.kinds["segment redirect (302 to S3)"].usage()
    _, counts = per_play(m)
    redirects = seg.scaled(counts["segment redirect (302 to S3)"] * 1000)
    no_redirects = dollars(line_items(play.scaled(1000) + redirects.scaled(-1), prices,
                                      Options(cdn_miss_ratio=CDN_MISS_RATIO)))
    rows = {
        "as measured": base,
        "HTTP API instead of REST": dollars(line_items(
            play.scaled(1000), prices, Options(http_api=True, cdn_miss_ratio=CDN_MISS_RATIO))),
        "arm64 Lambda": dollars(line_items(
            play.scaled(1000), prices, Options(arm64=True, cdn_miss_ratio=CDN_MISS_RATIO))),
        "segments without the per-segment Lambda (CloudFront signed cookies)": no_redirects,
    }
    print("\nWHAT IF (per 1,000 plays):")
    for name, value in rows.items():
        print(f"  {name:<70} {money(value):>10} ({value - base:+,.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--samples", type=int, default=SAMPLES,
                        help="timed requests of each kind")
    parser.add_argument("--clip-seconds", type=int, default=CLIP_SECONDS,
                        help="length of the encoded 1080p clip")
    args = parser.parse_args()
    # a TERM (a timeout, a kill) must still stop the stack's servers: run the finally blocks
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    prices = load_prices()
    memory = configured_memory()
    started = time.perf_counter()
    measured = run(args.samples, args.clip_seconds)
    print(f"\nmeasured in {time.perf_counter() - started:.0f} s (stack, seed, encode, requests)")
    figures = report(measured, prices, memory)
    print("\nHEADLINE: " + "; ".join(f"{k.replace('_', ' ')} {money(v)}"
                                     for k, v in figures.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
