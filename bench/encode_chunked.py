"""Chunked encoding benchmark: the plan -> chunk tasks -> assemble pipeline against one ffmpeg.

``python -m bench.encode --chunked [--seconds 600] [--rounds 3] [--chunk-seconds 60]``

One camera-like 1080p30 H.264 source (``bench.encode.make_clip``) is generated once and every
figure of every round is measured on it, in one run, on a private stack:

1. CPU. The source is uploaded (``force`` metadata, so every round encodes it again) while the
   event runner drives both encode queues with 2 worker processes (as Lambda's event source
   mapping would: the upload's planner, then one invocation per chunk, the audio, the artwork
   and the text, and the last task's invocation assembles and publishes). CPU = the runner's
   process tree (runner, workers, their ffmpeg/ffprobe children) from the PUT to the job
   being PUBLISHED, read from /proc on a runner warmed up by a 2 s upload. As a cross-check,
   the runner is a child of this process: ``getrusage(RUSAGE_CHILDREN)`` after it exits gives
   its whole life (start, warm-up, the upload, stop). Against (b): one bare ffmpeg of the
   whole ladder (``build_command``, the same preset). Goal: chunked / bare CPU <= 1.15.
2. Critical path with one function per chunk: the planner (job created -> fanned out, from
   the job record) + the slowest task run ALONE (every chunk's ffmpeg, one after another, on
   the source's presigned URL as the task reads it, and the audio task, which encodes the
   whole title's audio) + the assembler (the job's PACKAGING stage: the last task done ->
   PUBLISHED), against the bare single-pass wall time. Goal <= 0.15 for 10 chunks. From it,
   the upload-to-playable time of a 2-hour 1080p film (16 GB) on AWS Lambda (see
   :func:`project_film`).
3. Seams: the published top rung (init + segments from the media bucket, concatenated)
   against the source: the same number of frames, no gap or overlap of a frame or more (the
   MPD's timelines and the joined file's timestamps), audio ending within a frame of the
   video, and the PSNR of the chunked top rung and of the single-pass top rung, each against
   the source scaled to that size, over the whole title and over the two seconds around
   every seam. Goal: the chunked rung within 0.5 dB of the single pass.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.encode import (
    FOREIGN_LOAD_WARNING,
    WARMUP_SECONDS,
    BenchError,
    MachineCpu,
    Timing,
    children_cpu_s,
    encoder_runner,
    log_tail,
    machine_cpu,
    make_clip,
    one_command,
    pipeline_preset,
    timed,
    wait_for_quiet,
)
from bench.harness import private_stack
from chalicelib.jobs.models import FINAL, JOB_MODELS, JobModel, job_id_for
from chalicelib.platform.config import Settings
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from encoder_lambda.assemble import assemble
from encoder_lambda.content_id import content_id
from encoder_lambda.media.binaries import find_tools, run_tool
from encoder_lambda.media.chunk_encode import audio_command, build_chunk_command, plan_tiles
from encoder_lambda.media.encode import MANIFEST_NAME, EncodeFailed, run
from encoder_lambda.media.ladder import AUDIO_KBPS, Rendition, choose_ladder
from encoder_lambda.media.packaging import (
    Segment,
    Track,
    chunk_offset,
    discontinuities,
    read_rungs,
    read_tracks,
    shifted,
)
from encoder_lambda.media.probe import SourceInfo, probe
from encoder_lambda.media.thumbnails import plan_sprite
from encoder_lambda.pipeline import SAFETY_SECONDS
from encoder_lambda.publish import MANIFEST
from encoder_lambda.source_probe import audio_streams
from encoder_lambda.source_url import SourceUrl, source_url
from encoder_lambda.task_work import SPRITE_EVERY_S
from encoder_lambda.tasks import SEGMENT_SECONDS, Task, chunk_seconds_for, plan_chunks
from encoder_lambda.track_json import renamed, track_to_json
from localcloud.functions import ENCODER_MEMORY_MB, ENCODER_TIMEOUT_SECONDS
from localcloud.isolation import free_port, unique

SECONDS = 600
CHUNK_SECONDS = 60
WORKERS = 2
#: Goals.
MAX_CPU_RATIO = 1.15  # chunked pipeline CPU / bare single-pass CPU
MAX_CRITICAL_RATIO = 0.15  # critical path / bare wall, for GOAL_CHUNKS chunks
GOAL_CHUNKS = 10
MAX_PSNR_LOSS_DB = 0.5
#: The film the projection is for: 2 hours, 16 GB, 60 s chunks, on AWS Lambda.
FILM_SECONDS = 7200
FILM_BYTES = 16e9
FILM_CHUNK_SECONDS = 60
#: Lambda gives a function one vCPU per 1769 MB of memory (3008 MB: 1.70 vCPUs).
LAMBDA_MB_PER_VCPU = 1769
#: An invocation "fits with a margin" if it needs at most 1/MIN_HEADROOM of its budget
#: (the function's timeout less the pipeline's own safety stop).
MIN_HEADROOM = 2.0
SEAM_HALF_WINDOW_S = 1.0
PSNR_CAP_DB = 100.0
JOB_POLL_S = 0.5
IDLE_SAMPLE_S = 5.0
SETTLE_SAMPLE_S = 1.0
SETTLE_CORES = 0.1
SETTLE_MAX_S = 60.0
MOVE_WAIT_S = 300.0
TOOL_TIMEOUT_S = 3600.0


# -- CPU of the runner's process tree ----------------------------------------------------------
def proc_stat(text: str) -> tuple[int, int]:
    """(parent pid, CPU ticks of the process and of the children it has waited for) from the
    text of ``/proc/<pid>/stat``."""
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": fields[0] is the state
    return int(fields[1]), sum(int(v) for v in fields[11:15])


def _all_stats() -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found[int(entry.name)] = proc_stat((entry / "stat").read_text())
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    return found


def tree_ticks(stats: dict[int, tuple[int, int]], root: int) -> int | None:
    """CPU ticks of ``root`` and every live descendant, each with its waited-for children:
    a process that ends moves its whole time into its parent's, so nothing counts twice."""
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _ticks) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += children.get(pid, [])
    return total


def tree_cpu_s(root: int) -> float | None:
    ticks = tree_ticks(_all_stats(), root)
    return ticks / os.sysconf("SC_CLK_TCK") if ticks is not None else None


def _tree_rate(root: int, seconds: float) -> float | None:
    """Cores the tree used over the next ``seconds``."""
    before = tree_cpu_s(root)
    time.sleep(seconds)
    after = tree_cpu_s(root)
    return (after - before) / seconds if before is not None and after is not None else None


def settle(root: int) -> None:
    """Wait until the runner is idle again (the last invocation returns after PUBLISHED)."""
    deadline = time.monotonic() + SETTLE_MAX_S
    while time.monotonic() < deadline:
        rate = _tree_rate(root, SETTLE_SAMPLE_S)
        if rate is None or rate < SETTLE_CORES:
            return


# -- (1) the chunked pipeline ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PipelineRun:
    wall_s: float  # PUT started -> job PUBLISHED seen
    put_s: float  # the PUT itself
    cpu_s: float | None  # the warm runner's process tree over wall_s (to idle again)
    idle_cores: float | None  # the idle runner's own use (its pollers), before the PUT
    machine: MachineCpu | None
    stages: dict[str, float]  # event, plan, encode (parallel), assemble
    asset_id: str
    chunks: int
    source_key: str  # where the job left the source (processed/...)
    lifetime_cpu_s: float | None = None  # rusage: the runner's whole life


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def job_stages(job: JobModel, put_done: float) -> dict[str, float]:
    """event: PUT done -> job created (S3 event, queue, invocation); plan: job created ->
    fanned out (hash, probe, plan); encode: fanned out -> last task done (2 workers);
    assemble: last task done -> PUBLISHED."""
    stages: dict[str, Any] = dict(job.stages or {})
    marks = {"created": _epoch(job.created_at)}
    for name in ("ENCODING", "PACKAGING"):
        stage = stages.get(name) or {}
        if "started_at" in stage:
            marks[name] = _epoch(str(stage["started_at"]))
        if "ended_at" in stage:
            marks[name + "_end"] = _epoch(str(stage["ended_at"]))
    out = {"event": marks["created"] - put_done}
    pairs = {"plan": ("created", "ENCODING"), "encode": ("ENCODING", "PACKAGING"),
             "assemble": ("PACKAGING", "PACKAGING_end")}
    for label, (start, end) in pairs.items():
        if start in marks and end in marks:
            out[label] = marks[end] - marks[start]
    return out


def wait_published(job_id: str, key: str, timeout_s: float) -> JobModel:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            job = JobModel.get(job_id, consistent_read=True)
        except JobModel.DoesNotExist:
            job = None
        if job is not None and job.status in FINAL:
            if job.status != "PUBLISHED":
                raise BenchError(f"{key}: the job ended {job.status}: {job.error or ''}")
            return job
        time.sleep(JOB_POLL_S)
    raise BenchError(f"{key}: not published after {timeout_s:g} s")


def put_forced(s3: Any, bucket: str, clip: Path, key: str) -> str:
    """PUT ``clip`` marked ``force`` (encode again even if published); its job id."""
    with clip.open("rb") as body:
        sent = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="video/mp4",
                             Metadata={"force": "1"})
    return job_id_for(bucket, key, sent["ETag"])


def upload_and_measure(settings: Settings, s3: Any, clip: Path, key: str, runner_pid: int,
                       timeout_s: float) -> PipelineRun:
    """PUT ``clip`` and wait for PUBLISHED, measuring the runner tree's CPU meanwhile."""
    idle = _tree_rate(runner_pid, IDLE_SAMPLE_S)
    cpu_before, machine_before = tree_cpu_s(runner_pid), machine_cpu()
    started = time.perf_counter()
    job_id = put_forced(s3, settings.uploads_bucket, clip, key)
    put_s = time.perf_counter() - started
    put_done = time.time()
    job = wait_published(job_id, key, timeout_s)
    wall = time.perf_counter() - started
    settle(runner_pid)
    cpu_after, machine_after = tree_cpu_s(runner_pid), machine_cpu()
    cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    machine = (machine_after - machine_before
               if machine_after is not None and machine_before is not None else None)
    return PipelineRun(wall, put_s, cpu, idle, machine, job_stages(job, put_done),
                       str(job.asset_id), int((job.plan or {}).get("chunks", 0)),
                       "processed/" + key.removeprefix("uploads/"))


def runner_env(stack_env: dict[str, str], chunk_seconds: int) -> dict[str, str]:
    return {**stack_env, "NOTFLIX_ENCODER_CONCURRENCY": str(WORKERS),
            "NOTFLIX_ENCODE_CHUNK_SECONDS": str(chunk_seconds)}


def pipeline_round(n: int, settings: Settings, s3: Any, env: dict[str, str], clip: Path,
                   warm_clip: Path, timeout_s: float) -> PipelineRun:
    """A fresh runner: a warm-up upload, then the measured one; then the runner stops and
    its whole life's CPU is read from ``getrusage`` (it is this process's child)."""
    lifetime_before = children_cpu_s()
    with encoder_runner(settings, env) as runner:
        process = runner.processes.get("event-runner")
        if process is None:
            raise BenchError("the event runner did not start")
        try:
            print("  warm-up upload ...", flush=True)
            warm_id = put_forced(s3, settings.uploads_bucket, warm_clip,
                                 f"uploads/bench-chunked-warm-{n}.mp4")
            wait_published(warm_id, "warm-up", timeout_s)
            wait_for_quiet("(1) the chunked pipeline")
            print("  (1) the upload through the chunked pipeline ...", flush=True)
            measured = upload_and_measure(settings, s3, clip,
                                          f"uploads/bench-chunked-{n}.mp4", process.pid,
                                          timeout_s)
        except BaseException:
            print("event-runner.log (tail):\n" + log_tail("event-runner"), file=sys.stderr)
            raise
    lifetime = children_cpu_s() - lifetime_before
    print(f"  {measured.wall_s:.1f} s, runner tree CPU {_fmt(measured.cpu_s)} s",
          flush=True)
    return dataclasses.replace(measured, lifetime_cpu_s=lifetime)


# -- (2) the critical path: each task alone ----------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ChunkRun:
    task: Task
    timing: Timing
    out: Path


@dataclasses.dataclass(frozen=True)
class CriticalPath:
    chunks: list[ChunkRun]
    audio: Timing | None
    hash_mb_s: float  # the planner's content-id hashing, through S3
    assemble_local_s: float  # assemble() of this title, no S3
    assemble_film_s: float  # assemble() of a 120-chunk film, no S3

    @property
    def slowest(self) -> ChunkRun:
        return max(self.chunks, key=lambda c: c.timing.wall_s)

    @property
    def slowest_task_s(self) -> float:
        audio = self.audio.wall_s if self.audio is not None else 0.0
        return max(self.slowest.timing.wall_s, audio)


def wait_for_object(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    """HeadObject of ``key`` once it exists (the job archives the source after PUBLISHED)."""
    from botocore.exceptions import ClientError

    deadline = time.monotonic() + MOVE_WAIT_S
    while True:
        try:
            return dict(s3.head_object(Bucket=bucket, Key=key))
        except ClientError:
            if time.monotonic() > deadline:
                raise BenchError(f"{key} did not appear in {bucket}") from None
            time.sleep(JOB_POLL_S)


def hash_rate(s3: Any, bucket: str, key: str, size: int) -> float:
    """MB/s of the planner's content-id hashing (ranged GETs through S3, 8 at a time)."""
    started = time.perf_counter()
    content_id(s3, bucket, key, size)
    return size / 1e6 / (time.perf_counter() - started)


def _run_encode(argv: list[str], seconds: float, what: str) -> Timing:
    def go() -> None:
        try:
            run(argv, duration_s=seconds, timeout_s=TOOL_TIMEOUT_S)
        except EncodeFailed as exc:
            raise BenchError(f"{what}: {exc}") from exc

    return timed(go)


def _timing_note(timing: Timing) -> str:
    """"41.2 s (CPU 80.1 s, others 0.3 s)": others = the rest of the machine meanwhile (moto
    serving the reads, and anything foreign)."""
    return (f"{timing.wall_s:.1f} s (CPU {_fmt(timing.cpu_s)} s, others "
            f"{_fmt(timing.rest_cpu_s)} s)")


def _unpinned(source: SourceUrl) -> dict[str, str]:
    """The task's input options without the If-Match pin: the benchmark reads the archived
    copy after the job, and in one 600 s run moto answered 412 to the ETag HeadObject had
    just given for that 1.2 GB copy (not reproduced on a 20 MB copy); the pin guards a
    job's source, which the benchmark does not need here."""
    return {k: v for k, v in source.input_options().items() if k != "headers"}


def chunk_alone(source: SourceUrl, info: SourceInfo, ladder: Sequence[Rendition], preset: str,
                task: Task, out: Path) -> ChunkRun:
    """One chunk's ffmpeg exactly as its task builds it (thumbnail tiles included)."""
    out.mkdir(parents=True)
    grid = plan_sprite(info, SPRITE_EVERY_S)
    tiles = plan_tiles(task.start_s, task.end_s, SPRITE_EVERY_S, grid.tile_width,
                       grid.tile_height)
    argv = build_chunk_command(source.url, out, info, ladder, task.start_s, task.end_s,
                               segment_seconds=SEGMENT_SECONDS, preset=preset, tiles=tiles,
                               input_options=_unpinned(source))
    return ChunkRun(task, _run_encode(argv, task.end_s - task.start_s, task.label), out)


def audio_alone(source: SourceUrl, info: SourceInfo, out: Path) -> Timing | None:
    """The audio task's ffmpeg (the whole title's default track), alone."""
    streams = audio_streams(info)
    if not streams:
        return None
    out.mkdir(parents=True)
    argv = audio_command(source.url, out, streams[0], kbps=AUDIO_KBPS,
                         segment_seconds=SEGMENT_SECONDS, input_options=_unpinned(source),
                         language=info.audio_language)
    return _run_encode(argv, info.duration_s, "the audio task")


def critical_path(s3: Any, bucket: str, key: str, info: SourceInfo, preset: str,
                  chunk_seconds: int, work: Path) -> CriticalPath:
    head = wait_for_object(s3, bucket, key)
    rate = hash_rate(s3, bucket, key, int(head["ContentLength"]))
    print(f"  content-id hashing through S3: {rate:.0f} MB/s", flush=True)
    source = source_url(s3, bucket, key, str(head["ETag"]))
    ladder = choose_ladder(info)
    runs = []
    for task in plan_chunks("bench", "bench", info.duration_s, chunk_seconds):
        wait_for_quiet(f"(2) {task.label} alone")
        runs.append(chunk_alone(source, info, ladder, preset, task, work / task.name))
        print(f"  {task.label} alone: {_timing_note(runs[-1].timing)}", flush=True)
    audio = audio_alone(source, info, work / "audio")
    if audio is not None:
        print(f"  audio alone: {_timing_note(audio)}", flush=True)
    local_s, film_s = assemble_times(runs, work / "audio", info, work / "assemble")
    print(f"  assemble() alone: {local_s:.2f} s; of a {FILM_SECONDS // 3600} h film in "
          f"{FILM_SECONDS // FILM_CHUNK_SECONDS} chunks: {film_s:.2f} s", flush=True)
    return CriticalPath(runs, audio, rate, local_s, film_s)


# -- assemble() alone, of this title and of a 2-hour film --------------------------------------
def chunk_result(task: Task, out: Path) -> dict[str, Any]:
    """What the chunk's task hands the assembler (``task_work.encode_chunk``'s result)."""
    rungs = read_rungs((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    moved = [shifted(r, chunk_offset(task.start_s, r.timescale, r.frame_rate)) for r in rungs]
    encoded = max(sum(s.duration for s in r.segments) / r.timescale for r in rungs)
    return {"kind": "chunk", "start_s": task.start_s, "end_s": task.end_s,
            "first_number": task.first_number, "encoded_s": round(encoded, 6),
            "tracks": [track_to_json(t) for t in moved]}


def audio_track(out: Path) -> Track | None:
    if not (out / MANIFEST_NAME).is_file():
        return None
    found = [t for t in read_tracks((out / MANIFEST_NAME).read_text(encoding="utf-8"))
             if t.kind == "audio"]
    return renamed(found[0], "a0", language=None, label="Audio 1", default=True) if found \
        else None


def even_segments(seconds: float, timescale: int, start_s: float = 0.0) -> tuple[Segment, ...]:
    """``seconds`` of SEGMENT_SECONDS segments (the last one shorter) from ``start_s``."""
    step, total = SEGMENT_SECONDS * timescale, round(seconds * timescale)
    first = round(start_s * timescale)
    return tuple(Segment(first + at, min(step, total - at)) for at in range(0, total, step))


def film_results(rungs: Sequence[Track], audio: Track | None, seconds: int,
                 chunk_seconds: int) -> dict[str, dict[str, Any]]:
    """Task results of a ``seconds`` long title in ``chunk_seconds`` chunks whose rungs are
    ``rungs`` (timing made up: whole segments), for timing ``assemble`` on a long film."""
    results: dict[str, dict[str, Any]] = {}
    per_chunk = chunk_seconds // SEGMENT_SECONDS
    for k in range(math.ceil(seconds / chunk_seconds)):
        start, end = k * chunk_seconds, min((k + 1) * chunk_seconds, seconds)
        tracks = [dataclasses.replace(r, segments=even_segments(end - start, r.timescale, start))
                  for r in rungs]
        results[f"chunk-{k:04d}"] = {
            "kind": "chunk", "start_s": float(start), "end_s": float(end),
            "first_number": k * per_chunk + 1, "encoded_s": float(end - start),
            "tracks": [track_to_json(t) for t in tracks]}
    if audio is not None:
        whole = dataclasses.replace(audio, segments=even_segments(seconds, audio.timescale))
        results["audio-0"] = {"kind": "audio", "track": 0, "tracks": [track_to_json(whole)]}
    return results


def stored_names(results: dict[str, dict[str, Any]]) -> set[str]:
    """Every init and media segment the tasks of ``results`` would have published."""
    names: set[str] = set()
    for result in results.values():
        first = int(result.get("first_number", 1))
        for data in result.get("tracks", ()):
            ident = data["id"]
            names.add(f"init-{ident}.m4s")
            names.update(f"chunk-{ident}-{first + n:05d}.m4s"
                         for n in range(len(data["segments"])))
    return names


def time_assemble(results: dict[str, dict[str, Any]], info: SourceInfo, tiles: Sequence[Path],
                  work: Path) -> float:
    """Wall time of ``assemble`` (manifests, playlists, sprite) over ``results``."""
    results = {**results, "artwork": {"kind": "artwork"},
               "text": {"kind": "text", "tracks": []}}
    plan = {"tasks": sorted(results), "segment_seconds": SEGMENT_SECONDS}
    folder = work / "tiles"
    folder.mkdir(parents=True)
    copies = [Path(shutil.copy(tile, folder / tile.name)) for tile in tiles]
    started = time.perf_counter()
    assemble(results, plan, info, copies, work / "out", stored_names(results))
    return time.perf_counter() - started


def assemble_times(runs: Sequence[ChunkRun], audio_out: Path, info: SourceInfo,
                   work: Path) -> tuple[float, float]:
    """``assemble`` of this title from its chunks alone, and of a 2-hour film of 60 s chunks
    built from this title's rungs (its sprite from this title's tiles)."""
    results = {r.task.name: chunk_result(r.task, r.out) for r in runs}
    audio = audio_track(audio_out)
    if audio is not None:
        results["audio-0"] = {"kind": "audio", "track": 0, "tracks": [track_to_json(audio)]}
    tiles = sorted(p for r in runs for p in r.out.glob("tile-*.jpg"))
    local = time_assemble(results, info, tiles, work / "title")
    rungs = read_rungs((runs[0].out / MANIFEST_NAME).read_text(encoding="utf-8"))
    film = film_results(rungs, audio, FILM_SECONDS, FILM_CHUNK_SECONDS)
    film_info = dataclasses.replace(info, duration_s=float(FILM_SECONDS))
    return local, time_assemble(film, film_info, tiles, work / "film")


# -- (3) seams ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Packets:
    pts: list[int]  # presentation times, in the stream's time base, in file order
    time_base: float  # seconds per tick

    @property
    def steps_s(self) -> list[float]:
        ordered = sorted(self.pts)
        return [(b - a) * self.time_base for a, b in itertools.pairwise(ordered)]


def parse_framemd5(text: str) -> Packets:
    """Video packets from ``ffmpeg -c copy -f framemd5`` output (stream 0 only)."""
    time_base = 0.0
    pts: list[int] = []
    for line in text.splitlines():
        if line.startswith("#tb 0:"):
            num, _, den = line.split(":", 1)[1].strip().partition("/")
            time_base = int(num) / int(den)
        elif line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]
            if fields[0] == "0":
                pts.append(int(fields[2]))
    if not time_base:
        raise BenchError("framemd5 gave no time base")
    return Packets(pts, time_base)


def video_packets(path: Path) -> Packets:
    """Every video packet of ``path`` without decoding (one H.264 packet is one frame)."""
    done = run_tool([find_tools().ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
                     "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"],
                    timeout_s=TOOL_TIMEOUT_S)
    return parse_framemd5(done.stdout)


def worst_step_error_s(steps: Sequence[float], frame_s: float) -> float:
    """The largest gap (+) or overlap (-) between consecutive frames, beyond one frame."""
    errors = [step - frame_s for step in steps]
    return max(errors, key=abs, default=0.0)


def worst_discontinuity_s(tracks: Sequence[Track]) -> float:
    """The largest gap (+) or overlap (-) between consecutive segments in the MPD."""
    found = [ticks / t.timescale for t in tracks for _i, ticks in discontinuities(t)]
    return max(found, key=abs, default=0.0)


def end_s(track: Track) -> float:
    last = track.segments[-1]
    return (last.start + last.duration) / track.timescale


def top_rung(tracks: Sequence[Track]) -> Track:
    return max((t for t in tracks if t.kind == "video"),
               key=lambda t: (t.width or 0) * (t.height or 0))


def published_top_rung(s3: Any, bucket: str, asset_id: str, target: Path
                       ) -> tuple[Path, list[Track]]:
    """The published MPD's tracks, and its top rung's init + segments joined in ``target``."""
    prefix = f"media/{asset_id}/"
    manifest = s3.get_object(Bucket=bucket, Key=prefix + MANIFEST)["Body"].read()
    tracks = read_tracks(manifest)
    with target.open("wb") as joined:
        for name in top_rung(tracks).files:
            joined.write(s3.get_object(Bucket=bucket, Key=prefix + name)["Body"].read())
    return target, tracks


def local_top_rung(folder: Path, target: Path) -> Path:
    """The single-pass output's top rung, joined the same way."""
    tracks = read_tracks((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    with target.open("wb") as joined:
        for name in top_rung(tracks).files:
            joined.write((folder / name).read_bytes())
    return target


_MSE = re.compile(r"\bn:(\d+) mse_avg:([0-9.]+|inf|nan)")


def parse_psnr_stats(text: str) -> list[float]:
    """Per-frame average MSE (over Y, U, V by pixel count) from the psnr filter's stats."""
    frames: dict[int, float] = {}
    for found in _MSE.finditer(text):
        frames[int(found.group(1))] = float(found.group(2))
    return [frames[n] for n in sorted(frames)]


def frame_mse(encoded: Path, source: Path, width: int, height: int, work: Path) -> list[float]:
    """Per-frame MSE of ``encoded`` against ``source`` scaled to ``width`` x ``height``,
    frames paired in order (both timed from their first frame)."""
    stats = f"psnr-{encoded.stem}.log"  # relative: ffmpeg runs in ``work``, nothing to escape
    graph = (f"[0:v]setpts=PTS-STARTPTS[enc];[1:v]scale={width}:{height},setpts=PTS-STARTPTS"
             f"[ref];[enc][ref]psnr=stats_file={stats}")
    argv = [find_tools().ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
            "-i", str(encoded.resolve()), "-i", str(source.resolve()), "-lavfi", graph,
            "-an", "-f", "null", "-"]
    done = subprocess.run(argv, cwd=work, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace", timeout=TOOL_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise BenchError(f"PSNR of {encoded.name}: {done.stderr.strip()[-2000:]}")
    return parse_psnr_stats((work / stats).read_text())


def psnr_db(mse: Sequence[float]) -> float:
    """PSNR of 8-bit video from per-frame MSEs (their mean, as ffmpeg's average)."""
    if not mse:
        return float("nan")
    mean = sum(mse) / len(mse)
    return PSNR_CAP_DB if mean <= 0 else min(PSNR_CAP_DB, 10 * math.log10(255 ** 2 / mean))


def seam_frames(chunk_starts: Sequence[float], fps: float, frames: int) -> list[range]:
    """Frame indexes within SEAM_HALF_WINDOW_S of each seam (each chunk's first frame)."""
    half = round(SEAM_HALF_WINDOW_S * fps)
    windows = []
    for start in chunk_starts[1:]:
        first = math.ceil(start * fps - 1e-9)
        windows.append(range(max(0, first - half), min(frames, first + half)))
    return windows


@dataclasses.dataclass(frozen=True)
class Seams:
    frame_s: float
    source_frames: int
    chunked_frames: int
    single_frames: int
    mpd_gap_s: float  # worst segment-to-segment gap/overlap in the published MPD
    pts_gap_s: float  # worst frame-to-frame gap/overlap of the joined top rung, beyond a frame
    av_end_s: float  # audio end - video end, published MPD
    seam_starts: list[float]
    psnr_whole: tuple[float, float]  # (chunked, single pass)
    psnr_seams: tuple[float, float]  # every seam's window pooled
    per_seam: list[tuple[float, float]]  # (chunked, single) per seam

    @property
    def whole_diff(self) -> float:
        return self.psnr_whole[0] - self.psnr_whole[1]

    @property
    def seams_diff(self) -> float:
        return self.psnr_seams[0] - self.psnr_seams[1]

    @property
    def worst_seam(self) -> tuple[float, float]:
        """(seam time, chunked - single dB) of the seam where the chunked rung loses most."""
        diffs = [(at, c - s) for at, (c, s) in zip(self.seam_starts[1:], self.per_seam,
                                                    strict=True)]
        return min(diffs, key=lambda d: d[1], default=(0.0, 0.0))


def window_psnr(mse: Sequence[float], frames: Iterable[int]) -> float:
    return psnr_db([mse[i] for i in frames if i < len(mse)])


def _quality(chunked: Path, single: Path, source: Path, size: tuple[int, int],
             windows: Sequence[range], work: Path
             ) -> tuple[tuple[float, float], tuple[float, float], list[tuple[float, float]]]:
    """PSNR (chunked, single) of the whole title, of every seam window pooled, and per seam."""
    chunked_mse, single_mse = (frame_mse(p, source, *size, work) for p in (chunked, single))
    pooled = sorted({i for w in windows for i in w})
    whole = (psnr_db(chunked_mse), psnr_db(single_mse))
    seams = (window_psnr(chunked_mse, pooled), window_psnr(single_mse, pooled))
    per = [(window_psnr(chunked_mse, w), window_psnr(single_mse, w)) for w in windows]
    return whole, seams, per


def measure_seams(s3: Any, bucket: str, asset_id: str, source: Path, single: Path,
                  info: SourceInfo, chunk_seconds: int, work: Path) -> Seams:
    """(3): the published top rung against the source and the single pass's top rung."""
    work.mkdir(parents=True, exist_ok=True)
    chunked, tracks = published_top_rung(s3, bucket, asset_id, work / "chunked.mp4")
    bare = local_top_rung(single, work / "single.mp4")
    top = top_rung(tracks)
    frame_s = 1 / info.fps
    source_packets, chunked_packets, single_packets = (
        video_packets(p) for p in (source, chunked, bare))
    audio = [t for t in tracks if t.kind == "audio"]
    starts = [t.start_s for t in plan_chunks("bench", "bench", info.duration_s, chunk_seconds)]
    windows = seam_frames(starts, info.fps, len(source_packets.pts))
    size = (top.width or info.width, top.height or info.height)
    whole, seams, per = _quality(chunked, bare, source, size, windows, work)
    return Seams(frame_s, len(source_packets.pts), len(chunked_packets.pts),
                 len(single_packets.pts), worst_discontinuity_s(tracks),
                 worst_step_error_s(chunked_packets.steps_s, frame_s),
                 end_s(audio[0]) - end_s(top) if audio else 0.0, starts, whole, seams, per)


# -- the rounds --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Round:
    pipeline: PipelineRun
    bare: Timing
    critical: CriticalPath

    def stage(self, name: str) -> float:
        value = self.pipeline.stages.get(name)
        if value is None:
            raise BenchError(f"the job record has no {name} stage")
        return value

    @property
    def cpu_ratio(self) -> float | None:
        cpu, bare = self.pipeline.cpu_s, self.bare.cpu_s
        return cpu / bare if cpu is not None and bare else None

    @property
    def critical_s(self) -> float:
        return self.stage("plan") + self.critical.slowest_task_s + self.stage("assemble")

    @property
    def critical_ratio(self) -> float:
        return self.critical_s / self.bare.wall_s


def one_round(n: int, ctx: RunContext) -> Round:
    """(1) through the pipeline, (2) each task alone, then (b) the one bare ffmpeg."""
    folder = ctx.work / f"round-{n}"
    folder.mkdir()
    started = time.perf_counter()
    print(f"round {n}:", flush=True)
    pipeline = pipeline_round(n, ctx.settings, ctx.s3, ctx.runner_env, ctx.clip, ctx.warm_clip,
                              ctx.timeout_s)
    critical = critical_path(ctx.s3, ctx.settings.uploads_bucket, pipeline.source_key, ctx.info,
                             ctx.preset, ctx.chunk_seconds, folder / "alone")
    shutil.rmtree(folder / "alone")
    ctx.s3.delete_object(Bucket=ctx.settings.uploads_bucket, Key=pipeline.source_key)
    wait_for_quiet("(b)")
    print("  (b) one bare ffmpeg for the ladder ...", flush=True)
    bare = one_command(ctx.clip, ctx.info, choose_ladder(ctx.info), ctx.preset,
                       find_tools().ffmpeg, folder, timeout_s=ctx.timeout_s)
    print(f"  {bare.wall_s:.1f} s, CPU {_fmt(bare.cpu_s)} s", flush=True)
    print(f"round {n} took {time.perf_counter() - started:.0f} s", flush=True)
    return Round(pipeline, bare, critical)


@dataclasses.dataclass(frozen=True)
class RunContext:
    work: Path
    settings: Settings
    s3: Any
    runner_env: dict[str, str]
    clip: Path
    warm_clip: Path
    info: SourceInfo
    preset: str
    chunk_seconds: int
    timeout_s: float


# -- the 2-hour film on Lambda -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Projection:
    event_s: float  # S3 event -> queue -> planner invocation (as measured)
    plan_s: float  # the planner, hashing 16 GB at the measured rate
    chunk_s: float  # the slowest 60 s chunk on a Lambda's vCPUs
    audio_s: float  # the audio task over 2 hours on a Lambda's vCPUs
    assemble_s: float  # the assembler over 120 chunks

    @property
    def total_s(self) -> float:
        return self.event_s + self.plan_s + max(self.chunk_s, self.audio_s) + self.assemble_s


def lambda_vcpus() -> float:
    return ENCODER_MEMORY_MB / LAMBDA_MB_PER_VCPU


def cpu_scale() -> float:
    """How much longer an encode takes on a Lambda than on this machine: its cores over the
    function's vCPUs (ffmpeg's encode scales with cores; a core taken as fast as a vCPU)."""
    return (os.cpu_count() or 2) / lambda_vcpus()


def project_film(one: Round, seconds: float, source_bytes: int) -> Projection:
    """The upload-to-playable time of a FILM_SECONDS film of FILM_BYTES on Lambda, from one
    round: the planner's time with the extra bytes hashed at the measured rate; the slowest
    chunk scaled to a 60 s chunk and to the function's vCPUs (a 60 s chunk costs the same
    whatever the film's length); the audio task scaled by duration and vCPUs; the assembler
    as ``assemble()`` of 120 chunks plus its S3 part (reading results and tiles, listing,
    publishing), measured here for this title's chunks and taken as growing with the number
    of chunks (an upper bound: the probe and the publish of the manifests do not)."""
    scale = cpu_scale()
    crit = one.critical
    extra_bytes = max(0.0, FILM_BYTES - source_bytes)
    slowest = crit.slowest
    length = slowest.task.end_s - slowest.task.start_s
    audio = crit.audio.wall_s * FILM_SECONDS / seconds * scale if crit.audio else 0.0
    s3_part = max(0.0, one.stage("assemble") - crit.assemble_local_s)
    film_chunks = math.ceil(FILM_SECONDS / FILM_CHUNK_SECONDS)
    return Projection(
        event_s=one.stage("event"),
        plan_s=one.stage("plan") + extra_bytes / (crit.hash_mb_s * 1e6),
        chunk_s=slowest.timing.wall_s * FILM_CHUNK_SECONDS / length * scale,
        audio_s=audio,
        assemble_s=crit.assemble_film_s + s3_part * film_chunks / max(1, one.pipeline.chunks))


def budget_s() -> float:
    """What an invocation may use: the function's timeout less the pipeline's safety stop."""
    return ENCODER_TIMEOUT_SECONDS - SAFETY_SECONDS


# -- the report --------------------------------------------------------------------------------
def _fmt(value: float | None, spec: str = ".1f") -> str:
    return format(value, spec) if value is not None and not math.isnan(value) else "n/a"


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(known) if known else None


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _row(name: str, wall: float | None, cpu: float | None = None, spec: str = "9.1f") -> None:
    print(f"{name:<64} {_fmt(wall, spec):>9} {_fmt(cpu, spec):>9}")


def report_rounds(rounds: Sequence[Round]) -> None:
    print()
    print(f"{'round':<6} {'pipe s':>8} {'pipe CPU':>9} {'bare s':>8} {'bare CPU':>9} "
          f"{'CPU ratio':>9} {'plan s':>7} {'task s':>7} {'asm s':>7} {'crit s':>7} "
          f"{'crit/bare':>9}")
    for n, one in enumerate(rounds, 1):
        print(f"{n:<6} {one.pipeline.wall_s:8.1f} {_fmt(one.pipeline.cpu_s, '9.1f'):>9} "
              f"{one.bare.wall_s:8.1f} {_fmt(one.bare.cpu_s, '9.1f'):>9} "
              f"{_fmt(one.cpu_ratio, '9.3f'):>9} {one.stage('plan'):7.2f} "
              f"{one.critical.slowest_task_s:7.1f} {one.stage('assemble'):7.2f} "
              f"{one.critical_s:7.1f} {one.critical_ratio:9.3f}")


def report_figures(rounds: Sequence[Round], chunk_len: int) -> None:
    """The median of every figure over the rounds."""
    def med(fn: Callable[[Round], float | None]) -> float | None:
        return _median(fn(r) for r in rounds)

    print()
    print(f"medians of {len(rounds)} round(s)")
    print(f"{'what':<64} {'wall s':>9} {'CPU s':>9}")
    _row(f"(1) chunked pipeline, {WORKERS} workers: PUT -> PUBLISHED (runner tree, warm)",
         med(lambda r: r.pipeline.wall_s), med(lambda r: r.pipeline.cpu_s))
    _row("    the runner's whole life (start, warm-up, upload, stop; rusage)", None,
         med(lambda r: r.pipeline.lifetime_cpu_s))
    _row("    the rest of the machine meanwhile (moto, API, Neo4j, others)", None,
         med(lambda r: _rest(r.pipeline)))
    for stage in ("event", "plan", "encode", "assemble"):
        _row(f"    {STAGE_NAMES[stage]}", _median(r.pipeline.stages.get(stage) for r in rounds),
             spec="9.2f")
    _row("(b) one bare ffmpeg for the whole ladder", med(lambda r: r.bare.wall_s),
         med(lambda r: r.bare.cpu_s))
    _row(f"(2) slowest chunk alone ({chunk_len} s chunks)",
         med(lambda r: r.critical.slowest.timing.wall_s),
         med(lambda r: r.critical.slowest.timing.cpu_s))
    _row("    every chunk alone, one after another (total)",
         med(lambda r: sum(c.timing.wall_s for c in r.critical.chunks)),
         med(lambda r: _sum_cpu(r.critical.chunks)))
    _row("    the audio task alone (the whole title)",
         med(lambda r: r.critical.audio.wall_s if r.critical.audio else None),
         med(lambda r: r.critical.audio.cpu_s if r.critical.audio else None))
    _row("    assemble() alone, no S3 (this title)", med(lambda r: r.critical.assemble_local_s),
         spec="9.2f")
    _row(f"    assemble() alone, no S3 ({FILM_SECONDS // FILM_CHUNK_SECONDS} chunks of a "
         f"{FILM_SECONDS // 3600} h film)", med(lambda r: r.critical.assemble_film_s),
         spec="9.2f")
    _row("    critical path: plan + slowest task alone + assemble", med(lambda r: r.critical_s))
    print(f"content-id hashing through S3: {_fmt(med(lambda r: r.critical.hash_mb_s), '.0f')} "
          f"MB/s; the idle runner's own polling (before the PUT, counted in (1)): "
          f"{_fmt(med(lambda r: r.pipeline.idle_cores), '.3f')} cores")


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _rest(run: PipelineRun) -> float | None:
    if run.machine is None or run.cpu_s is None:
        return None
    return run.machine.busy_s - run.cpu_s


def _sum_cpu(chunks: Sequence[ChunkRun]) -> float | None:
    cpus = [c.timing.cpu_s for c in chunks]
    return sum(c for c in cpus if c is not None) if all(c is not None for c in cpus) else None


STAGE_NAMES = {"event": "event: PUT done -> job created (S3 event, queue, invocation)",
               "plan": "plan: job created -> fanned out (hash, probe, plan)",
               "encode": f"encode: fanned out -> last task done ({WORKERS} workers)",
               "assemble": "assemble: last task done -> PUBLISHED"}


def report_goals(rounds: Sequence[Round]) -> None:
    cpu = _median(r.cpu_ratio for r in rounds)
    crit = _median(r.critical_ratio for r in rounds)
    chunks = rounds[-1].pipeline.chunks
    print()
    if cpu is not None:
        print(f"(1) chunked CPU / bare CPU: {cpu:.3f} (goal <= {MAX_CPU_RATIO:.2f}: "
              f"{_verdict(cpu <= MAX_CPU_RATIO)})")
    alone = _median(_ratio(_sum_cpu(r.critical.chunks), r.bare.cpu_s) for r in rounds)
    if alone is not None:
        print(f"    of which chunking itself: every chunk's ffmpeg alone / bare CPU {alone:.3f} "
              "(the rest: the pipeline's own work)")
    note = "" if chunks == GOAL_CHUNKS else (
        f"; the goal is set for {GOAL_CHUNKS} chunks, this title has {chunks}")
    if crit is not None:
        print(f"(2) critical path / bare wall: {crit:.3f} (goal <= {MAX_CRITICAL_RATIO:.2f} "
              f"for {GOAL_CHUNKS} chunks: {_verdict(crit <= MAX_CRITICAL_RATIO)}{note})")
    noisy = [n for n, r in enumerate(rounds, 1) if _disturbed(r)]
    if noisy:
        print(f"WARNING: other processes used > {FOREIGN_LOAD_WARNING:.0%} of a core during "
              f"(b) or a chunk alone in round(s) {noisy}: re-run on a quiet machine")


def _disturbed(one: Round) -> bool:
    timings = [one.bare, *(c.timing for c in one.critical.chunks)]
    return any(t.rest_cpu_s is not None and t.rest_cpu_s > FOREIGN_LOAD_WARNING * t.wall_s
               for t in timings)


def report_projection(projections: Sequence[Projection]) -> None:
    def med(fn: Callable[[Projection], float]) -> float:
        return float(statistics.median(fn(p) for p in projections))

    budget = budget_s()
    print()
    print(f"projection: a {FILM_SECONDS // 3600} h 1080p film ({FILM_BYTES / 1e9:.0f} GB, "
          f"{FILM_SECONDS // FILM_CHUNK_SECONDS} chunks of {FILM_CHUNK_SECONDS} s) on Lambda "
          f"({ENCODER_MEMORY_MB} MB = {lambda_vcpus():.2f} vCPUs; encodes here x "
          f"{cpu_scale():.2f} for {os.cpu_count()} cores -> those vCPUs)")
    rows = [("S3 event -> planner invocation (as measured)", med(lambda p: p.event_s), False),
            ("planner (measured + the extra bytes hashed)", med(lambda p: p.plan_s), True),
            ("slowest 60 s chunk", med(lambda p: p.chunk_s), True),
            ("audio task (whole film)", med(lambda p: p.audio_s), True),
            ("assembler (120 chunks)", med(lambda p: p.assemble_s), True)]
    for name, seconds, invocation in rows:
        margin = (f"  {budget / seconds:5.1f}x inside {budget:.0f} s "
                  f"({_verdict(budget / seconds >= MIN_HEADROOM)} the {MIN_HEADROOM:g}x margin)"
                  if invocation and seconds > 0 else "")
        print(f"  {name:<46} {seconds:8.1f} s{margin}")
    print(f"  {'upload -> playable':<46} {med(lambda p: p.total_s):8.1f} s "
          "(event + planner + the slower of chunk and audio + assembler)")


def report_seams(seams: Seams) -> None:
    frame = seams.frame_s
    at, worst = seams.worst_seam
    print()
    print(f"(3) seams of the published top rung ({len(seams.seam_starts) - 1} seams)")
    same = seams.source_frames == seams.chunked_frames
    print(f"  frames: source {seams.source_frames}, chunked {seams.chunked_frames}, single pass "
          f"{seams.single_frames} ({'equal' if same else 'DIFFERENT'})")
    for name, value in (("gap/overlap between segments (MPD)", seams.mpd_gap_s),
                        ("gap/overlap between frames (joined file)", seams.pts_gap_s),
                        ("audio end - video end (MPD)", seams.av_end_s)):
        print(f"  {name:<44} {value * 1000:+8.2f} ms "
              f"({_verdict(abs(value) < frame)}: under one frame, {frame * 1000:.2f} ms)")
    print(f"  {'PSNR dB':<44} {'chunked':>8} {'single':>8} {'diff':>7}")
    for name, (chunked, single) in (("whole title", seams.psnr_whole),
                                    (f"+-{SEAM_HALF_WINDOW_S:g} s around every seam, pooled",
                                     seams.psnr_seams)):
        print(f"  {name:<44} {chunked:8.2f} {single:8.2f} {chunked - single:+7.2f}")
    for start, (chunked, single) in zip(seams.seam_starts[1:], seams.per_seam, strict=True):
        print(f"    seam at {start:7.1f} s{'':<26} {chunked:8.2f} {single:8.2f} "
              f"{chunked - single:+7.2f}")
    ok = seams.whole_diff >= -MAX_PSNR_LOSS_DB and worst >= -MAX_PSNR_LOSS_DB
    print(f"  chunked within {MAX_PSNR_LOSS_DB} dB of the single pass (whole title and the worst "
          f"seam, {worst:+.2f} dB at {at:g} s): {_verdict(ok)}")


def report(rounds: Sequence[Round], seams: Seams | None, seconds: int, source_bytes: int,
           chunk_len: int) -> None:
    report_rounds(rounds)
    report_figures(rounds, chunk_len)
    report_goals(rounds)
    report_projection([project_film(r, seconds, source_bytes) for r in rounds])
    if seams is not None:
        report_seams(seams)
    print()
    print("(1) CPU: the runner's process tree (/proc: runner, worker processes and their ffmpeg")
    print("    and ffprobe children) from the PUT to PUBLISHED and idle again, warm; (b): the")
    print("    bare ffmpeg's rusage. The pipeline also makes the poster, the sprite's tiles, the")
    print("    probe and the hash, and polls SQS; (b) encodes the ladder and the audio only.")
    print("(2) each task alone: its ffmpeg on the presigned URL, nothing else running; the")
    print("    planner and the assembler from the job record's stage times in (1).")


# -- the run -----------------------------------------------------------------------------------
@contextmanager
def bench_stack() -> Iterator[tuple[Settings, dict[str, str]]]:
    extra_env = {"NOTFLIX_AWS_PORT": str(free_port()), "NOTFLIX_REDIS_PORT": str(free_port()),
                 "NOTFLIX_NEO4J_PORT": str(free_port()),
                 "NOTFLIX_PAYPAL_PORT": str(free_port()),
                 "NOTFLIX_PREFIX": unique("bench-chunk-")}
    print("starting a private stack ...", flush=True)
    with private_stack(extra_env=extra_env) as (settings, _api_url):
        # private_stack's own environment: the process's (NOTFLIX_LOCAL_DIR now set) + ports
        yield settings, {**os.environ, **extra_env}


def make_sources(work: Path, seconds: int, kind: str) -> tuple[Path, Path]:
    ffmpeg = find_tools().ffmpeg
    print(f"generating a {seconds} s 1080p30 {kind} source ...", flush=True)
    started = time.perf_counter()
    clip = make_clip(ffmpeg, work / "source.mp4", seconds, kind)
    print(f"  {clip.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
          flush=True)
    return clip, make_clip(ffmpeg, work / "warmup.mp4", WARMUP_SECONDS, kind, tone_hz=880)


def main(seconds: int = SECONDS, rounds: int = 1, chunk_seconds: int = CHUNK_SECONDS,
         kind: str = "camera") -> int:
    started = time.perf_counter()
    tools, preset = find_tools(), pipeline_preset()
    chunk_len = chunk_seconds_for(chunk_seconds)
    print(f"chunked: ffmpeg {tools.ffmpeg} ({tools.origin}); preset {preset}; "
          f"{os.cpu_count()} CPUs; {chunk_len} s chunks; {WORKERS} workers", flush=True)
    done: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="bench-chunked-") as tmp:
        work = Path(tmp)
        clip, warm_clip = make_sources(work, seconds, kind)
        info = probe(clip)
        with bench_stack() as (settings, stack_env):
            resources = Resources(settings)
            bind_models(settings, JOB_MODELS)
            try:
                ctx = RunContext(work, settings, resources.s3, runner_env(stack_env, chunk_len),
                                 clip, warm_clip, info, preset, chunk_len,
                                 timeout_s=600.0 + 4 * seconds)
                for n in range(1, max(1, rounds) + 1):
                    done.append(one_round(n, ctx))
                print("(3) seams ...", flush=True)
                seams_started = time.perf_counter()
                seams = measure_seams(resources.s3, settings.media_bucket,
                                      done[-1].pipeline.asset_id, clip,
                                      work / f"round-{len(done)}" / "single", info, chunk_len,
                                      work / "seams")
                print(f"  {time.perf_counter() - seams_started:.0f} s", flush=True)
            finally:
                resources.close()
        report(done, seams, seconds, clip.stat().st_size, chunk_len)
    print(f"the whole run took {(time.perf_counter() - started) / 60:.1f} min")
    return 0
