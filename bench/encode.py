"""Encoding benchmark: the real upload pipeline against one bare ffmpeg and one ffmpeg per rung.

In one run, on a generated 60 s 1920x1080 30 fps clip with a stereo sine (H.264 as a phone
records it, AAC; ``--source light`` for a cheaply decoded ultrafast one):

(a) pipeline: a private embedded stack (moto S3/SQS/DynamoDB) and the event runner driving
    only the encoder, as Lambda's event source mapping would. Time from the S3 PUT of
    ``uploads/bench-<n>.mp4`` to ``media/<asset_id>/manifest.mpd`` existing in the media
    bucket (and to the job record saying PUBLISHED). A short clip goes through first so the
    runner is up and warm. This includes the download, SHA-256, probe, poster, sprite and the
    publish to S3, not just the encode.
(b) the same ladder as ONE bare ffmpeg command (``encoder_lambda.media.encode.build_command``
    with the pipeline's preset): wall time and CPU time of the child.
(c) one ffmpeg per rendition, run one after another: the same scale, bitrates, keyframe
    settings and DASH muxer options (``build_command`` with a one-rung ladder), each writing
    its own DASH output; only the first also encodes the audio, so (b) and (c) produce the
    same streams.

(b) and (c) run while the stack and the (idle) event runner are still up, so they share (a)'s
background. ``--rounds N`` repeats (a), (b) and (c) N times, each on a new clip (another tone,
so another hash: the pipeline encodes it rather than linking it), and reports the medians.

Run: `.venv/bin/python -m bench.encode --rounds 3` (`--seconds N` for a shorter clip).

`--chunked [--seconds 600] [--chunk-seconds 60]` measures the chunked pipeline (plan -> one
task per chunk -> assemble) instead: see bench/encode_chunked.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.harness import private_stack
from chalicelib.jobs.models import FINAL, JOB_MODELS, JobModel, job_id_for
from chalicelib.platform.config import Settings
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from encoder_lambda.content_id import file_content_id
from encoder_lambda.media.binaries import find_tools
from encoder_lambda.media.encode import MANIFEST_NAME, build_command
from encoder_lambda.media.ladder import Rendition, choose_ladder
from encoder_lambda.media.probe import SourceInfo, probe
from encoder_lambda.pipeline import Pipeline
from encoder_lambda.publish import MANIFEST
from localcloud import paths
from localcloud.isolation import free_port, unique
from localcloud.stack import EmbeddedStack

SECONDS = 60
WIDTH, HEIGHT, FPS = 1920, 1080, 30
WARMUP_SECONDS = 2
#: Generous limits: the 1080p ladder encodes at roughly 0.5-1x realtime on 2 cores.
CLIP_TIMEOUT_S = 600.0
PIPELINE_TIMEOUT_S = 1200.0
ENCODE_TIMEOUT_S = 1200.0
POLL_S = 0.25
JOB_POLL_S = 2.0
PUBLISH_GRACE_S = 60.0
#: Goals.
MAX_PIPELINE_OVERHEAD = 1.10  # a / b wall
MIN_CPU_SAVING = 1.2  # c / b CPU
LOG_TAIL_LINES = 40
#: Before each measured step, wait (up to QUIET_MAX_WAIT_S) until the rest of the machine uses
#: less than QUIET_CORES over QUIET_SAMPLE_S: another test run or build skews every number.
QUIET_CORES = 0.25
QUIET_SAMPLE_S = 5.0
QUIET_MAX_WAIT_S = 900.0
#: Warn when other processes used more than this share of one core during a step.
FOREIGN_LOAD_WARNING = 0.15
STAGE_LABELS = {"PROBING": "probing (download, SHA-256, probe)",
                "ENCODING": "encoding (the ladder's ffmpeg run)",
                "PACKAGING": "packaging (VTT, subtitles, S3 publish)"}


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class MachineCpu:
    """Whole-machine CPU seconds from /proc/stat: busy (user..softirq) and stolen by the host."""

    busy_s: float
    steal_s: float

    def __sub__(self, other: MachineCpu) -> MachineCpu:
        return MachineCpu(self.busy_s - other.busy_s, self.steal_s - other.steal_s)


@dataclasses.dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float | None  # the measured processes' CPU; None when it could not be measured
    machine: MachineCpu | None = None  # the whole machine over the same interval

    @property
    def rest_cpu_s(self) -> float | None:
        """CPU the rest of the machine used meanwhile (other processes, the stack, this one)."""
        if self.machine is None or self.cpu_s is None:
            return None
        return self.machine.busy_s - self.cpu_s


@dataclasses.dataclass(frozen=True)
class PipelineRun:
    manifest: Timing  # PUT started -> manifest.mpd in the media bucket
    published_s: float  # PUT started -> job record PUBLISHED
    stages: dict[str, float]  # seconds per step, from the job record's stage times
    encode_seconds: float | None  # the pipeline's own ffmpeg time (asset.json)
    ladder: tuple[Rendition, ...] = ()


def pipeline_preset() -> str:
    """The preset the deployed pipeline encodes with (``Pipeline``'s default)."""
    default = inspect.signature(Pipeline.__init__).parameters["preset"].default
    if not isinstance(default, str):
        raise BenchError(f"Pipeline's preset default is not a string: {default!r}")
    return default


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> MachineCpu | None:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if first[0] != "cpu" or len(first) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return MachineCpu((user + nice + system + irq + softirq) / tick, steal / tick)


def _delta(after: MachineCpu | None, before: MachineCpu | None) -> MachineCpu | None:
    return after - before if after is not None and before is not None else None


def wait_for_quiet(what: str, max_wait_s: float = QUIET_MAX_WAIT_S) -> None:
    """Wait until the machine is nearly idle (another engineer's tests share this box)."""
    deadline = time.monotonic() + max_wait_s
    waited = False
    while True:
        before = machine_cpu()
        time.sleep(QUIET_SAMPLE_S)
        used = _delta(machine_cpu(), before)
        if used is None:
            return
        cores = used.busy_s / QUIET_SAMPLE_S
        if cores < QUIET_CORES:
            if waited:
                print(f"  quiet again ({cores:.2f} cores busy)", flush=True)
            return
        if time.monotonic() > deadline:
            print(f"  WARNING: still {cores:.2f} cores busy after {max_wait_s:g} s; measuring "
                  f"{what} anyway", flush=True)
            return
        if not waited:
            print(f"  waiting for the machine to go quiet before {what} "
                  f"({cores:.2f} cores busy) ...", flush=True)
            waited = True


def process_tree_cpu_s(pid: int) -> float | None:
    """CPU of a live process plus its waited-for children (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def run_tool(argv: Sequence[str], timeout_s: float, what: str) -> None:
    """Run ffmpeg to completion (killed past ``timeout_s``); BenchError with its stderr tail."""
    try:
        done = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, errors="replace",
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what}: ffmpeg ran past {timeout_s:g} s and was killed") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-LOG_TAIL_LINES:])
        raise BenchError(f"{what}: ffmpeg exited with status {done.returncode}:\n{tail}")


def timed(fn: Callable[[], None]) -> Timing:
    """Wall time of ``fn`` and CPU time of the child processes it waited for."""
    cpu_before, machine_before = children_cpu_s(), machine_cpu()
    started = time.perf_counter()
    fn()
    wall = time.perf_counter() - started
    return Timing(wall, children_cpu_s() - cpu_before, _delta(machine_cpu(), machine_before))


#: How the generated source is compressed. "camera" is what phones and cameras record (H.264
#: High profile, CABAC, a keyframe a second, ~16 Mb/s): decoding it costs what decoding real
#: uploads costs. "light" (ultrafast: no CABAC, no B-frames, no deblocking) decodes far more
#: cheaply than any real upload, which understates what one shared decode saves.
SOURCE_KINDS: dict[str, list[str]] = {
    "camera": ["-preset", "veryfast", "-profile:v", "high", "-b:v", "16M", "-maxrate", "20M",
               "-bufsize", "20M", "-g", str(FPS)],
    "light": ["-preset", "ultrafast"],
}


def make_clip(ffmpeg: str, path: Path, seconds: int, kind: str = "camera",
              tone_hz: int = 440) -> Path:
    """A ``seconds`` long 1080p30 testsrc2 clip with a stereo sine (its tone makes its hash)."""
    run_tool([
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", *SOURCE_KINDS[kind], "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-movflags", "+faststart",
        str(path),
    ], CLIP_TIMEOUT_S, f"generating {path.name}")
    return path


# -- (a) the pipeline --------------------------------------------------------------------------
def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _stage_breakdown(job: JobModel, put_epoch: float) -> dict[str, float]:
    """PUT -> job created (S3 event, queue, runner), then each stage's length.

    PACKAGING runs from the end of the encode to PUBLISHED: the thumbnails VTT, subtitles, the
    publish of every file to S3 (manifest last), the title update and the source's move (the
    poster and the sprite are made during the encode).
    """
    stages: dict[str, Any] = dict(job.stages or {})
    out: dict[str, float] = {}
    try:
        out["S3 event + queue + job created"] = _epoch(job.created_at) - put_epoch
        for name, label in STAGE_LABELS.items():
            stage = stages.get(name) or {}
            if "started_at" in stage and "ended_at" in stage:
                out[label] = _epoch(stage["ended_at"]) - _epoch(stage["started_at"])
    except (KeyError, TypeError, ValueError):
        pass
    return out


def _manifest_exists(s3: Any, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _job(job_id: str) -> JobModel | None:
    try:
        return JobModel.get(job_id, consistent_read=True)
    except JobModel.DoesNotExist:
        return None


def upload_and_wait(settings: Settings, s3: Any, clip: Path, key: str, timeout_s: float,
                    runner_pid: int | None, ladder: Sequence[Rendition] = ()) -> PipelineRun:
    """PUT ``clip`` to the uploads bucket and wait for its manifest and PUBLISHED job."""
    asset_id = file_content_id(clip)[:32]
    manifest_key = f"media/{asset_id}/{MANIFEST}"
    cpu_before = process_tree_cpu_s(runner_pid) if runner_pid else None
    machine_before = machine_cpu()
    put_epoch = time.time()
    started = time.perf_counter()
    with clip.open("rb") as body:
        sent = s3.put_object(Bucket=settings.uploads_bucket, Key=key, Body=body,
                             ContentType="video/mp4")
    job_id = job_id_for(settings.uploads_bucket, key, sent["ETag"])
    deadline = started + timeout_s
    manifest_at: float | None = None
    cpu_after: float | None = None
    machine_after: MachineCpu | None = None
    next_job_check = 0.0
    while True:
        now = time.perf_counter()
        if now > deadline:
            job = _job(job_id)
            state = f"job {job.status}, progress {job.progress}" if job else "no job record"
            raise BenchError(f"{key}: not published after {timeout_s:g} s ({state})")
        if manifest_at is None and _manifest_exists(s3, settings.media_bucket, manifest_key):
            manifest_at = time.perf_counter()
            cpu_after = process_tree_cpu_s(runner_pid) if runner_pid else None
            machine_after = machine_cpu()
            deadline = min(deadline, manifest_at + PUBLISH_GRACE_S)
        if manifest_at is not None or now >= next_job_check:
            next_job_check = now + JOB_POLL_S
            job = _job(job_id)
            if job is not None and job.status in FINAL:
                if job.status != "PUBLISHED":
                    raise BenchError(f"{key}: the job ended {job.status}: {job.error or ''}")
                if manifest_at is not None:
                    break
        time.sleep(POLL_S)
    published_at = time.perf_counter()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return PipelineRun(manifest=Timing(manifest_at - started, cpu,
                                       _delta(machine_after, machine_before)),
                       published_s=published_at - started,
                       stages=_stage_breakdown(job, put_epoch),
                       encode_seconds=_encode_seconds(s3, settings.media_bucket, asset_id),
                       ladder=tuple(ladder))


def _encode_seconds(s3: Any, bucket: str, asset_id: str) -> float | None:
    """The pipeline's own ffmpeg time, as it wrote it to asset.json."""
    try:
        found = s3.get_object(Bucket=bucket, Key=f"media/{asset_id}/asset.json")
        return float(json.loads(found["Body"].read())["encode_seconds"])
    except Exception:  # a detail of the report, not the measurement
        return None


@contextmanager
def encoder_runner(settings: Settings, stack_env: dict[str, str]) -> Iterator[EmbeddedStack]:
    """The event runner driving only the encode queue (as tests' ``encoder_worker`` does)."""
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_RUNNER_QUEUES": f"{settings.encode_queue},{settings.encode_tasks_queue}"}
    runner = EmbeddedStack(env=env, record_pids=False)
    runner.start_runner()
    try:
        yield runner
    finally:
        runner.stop()


def log_tail(name: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = (paths.logs_dir() / f"{name}.log").read_text(errors="replace")
    except OSError:
        return f"(no {name}.log)"
    return "\n".join(text.splitlines()[-lines:])


# -- (b) and (c) bare ffmpeg -------------------------------------------------------------------
def one_command(src: Path, info: SourceInfo, ladder: Sequence[Rendition], preset: str,
                ffmpeg: str, work: Path, timeout_s: float = ENCODE_TIMEOUT_S) -> Timing:
    out = work / "single"
    out.mkdir()
    argv = build_command(src, out, info, ladder, preset=preset, ffmpeg_path=ffmpeg)
    print("  " + shlex.join(argv), flush=True)
    timing = timed(lambda: run_tool(argv, timeout_s, "(b) one ffmpeg for the ladder"))
    if not (out / MANIFEST_NAME).is_file():
        raise BenchError(f"(b) wrote no {MANIFEST_NAME}")
    return timing


def _runner_for(argv: Sequence[str], what: str) -> Callable[[], None]:
    return lambda: run_tool(argv, ENCODE_TIMEOUT_S, what)


def per_rendition(src: Path, info: SourceInfo, ladder: Sequence[Rendition], preset: str,
                  ffmpeg: str, work: Path) -> tuple[Timing, list[Timing]]:
    """One ffmpeg per rung, sequentially; the audio is encoded once, with the first rung."""
    silent = dataclasses.replace(info, audio_codec=None, audio_index=None, audio_language=None)
    commands: list[tuple[Path, list[str]]] = []
    for i, rung in enumerate(ladder):
        out = work / f"rung-{rung.name}"
        out.mkdir()
        commands.append((out, build_command(src, out, info if i == 0 else silent, [rung],
                                            preset=preset, ffmpeg_path=ffmpeg)))
    rungs: list[Timing] = []

    def run_all() -> None:
        for (out, argv), rung in zip(commands, ladder, strict=True):
            rungs.append(timed(_runner_for(argv, f"(c) ffmpeg for {rung.name}")))
            if not (out / MANIFEST_NAME).is_file():
                raise BenchError(f"(c) {rung.name} wrote no {MANIFEST_NAME}")

    return timed(run_all), rungs


# -- the run -----------------------------------------------------------------------------------
def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _fmt(value: float | None, spec: str = "8.1f") -> str:
    return format(value, spec) if value is not None else format("n/a", ">" + spec.split(".")[0])


def report(seconds: int, ladder: Sequence[Rendition], preset: str, a: PipelineRun,
           warmup: PipelineRun, b: Timing, c: Timing, rungs: Sequence[Timing]) -> None:
    print()
    print(f"ladder ({preset}): " + ", ".join(
        f"{r.name} {r.width}x{r.height} {r.video_kbps}k" for r in ladder))
    print(f"{'what':<58} {'wall s':>8} {'CPU s':>8} {'rest s':>8} {'steal s':>8}")
    rows = [
        ("(a) pipeline: S3 PUT -> manifest.mpd in the media bucket", a.manifest),
        ("(b) one ffmpeg for the whole ladder", b),
        ("(c) one ffmpeg per rendition, sequential (total)", c),
    ]
    rows += [(f"    {rung.name}" + (" (+ the audio)" if rung is ladder[0] else ""), timing)
             for rung, timing in zip(ladder, rungs, strict=True)]
    noisy: list[str] = []
    for name, timing in rows:
        steal = timing.machine.steal_s if timing.machine is not None else None
        print(f"{name:<58} {timing.wall_s:8.1f} {_fmt(timing.cpu_s)} "
              f"{_fmt(timing.rest_cpu_s)} {_fmt(steal)}")
        rest = timing.rest_cpu_s
        if not name.startswith(" ") and rest is not None and (
                rest > FOREIGN_LOAD_WARNING * timing.wall_s):
            noisy.append(name.split()[0])
    print()
    wall_ratio = a.manifest.wall_s / b.wall_s
    cpu_ratio = _ratio(c.cpu_s, b.cpu_s)
    print(f"{'a / b wall (goal <= ' + format(MAX_PIPELINE_OVERHEAD, '.2f') + ')':<58} "
          f"{wall_ratio:8.3f}  {'met' if wall_ratio <= MAX_PIPELINE_OVERHEAD else 'MISSED'}")
    if cpu_ratio is not None:
        print(f"{'c / b CPU (goal >= ' + format(MIN_CPU_SAVING, '.2f') + ')':<58} "
              f"{cpu_ratio:8.3f}  {'met' if cpu_ratio >= MIN_CPU_SAVING else 'MISSED'}")
    print(f"{'c / b wall':<58} {c.wall_s / b.wall_s:8.3f}")
    print(f"{'realtime factor of b (' + str(seconds) + ' s / b wall)':<58} "
          f"{seconds / b.wall_s:8.3f}x")
    print()
    if noisy:
        print(f"WARNING: other processes used > {FOREIGN_LOAD_WARNING:.0%} of a core during "
              f"{', '.join(noisy)}: the machine was not quiet, re-run for clean numbers")
    print("CPU s: (a) the event runner with its ffmpeg children, (b)/(c) the ffmpeg processes;")
    print("rest s: every other process's CPU meanwhile (for (a) the stack's moto, API and")
    print("Neo4j; anything large in (b)/(c) is foreign load); steal s: CPU the host withheld.")
    print("(a) includes the PUT, the S3 event and queue, the download, SHA-256 and probe, the")
    print("    poster, the sprite and the publish of every file to S3, besides the encode.")
    print(f"(a) PUT -> job PUBLISHED: {a.published_s:.1f} s; the pipeline's own ffmpeg run: "
          f"{_fmt(a.encode_seconds, '.1f')} s; runner process CPU (with its ffmpeg): "
          f"{_fmt(a.manifest.cpu_s, '.1f')} s")
    for name, value in a.stages.items():
        print(f"    {name:<40} {value:7.2f} s")
    print(f"warm-up upload ({WARMUP_SECONDS} s clip, not counted): "
          f"{warmup.manifest.wall_s:.1f} s to its manifest")


@dataclasses.dataclass(frozen=True)
class Round:
    a: PipelineRun
    b: Timing
    c: Timing
    rungs: list[Timing]

    @property
    def wall_ratio(self) -> float:
        return self.a.manifest.wall_s / self.b.wall_s

    @property
    def cpu_ratio(self) -> float | None:
        return _ratio(self.c.cpu_s, self.b.cpu_s)


def report_rounds(rounds: Sequence[Round]) -> None:
    """Each round's ratios, then their medians (what RESULTS.md records)."""
    print()
    print(f"{'round':<8} {'a wall s':>9} {'b wall s':>9} {'c wall s':>9} {'a/b wall':>9} "
          f"{'c/b CPU':>9}")
    for n, one in enumerate(rounds, 1):
        print(f"{n:<8} {one.a.manifest.wall_s:9.1f} {one.b.wall_s:9.1f} {one.c.wall_s:9.1f} "
              f"{one.wall_ratio:9.3f} {_fmt(one.cpu_ratio, '9.3f')}")
    wall = statistics.median(r.wall_ratio for r in rounds)
    cpus = [r.cpu_ratio for r in rounds if r.cpu_ratio is not None]
    print(f"median a/b wall {wall:.3f} (goal <= {MAX_PIPELINE_OVERHEAD:.2f}: "
          f"{'met' if wall <= MAX_PIPELINE_OVERHEAD else 'MISSED'})")
    if cpus:
        cpu = statistics.median(cpus)
        print(f"median c/b CPU  {cpu:.3f} (goal >= {MIN_CPU_SAVING:.2f}: "
              f"{'met' if cpu >= MIN_CPU_SAVING else 'MISSED'})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=None,
                        help="clip length (60; 600 with --chunked)")
    parser.add_argument("--source", choices=sorted(SOURCE_KINDS), default="camera",
                        help="how the clip is compressed (camera: like a phone's recording)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure a, b and c this many times (a new clip each round, so "
                             "the pipeline encodes rather than links) and report medians")
    parser.add_argument("--chunked", action="store_true",
                        help="measure the chunked pipeline instead (bench/encode_chunked.py): "
                             "its CPU, its critical path with one function per chunk, its seams")
    parser.add_argument("--chunk-seconds", type=int, default=None,
                        help="with --chunked: the pipeline's chunk length (60)")
    args = parser.parse_args(argv)
    kind: str = args.source
    if args.chunked:
        from bench import encode_chunked

        return encode_chunked.main(args.seconds or encode_chunked.SECONDS, args.rounds,
                                   args.chunk_seconds or encode_chunked.CHUNK_SECONDS, kind)
    if args.chunk_seconds is not None:
        parser.error("--chunk-seconds needs --chunked")
    seconds: int = args.seconds or SECONDS
    tools = find_tools()
    preset = pipeline_preset()
    print(f"ffmpeg: {tools.ffmpeg} ({tools.origin}); preset {preset}; {os.cpu_count()} CPUs",
          flush=True)
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as tmp:
        work = Path(tmp)
        warm_clip = make_clip(tools.ffmpeg, work / "warmup.mp4", WARMUP_SECONDS, kind)
        extra_env = {"NOTFLIX_AWS_PORT": str(free_port()),
                     "NOTFLIX_REDIS_PORT": str(free_port()),
                     "NOTFLIX_NEO4J_PORT": str(free_port()),
                     "NOTFLIX_PAYPAL_PORT": str(free_port()),
                     "NOTFLIX_PREFIX": unique("bench-enc-")}
        print("starting a private stack ...", flush=True)
        with private_stack(extra_env=extra_env) as (settings, _api_url):
            # private_stack's own environment: the process's (NOTFLIX_LOCAL_DIR now set) + ports
            stack_env = {**os.environ, **extra_env}
            resources = Resources(settings)
            bind_models(settings, JOB_MODELS)
            try:
                with encoder_runner(settings, stack_env) as runner:
                    process = runner.processes.get("event-runner")
                    pid = process.pid if process is not None else None
                    try:
                        print("(a) warm-up upload ...", flush=True)
                        warmup = upload_and_wait(settings, resources.s3, warm_clip,
                                                 "uploads/bench-0.mp4", PIPELINE_TIMEOUT_S, pid)
                        print(f"  {warmup.manifest.wall_s:.1f} s", flush=True)
                        for n in range(1, max(1, args.rounds) + 1):
                            rounds.append(one_round(n, work, seconds, kind, tools.ffmpeg, preset,
                                                    settings, resources.s3, pid))
                    except BaseException:
                        print("event-runner.log (tail):\n" + log_tail("event-runner"),
                              file=sys.stderr)
                        raise
            finally:
                resources.close()
    last = rounds[-1]
    report(seconds, last.a.ladder, preset, last.a, warmup, last.b, last.c, last.rungs)
    report_rounds(rounds)
    return 0


def one_round(n: int, work: Path, seconds: int, kind: str, ffmpeg: str, preset: str,
              settings: Settings, s3: Any, runner_pid: int | None) -> Round:
    """A new clip through (a) the pipeline, (b) one ffmpeg and (c) one ffmpeg per rung."""
    folder = work / f"round-{n}"
    folder.mkdir()
    print(f"round {n}: generating a {seconds} s {WIDTH}x{HEIGHT}@{FPS} {kind} clip ...",
          flush=True)
    started = time.perf_counter()
    clip = make_clip(ffmpeg, folder / "clip.mp4", seconds, kind, tone_hz=440 + 10 * n)
    print(f"  {clip.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
          flush=True)
    info = probe(clip)
    ladder = choose_ladder(info)
    wait_for_quiet("(a)")
    print("(a) the upload through the pipeline ...", flush=True)
    a = upload_and_wait(settings, s3, clip, f"uploads/bench-{n}.mp4", PIPELINE_TIMEOUT_S,
                        runner_pid, ladder)
    print(f"  {a.manifest.wall_s:.1f} s", flush=True)
    wait_for_quiet("(b)")
    print("(b) one ffmpeg for the ladder ...", flush=True)
    b = one_command(clip, info, ladder, preset, ffmpeg, folder)
    print(f"  {b.wall_s:.1f} s", flush=True)
    wait_for_quiet("(c)")
    print("(c) one ffmpeg per rendition ...", flush=True)
    c, rungs = per_rendition(clip, info, ladder, preset, ffmpeg, folder)
    print(f"  {c.wall_s:.1f} s", flush=True)
    return Round(a, b, c, rungs)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BenchError as exc:
        print(f"bench.encode: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
