"""What each kind of task does, given the source's URL and description.

Every task reads only what it needs of the source through its presigned URL, writes its
published files straight under ``media/<asset id>/`` (segments, poster, subtitles) and
returns a small result for the assembler; nothing here touches the job record except
through the ``report`` callback (progress, which also says whether to go on).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from encoder_lambda.media.binaries import ToolFailed
from encoder_lambda.media.chunk_encode import (
    TILE_PATTERN,
    audio_command,
    build_chunk_command,
    plan_tiles,
)
from encoder_lambda.media.encode import EncodeCancelled, EncodeFailed, run
from encoder_lambda.media.fmp4 import retime_segment
from encoder_lambda.media.ladder import AUDIO_KBPS, Rendition
from encoder_lambda.media.packaging import Track, chunk_offset, read_rungs, read_tracks
from encoder_lambda.media.probe import SourceInfo
from encoder_lambda.media.subtitles import (
    InvalidSubtitles,
    extract,
    language_from_name,
    to_webvtt,
)
from encoder_lambda.media.thumbnails import plan_sprite, poster, poster_time
from encoder_lambda.publish import publish
from encoder_lambda.source_url import SourceUrl, was_replaced
from encoder_lambda.task_store import TaskStore
from encoder_lambda.tasks import Task
from encoder_lambda.track_json import renamed, shifted, track_to_json

logger = Logger(service="notflix-encoder", use_rfc3339=True)
#: A chunk whose video ends this much before its range does is a truncated source.
SHORT_TOLERANCE_S = 0.5
SPRITE_EVERY_S = 10.0


class TaskStopped(Exception):
    """The job no longer wants this task's work (cancelled, failed elsewhere, out of time)."""


class SourceShort(Exception):
    """The source's video ends before the duration its container declares."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SourceReplaced(Exception):
    """A newer object replaced the upload while this task read it."""


@dataclass
class TaskEnv:
    s3: Any
    media_bucket: str
    store: TaskStore
    source: SourceUrl
    info: SourceInfo
    ladder: list[Rendition]
    workdir: Path
    preset: str
    #: (fraction) -> go on?  Also the job's heartbeat.
    report: Callable[[float], bool]
    #: Polled while ffmpeg runs: True stops it.
    should_stop: Callable[[], bool]
    segment_seconds: int = 4
    sidecars: tuple[str, ...] = ()
    uploads_bucket: str = ""


def run_task(env: TaskEnv, task: Task) -> dict[str, Any]:
    work = env.workdir / task.job_id / task.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        if task.kind == "chunk":
            return encode_chunk(env, task, work)
        if task.kind == "audio":
            return encode_audio(env, task, work)
        if task.kind == "artwork":
            return make_artwork(env, task, work)
        return make_text_tracks(env, task, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(env: TaskEnv, argv: list[str], duration_s: float) -> None:
    def progress(fraction: float) -> None:
        env.report(fraction)

    try:
        run(argv, duration_s=duration_s, on_progress=progress, should_stop=env.should_stop)
    except EncodeCancelled as exc:
        raise TaskStopped(str(exc)) from exc
    except EncodeFailed as exc:
        if was_replaced(exc.stderr_tail):
            raise SourceReplaced(exc.stderr_tail) from exc
        raise


def encode_chunk(env: TaskEnv, task: Task, work: Path) -> dict[str, Any]:
    out = work / "out"
    out.mkdir()
    grid = plan_sprite(env.info, SPRITE_EVERY_S)
    tiles = plan_tiles(task.start_s, task.end_s, SPRITE_EVERY_S, grid.tile_width,
                       grid.tile_height)
    argv = build_chunk_command(env.source.url, out, env.info, env.ladder, task.start_s,
                               task.end_s, segment_seconds=env.segment_seconds,
                               preset=env.preset, tiles=tiles,
                               input_options=env.source.input_options())
    length = task.end_s - task.start_s
    _run(env, argv, length)
    rungs = read_rungs((out / "manifest.mpd").read_text(encoding="utf-8"))
    expected = round(length / env.segment_seconds + 0.4999)
    files: list[tuple[Path, str]] = []
    moved_tracks: list[Track] = []
    encoded_s = 0.0
    for rung in rungs:
        count = len(rung.segments)
        if count > expected:
            raise EncodeFailed(f"{task.label} made {count} segments of rung {rung.id}, "
                               f"at most {expected} fit its range", 0)
        # the chunk's first frame, which is at or just after its cut (8.008 s at 29.97 fps)
        offset = chunk_offset(task.start_s, rung.timescale, rung.frame_rate)
        moved_tracks.append(shifted(rung, offset))
        for n in range(count):
            local = out / f"chunk-{rung.id}-{n + 1:05d}.m4s"
            name = f"chunk-{rung.id}-{task.first_number + n:05d}.m4s"
            target = out / ("g-" + name)
            target.write_bytes(retime_segment(local.read_bytes(), offset,
                                              task.first_number - 1))
            files.append((target, name))
        if task.first_number == 1:
            files.append((out / f"init-{rung.id}.m4s", f"init-{rung.id}.m4s"))
        encoded_s = max(encoded_s, sum(s.duration for s in rung.segments) / rung.timescale)
    if encoded_s < length - SHORT_TOLERANCE_S:
        raise SourceShort(f"The source ends at {task.start_s + encoded_s:.2f} s of a declared "
                          f"{env.info.duration_s:.2f} s; the file is probably truncated.")
    if not env.report(1.0):
        raise TaskStopped("the job stopped before the chunk was stored")
    publish(env.s3, env.media_bucket, task.asset_id, files)
    tile_paths = sorted(out.glob(TILE_PATTERN.replace("%05d", "*")))
    for path in tile_paths:
        env.store.put_tile(task.job_id, path)
    return {"kind": "chunk", "start_s": task.start_s, "end_s": task.end_s,
            "first_number": task.first_number, "encoded_s": round(encoded_s, 6),
            "tracks": [track_to_json(t) for t in moved_tracks], "tiles": len(tile_paths)}


def encode_audio(env: TaskEnv, task: Task, work: Path) -> dict[str, Any]:
    out = work / "out"
    out.mkdir()
    assert task.stream_index is not None, "an audio task names its stream"
    track = _audio_track(env.info, task.stream_index)
    argv = audio_command(env.source.url, out, task.stream_index, kbps=AUDIO_KBPS,
                         segment_seconds=env.segment_seconds,
                         input_options=env.source.input_options(),
                         language=track.get("language"))
    _run(env, argv, env.info.duration_s)
    audio = [t for t in read_tracks((out / "manifest.mpd").read_text(encoding="utf-8"))
             if t.kind == "audio"]
    if not audio:
        raise EncodeFailed(f"{task.label}: ffmpeg wrote no audio", 0)
    local = audio[0]
    ident = f"a{task.track}"
    files = [(out / f"init-{local.id}.m4s", f"init-{ident}.m4s")]
    files += [(out / f"chunk-{local.id}-{n:05d}.m4s", f"chunk-{ident}-{n:05d}.m4s")
              for n in range(1, len(local.segments) + 1)]
    named = renamed(local, ident, language=track.get("language"),
                    label=track.get("label") or f"Audio {task.track + 1}",
                    default=task.track == 0)
    if not env.report(1.0):
        raise TaskStopped("the job stopped before the audio was stored")
    publish(env.s3, env.media_bucket, task.asset_id, files)
    return {"kind": "audio", "track": task.track, "tracks": [track_to_json(named)]}


def _audio_track(info: SourceInfo, stream_index: int) -> dict[str, Any]:
    for track in getattr(info, "audio_tracks", ()):
        if track.index == stream_index:
            return {"language": track.language, "label": track.title}
    return {"language": info.audio_language, "label": None}


def make_artwork(env: TaskEnv, task: Task, work: Path) -> dict[str, Any]:
    """The poster, 10% in; a source whose declared length is wrong gets its first frame."""
    target = work / "poster.jpg"
    taken_at = poster_time(env.info)
    try:
        poster(env.source.url, target, taken_at, video_index=env.info.video_index)
    except ToolFailed:
        logger.warning("no frame at the poster's time; using the first", at_s=taken_at)
        taken_at = 0.0
        poster(env.source.url, target, 0.0, video_index=env.info.video_index)
    env.report(1.0)
    publish(env.s3, env.media_bucket, task.asset_id, [(target, "poster.jpg")])
    return {"kind": "artwork", "poster_at_s": taken_at}


def make_text_tracks(env: TaskEnv, task: Task, work: Path) -> dict[str, Any]:
    """Sidecar .srt/.vtt files uploaded beside the video, then the source's own text tracks."""
    out = work / "out"
    out.mkdir()
    tracks: list[dict[str, str]] = []

    def add(vtt: str, language: str | None, label: str) -> None:
        lang = language or "und"
        name = f"subtitles-{lang}.vtt"
        if any(t["file"] == name for t in tracks):
            name = f"subtitles-{lang}-{len(tracks)}.vtt"
        (out / name).write_text(vtt, encoding="utf-8")
        tracks.append({"file": name, "language": lang, "label": label})

    for key in env.sidecars:
        raw = env.s3.get_object(Bucket=env.uploads_bucket, Key=key)["Body"].read()
        try:
            add(to_webvtt(raw), language_from_name(key), Path(key).name)
        except InvalidSubtitles as exc:
            logger.warning("subtitles skipped", key=key, reason=exc.reason)
    try:
        found = extract(env.source.url, work / "scratch", env.info)
    except (ToolFailed, subprocess.SubprocessError) as exc:
        logger.warning("the source's own subtitles could not be read", error=str(exc)[:200])
        found = []
    for item in found:
        add(item.path.read_text(encoding="utf-8"), item.language,
            item.title or item.language or f"track {item.stream_index}")
    env.report(1.0)
    publish(env.s3, env.media_bucket, task.asset_id,
            [(out / t["file"], t["file"]) for t in tracks])
    return {"kind": "text", "tracks": tracks}
