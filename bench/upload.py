"""Upload benchmark: `notflix upload`'s client against boto3's managed transfer, and a resume.

``python -m bench.upload [--size-mib 1024] [--rounds 2] [--parallel 4] [--interruptions 3]``

One file of random bytes (1 GiB) is sent to the local S3 (moto) of a private stack, in one
run:

1. Throughput. (a) :class:`localcloud.upload_client.UploadClient`, the CLI's client, with
   its default 4 parts in flight: the API starts the multipart upload, signs the part URLs,
   the parts go straight to S3, the API completes it; against (b) boto3's managed transfer
   with `aws s3 cp`'s defaults (``upload_file``, 8 MiB parts from 8 MiB up, 10 threads),
   which declares a CRC32 checksum when it starts the upload (boto3 >= 1.36). moto joins
   the parts of an upload declared without a checksum more slowly (it copies the whole
   object once more to compute a full-object CRC64NVME, ~1 s per GiB on this machine), so
   (c), boto3 with checksums only when required, completes the way (a)'s uploads do.
   Each transfer is timed from the first call to the completed object and split at the
   completion request (parts / complete); rounds alternate the order; objects are deleted
   between runs, untimed. Every object must have the same multipart ETag (same 8 MiB
   parts). Goal: a / b throughput >= 0.9.
2. Interruption. The client is stopped once it has sent half the file's bytes (the parts in
   flight are abandoned, as on Ctrl-C), then run again: it finds the upload, lists the parts
   S3 holds and sends the others. Measured: the bytes sent beyond the file's size over both
   runs (the abandoned parts' bytes, plus anything the second run sent twice), against the
   goal of at most one part per part in flight (``parallel`` x 8 MiB). Repeated
   ``--interruptions`` times, as where the stop falls in the parts in flight varies.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx

from bench.encode import machine_cpu, wait_for_quiet
from bench.harness import private_stack
from chalicelib.platform.aws import make_client, make_session
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.isolation import unique
from localcloud.upload_client import (
    DEFAULT_PARALLEL,
    UploadClient,
    UploadInterrupted,
    UploadPlan,
    UploadResult,
    parse_rate,
)

MIB = 1024 * 1024
SIZE_MIB = 1024
ROUNDS = 2
INTERRUPTIONS = 3
INTERRUPT_RATE = "64M"
#: Each sender moves this much once, unmeasured, first (the API's first requests import
#: their modules, as a Lambda's cold start does; boto3 clients load their models).
WARMUP_BYTES = 16 * MIB
#: `aws s3 cp`'s defaults (multipart_threshold, multipart_chunksize, max_concurrent_requests).
CLI_PART_BYTES = 8 * MIB
CLI_THREADS = 10
#: Goals.
MIN_THROUGHPUT_RATIO = 0.9
PASSWORD = "bench-upload-password-42"


# -- pure figures (tests/unit/bench/test_bench_upload.py) ------------------------------------
def mib_per_s(size: int, seconds: float) -> float:
    return size / MIB / seconds if seconds > 0 else float("inf")


def run_order(rounds: int, names: Sequence[str] = ("a", "b", "c")) -> list[list[str]]:
    """The transfers' order in each round: rotated round by round, so none always meets a
    fresh or a tired emulator."""
    if not names:
        return [[] for _ in range(rounds)]
    return [[*names[n % len(names):], *names[:n % len(names)]] for n in range(rounds)]


@dataclasses.dataclass(frozen=True)
class ResumeFigures:
    """Bytes of an upload stopped part-way and resumed."""

    size: int
    part_size: int
    parallel: int
    first_sent: int  # on the wire before the stop, abandoned parts included
    held: int  # what S3 held when the second run looked
    second_sent: int

    @property
    def abandoned(self) -> int:
        """Sent by the first run but not in S3: the parts in flight at the stop."""
        return self.first_sent - self.held

    @property
    def missing(self) -> int:
        return self.size - self.held

    @property
    def sent_twice(self) -> int:
        """What the second run sent beyond the missing bytes (retries); 0 normally."""
        return self.second_sent - self.missing

    @property
    def overhead(self) -> int:
        """Bytes sent beyond the file's size over both runs."""
        return self.first_sent + self.second_sent - self.size

    @property
    def goal(self) -> int:
        return self.part_size * self.parallel

    @property
    def met(self) -> bool:
        return 0 <= self.overhead <= self.goal


@dataclasses.dataclass(frozen=True)
class Transfer:
    name: str
    seconds: float  # the first call to the completed object
    size: int
    etag: str
    busy_cores: float | None  # the whole machine's, meanwhile
    first_byte_s: float | None = None  # until the first bytes of a part were sent
    parts_s: float | None = None  # until the completion was asked for (every part in S3)

    @property
    def mib_s(self) -> float:
        return mib_per_s(self.size, self.seconds)

    @property
    def parts_mib_s(self) -> float | None:
        return mib_per_s(self.size, self.parts_s) if self.parts_s else None

    @property
    def complete_s(self) -> float | None:
        """The completion request: S3 (moto) joining the parts."""
        return self.seconds - self.parts_s if self.parts_s is not None else None


class Phases:
    """When a transfer's first byte went and when its completion was first asked for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first_byte: float | None = None
        self.completing: float | None = None

    def sent(self, amount: int) -> None:
        with self.lock:
            if self.first_byte is None and amount > 0:
                self.first_byte = time.perf_counter()

    def complete_called(self) -> None:
        with self.lock:
            if self.completing is None:  # a retried completion counts from the first try
                self.completing = time.perf_counter()


def median_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median of ``a`` over median of ``b``."""
    return statistics.median(a) / statistics.median(b)


# -- the runs ------------------------------------------------------------------------------------
def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(left, 8 * MIB))
            out.write(block)
            left -= len(block)
    return path


def uploader_token(settings: Settings, api_url: str) -> str:
    email = f"{unique('bench-up-')}@example.com"
    response = httpx.post(f"{api_url}/api/auth/register", timeout=30,
                          json={"email": email, "password": PASSWORD,
                                "display_name": "Bench Uploader"})
    response.raise_for_status()
    resources = Resources(settings)
    try:
        Services(resources).accounts.set_roles(response.json()["user"]["id"],
                                               ["uploader", "viewer"])
    finally:
        resources.close()
    return str(response.json()["token"])


#: Sends a file, telling ``Phases`` as it goes; the key of the object it made.
Sender = Callable[[Path, Phases], str]


def timed(name: str, path: Path, send: Sender, s3: Any, bucket: str) -> Transfer:
    """Time one transfer; the object is then checked (ETag) and deleted, untimed."""
    size = path.stat().st_size
    phases = Phases()
    before = machine_cpu()
    started = time.perf_counter()
    key = send(path, phases)
    seconds = time.perf_counter() - started
    after = machine_cpu()
    busy = (after - before).busy_s / seconds if after and before else None
    etag = str(s3.head_object(Bucket=bucket, Key=key)["ETag"]).strip('"')
    s3.delete_object(Bucket=bucket, Key=key)

    def since(moment: float | None) -> float | None:
        return moment - started if moment is not None else None

    return Transfer(name, seconds, size, etag, busy, since(phases.first_byte),
                    since(phases.completing))


def boto3_client(settings: Settings,
                 checksums: Literal["when_supported", "when_required"] = "when_supported"
                 ) -> Any:
    """S3 as `aws s3 cp` uses it: a connection per thread, patient reads, and checksums
    ``when_supported`` (the default) or ``when_required``."""
    from botocore.config import Config

    return make_client(make_session(settings), settings, "s3",
                       Config(max_pool_connections=CLI_THREADS * 2, read_timeout=120,
                              retries={"mode": "standard", "total_max_attempts": 5},
                              request_checksum_calculation=checksums))


def send_boto3(s3: Any, bucket: str, declared: dict[str, str]) -> Sender:
    """boto3's managed transfer; ``declared`` gets the checksum it asked S3 for."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=CLI_PART_BYTES,
                            multipart_chunksize=CLI_PART_BYTES,
                            max_concurrency=CLI_THREADS, use_threads=True)
    current: list[Phases] = []

    def starting(params: Mapping[str, Any], **_kwargs: Any) -> None:
        declared["checksum"] = str(params.get("ChecksumAlgorithm") or "none")

    s3.meta.events.register("provide-client-params.s3.CreateMultipartUpload", starting)
    s3.meta.events.register("before-call.s3.CompleteMultipartUpload",
                            lambda **_kwargs: current[-1].complete_called())

    def send(path: Path, phases: Phases) -> str:
        current.append(phases)
        key = f"bench/{unique('boto3-')}/{path.name}"
        s3.upload_file(str(path), bucket, key, Config=config, Callback=phases.sent)
        return key

    return send


class _TimedClient(UploadClient):
    """The CLI's client, noting when it asks for the completion."""

    phases: Phases | None = None

    def complete(self, plan: UploadPlan, etags: Mapping[int, str]) -> dict[str, Any]:
        if self.phases is not None:
            self.phases.complete_called()
        return super().complete(plan, etags)


def send_client(api_url: str, token: str, parallel: int) -> Sender:
    def send(path: Path, phases: Phases) -> str:
        client = _TimedClient(api_url, token, parallel=parallel)
        client.phases = phases
        try:
            result = client.upload(path, resume=False, on_progress=phases.sent)
        finally:
            client.close()
        return result.plan.key

    return send


def stop_points(size: int, part_size: int, parallel: int, count: int) -> list[int]:
    """Where rate-limited runs stop: past half the file by 1/(count+1), 2/(count+1) ... of
    a wave of parts in flight. Paced parts go in step, so a stop at exactly half the file
    (a whole number of waves) would find every part in flight just finished."""
    wave = part_size * parallel
    return [size // 2 + wave * n // (count + 1) for n in range(1, count + 1)]


def interrupted_and_resumed(api_url: str, token: str, parallel: int, path: Path,
                            stop_at: int, rate: float | None = None
                            ) -> tuple[ResumeFigures, float, UploadResult]:
    """Stop the client (sending at most ``rate`` bytes/s) once it has sent ``stop_at``
    bytes, run it again at full speed; the figures, how long the second run took to find
    what to send, and its result."""
    stop = threading.Event()
    sent = 0

    def progress(amount: int) -> None:
        nonlocal sent
        if amount > 0:
            sent += amount
            if sent >= stop_at:
                stop.set()

    with UploadClient(api_url, token, parallel=parallel, max_rate=rate) as client:
        try:
            client.upload(path, resume=False, stop=stop, on_progress=progress)
        except UploadInterrupted as exc:
            first_sent = exc.sent_bytes
        else:
            raise RuntimeError("the upload finished before it could be stopped")
    started = time.perf_counter()
    planned: list[float] = []
    with UploadClient(api_url, token, parallel=parallel) as client:
        result = client.upload(path, on_plan=lambda _p: planned.append(time.perf_counter()))
    figures = ResumeFigures(size=path.stat().st_size, part_size=result.plan.part_size,
                            parallel=parallel, first_sent=first_sent,
                            held=result.plan.resumed_bytes,
                            second_sent=result.sent_bytes)
    return figures, planned[0] - started, result


# -- report --------------------------------------------------------------------------------------
def _num(value: float | None, form: str = ".2f") -> str:
    return format(value, form) if value is not None else "-"


def report_throughput(runs: Mapping[str, Sequence[Transfer]]) -> None:
    print()
    print(f"{'run':<58} {'seconds':>7} {'MiB/s':>6} {'1st byte':>8} {'parts s':>7} "
          f"{'parts MiB/s':>11} {'complete s':>10} {'busy cores':>10}")
    for transfers in runs.values():
        for one in transfers:
            print(f"{one.name:<58} {one.seconds:7.2f} {one.mib_s:6.1f} "
                  f"{_num(one.first_byte_s):>8} {_num(one.parts_s):>7} "
                  f"{_num(one.parts_mib_s, '.1f'):>11} {_num(one.complete_s):>10} "
                  f"{_num(one.busy_cores):>10}")
    print("(seconds from the first call; parts: until the completion was asked for; complete: "
          "the completion request, moto joining the parts; busy cores: the whole machine)")
    a, b, c = runs["a"], runs["b"], runs["c"]
    ratio = median_ratio([t.mib_s for t in a], [t.mib_s for t in b])
    print(f"median MiB/s: (a) {statistics.median(t.mib_s for t in a):.1f}, "
          f"(b) {statistics.median(t.mib_s for t in b):.1f}, "
          f"(c) {statistics.median(t.mib_s for t in c):.1f}")
    print(f"(a) / (b) throughput {ratio:.3f} (goal >= {MIN_THROUGHPUT_RATIO}: "
          f"{'met' if ratio >= MIN_THROUGHPUT_RATIO else 'MISSED'})")
    print(f"(a) / (c) throughput {median_ratio([t.mib_s for t in a], [t.mib_s for t in c]):.3f}"
          " (the same completion in moto)")
    parts = {k: [t.parts_mib_s for t in v if t.parts_mib_s is not None] for k, v in runs.items()}
    if all(parts.values()):
        print(f"parts only: (a) / (b) {median_ratio(parts['a'], parts['b']):.3f}, "
              f"(a) / (c) {median_ratio(parts['a'], parts['c']):.3f}")


def report_resumes(resumes: Sequence[tuple[str, ResumeFigures, float]], parallel: int) -> None:
    first = resumes[0][1]
    print()
    print(f"interrupted at about half of {first.size / MIB:.0f} MiB, then resumed "
          f"({parallel} parts in flight, {first.part_size // MIB} MiB parts; MiB):")
    print(f"{'first run':<18} {'sent':>7} {'held':>7} {'abandoned':>9} {'2nd sent':>9} "
          f"{'sent twice':>10} {'overhead':>9} {'of goal':>8} {'lookup ms':>9}")
    for rate, one, lookup_s in resumes:
        print(f"{rate:<18} {one.first_sent / MIB:7.1f} {one.held / MIB:7.1f} "
              f"{one.abandoned / MIB:9.1f} {one.second_sent / MIB:9.1f} "
              f"{one.sent_twice / MIB:10.1f} {one.overhead / MIB:9.1f} "
              f"{one.overhead / one.goal:8.2f} {lookup_s * 1000:9.0f}")
    worst = max(one.overhead for _, one, _ in resumes)
    print(f"worst overhead {worst / MIB:.1f} MiB against the goal of {first.goal / MIB:.0f} "
          f"MiB (one part per part in flight): "
          f"{'met' if all(one.met for _, one, _ in resumes) else 'MISSED'}")
    print("(first run: its rate, and after how many MiB it was stopped; sent: before the "
          "stop, abandoned parts included; held: in S3 when the second run looked; overhead: sent "
          "beyond the file's size by both runs; lookup: the second run finding the upload and "
          "listing its parts)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=SIZE_MIB, help="file size (1024)")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="throughput rounds, each (a), (b) and (c) once; medians reported")
    parser.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL,
                        help="the client's parts in flight (the CLI's default, 4)")
    parser.add_argument("--interruptions", type=int, default=INTERRUPTIONS,
                        help="uploads stopped at half the bytes and resumed, at full speed "
                             "and as many again at --interrupt-rate")
    parser.add_argument("--interrupt-rate", default=INTERRUPT_RATE,
                        help="the rate-limited interrupted runs' rate (64M: an uplink slower "
                             "than loopback, so the stop finds parts half sent)")
    args = parser.parse_args(argv)
    size = args.size_mib * MIB
    print(f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}", flush=True)
    runs: dict[str, list[Transfer]] = {"a": [], "b": [], "c": []}
    resumes: list[tuple[str, ResumeFigures, float]] = []
    limited = parse_rate(args.interrupt_rate)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        path = random_file(Path(tmp) / "film.mp4", size)
        print(f"{size / MIB:.0f} MiB of random bytes in {path}; starting a private stack ...",
              flush=True)
        with private_stack() as (settings, api_url):
            token = uploader_token(settings, api_url)
            s3 = boto3_client(settings)
            bucket = settings.uploads_bucket
            declared_b: dict[str, str] = {}
            declared_c: dict[str, str] = {}
            senders = {
                "a": (f"(a) notflix upload's client, {args.parallel} in flight",
                      send_client(api_url, token, args.parallel)),
                "b": (f"(b) boto3 upload_file, {CLI_THREADS} threads",
                      send_boto3(boto3_client(settings), bucket, declared_b)),
                "c": (f"(c) boto3 upload_file, {CLI_THREADS} threads, no checksum",
                      send_boto3(boto3_client(settings, "when_required"), bucket,
                                 declared_c)),
            }
            warmup = random_file(Path(tmp) / "warmup.mp4", WARMUP_BYTES)
            for _name, send in senders.values():
                timed("warm-up", warmup, send, s3, bucket)
            wait_for_quiet("the first transfer")
            for n, order in enumerate(run_order(max(1, args.rounds)), 1):
                for which in order:
                    name, send = senders[which]
                    one = timed(f"{name} (round {n})", path, send, s3, bucket)
                    print(f"  {one.name}: {one.seconds:.2f} s, {one.mib_s:.1f} MiB/s",
                          flush=True)
                    runs[which].append(one)
            print(f"checksum declared at the start: (a) none (the API's), "
                  f"(b) {declared_b.get('checksum')}, (c) {declared_c.get('checksum')}")
            etags = {t.etag for transfers in runs.values() for t in transfers}
            if len(etags) != 1:
                raise RuntimeError(f"the objects differ: ETags {sorted(etags)}")
            etag = etags.pop()
            print(f"every object has the multipart ETag {etag}", flush=True)
            count = max(1, args.interruptions)
            plans: list[tuple[str, int, float | None]] = [
                ("full speed", size // 2, None)] * count + [
                (f"{args.interrupt_rate}/s", at, limited)
                for at in stop_points(size, 8 * MIB, args.parallel, count)]
            for n, (label, stop_at, rate) in enumerate(plans, 1):
                label = f"{label}, {stop_at / MIB:.0f}"
                print(f"interruption {n} ({label} MiB): stopping, then resuming ...",
                      flush=True)
                figures, lookup_s, result = interrupted_and_resumed(
                    api_url, token, args.parallel, path, stop_at, rate)
                resumed = str(s3.head_object(Bucket=bucket, Key=result.plan.key)["ETag"])
                if resumed.strip('"') != etag:
                    raise RuntimeError(f"the resumed object differs: ETag {resumed}")
                s3.delete_object(Bucket=bucket, Key=result.plan.key)
                resumes.append((label, figures, lookup_s))
            print("every resumed object has the same ETag", flush=True)
    report_throughput(runs)
    report_resumes(resumes, args.parallel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
