"""Encode a whole ladder to MPEG-DASH (+ HLS over the same fMP4 segments) in ONE ffmpeg run.

The command (built with ffmpeg-python) decodes the source once, scales it down the ladder in a
cascade (each rung from the one above it), encodes each rung with libx264 with keyframes forced
on every segment boundary (so every representation's segments line up and players can switch
between them),
encodes the audio ONCE to AAC (shared by every video representation), and writes through the
dash muxer: ``manifest.mpd`` with SegmentTemplate + SegmentTimeline, one adaptation set for the
video and one for the audio, and the muxer's HLS output (``master.m3u8`` + ``media_N.m3u8``)
over the very same segment files.

:func:`run` runs such a command with ``-progress pipe:1``, reporting the fraction done, polling
a stop flag and enforcing a timeout.
"""

from __future__ import annotations

import math
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ffmpeg  # ffmpeg-python

from encoder_lambda.media.binaries import STDERR_TAIL_LINES, ToolFailed, find_tools
from encoder_lambda.media.ladder import Rendition
from encoder_lambda.media.probe import SourceInfo
from encoder_lambda.media.thumbnails import SpritePlan, sprite_output

DEFAULT_PRESET = "veryfast"
MANIFEST_NAME = "manifest.mpd"
HLS_MASTER_NAME = "master.m3u8"
INIT_SEG_NAME = "init-$RepresentationID$.$ext$"
MEDIA_SEG_NAME = "chunk-$RepresentationID$-$Number%05d$.$ext$"
MAX_FPS = 60.0
AUDIO_SAMPLE_RATE = 48000
AUDIO_CHANNELS = 2
POLL_SECONDS = 0.5
KILL_GRACE_SECONDS = 1.0

ProgressCallback = Callable[[float], None]
StopCheck = Callable[[], bool]


class EncodeFailed(ToolFailed):
    """ffmpeg exited non-zero; ``stderr_tail`` holds its last lines."""


class EncodeTimedOut(EncodeFailed):
    """The encode ran past its time limit and was stopped."""


class EncodeCancelled(RuntimeError):
    """``should_stop()`` said so; ffmpeg was stopped and its output is incomplete."""


@dataclass(frozen=True)
class EncodeResult:
    elapsed_s: float
    out_time_s: float  # media time ffmpeg reported last
    speed: float | None  # x realtime, as ffmpeg reported last
    stderr_tail: str  # warnings, if any


def build_command(
    src: str | Path,
    out_dir: str | Path,
    info: SourceInfo,
    ladder: Sequence[Rendition],
    segment_seconds: float = 4,
    *,
    preset: str = DEFAULT_PRESET,
    ffmpeg_path: str | None = None,
    progress_period_s: float = POLL_SECONDS,
    threads: int | None = None,
    sprite: tuple[SpritePlan, Path] | None = None,
) -> list[str]:
    """argv of the one ffmpeg run that writes ``out_dir/manifest.mpd`` and its segments.

    With ``sprite=(plan, folder)`` the same run also tiles the thumbnail sprite into
    ``folder`` from its smallest rung. ``out_dir`` must exist when the command runs (see
    :func:`encode`).
    """
    if not ladder:
        raise ValueError("the ladder is empty")
    if not info.has_video:
        raise ValueError("the source has no video")
    source = ffmpeg.input(str(src))
    video = source[str(info.video_index)] if info.video_index is not None else source["v:0"]
    target_fps = _capped_fps(info.fps)
    if target_fps != info.fps:
        video = video.filter("fps", fps=f"{target_fps:.6g}")
    outputs, smallest = scaled_ladder(video, ladder, keep_smallest=sprite is not None)
    options: dict[str, Any] = {
        "format": "dash",
        "c:v": "libx264",
        "preset": preset,
        "force_key_frames": f"expr:gte(t,n_forced*{segment_seconds:g})",
        "sc_threshold": 0,
    }
    if target_fps > 0:
        # x264 never adds a keyframe of its own inside a segment: the forced ones rule.
        options["g"] = 2 * math.ceil(target_fps * segment_seconds)
    for i, rung in enumerate(ladder):
        options[f"b:v:{i}"] = f"{rung.video_kbps}k"
        options[f"maxrate:v:{i}"] = f"{rung.maxrate_kbps}k"
        options[f"bufsize:v:{i}"] = f"{rung.bufsize_kbps}k"
    adaptation_sets = "id=0,streams=v"
    if info.has_audio:
        audio_index = info.audio_index
        outputs.append(source[str(audio_index)] if audio_index is not None else source["a:0"])
        options.update({
            "c:a": "aac",
            "b:a": f"{max(r.audio_kbps for r in ladder)}k",
            "ac": AUDIO_CHANNELS,
            "ar": AUDIO_SAMPLE_RATE,
        })
        if info.audio_language:
            options["metadata:s:a:0"] = f"language={info.audio_language}"
        adaptation_sets += " id=1,streams=a"
    if threads:
        options["threads"] = threads
    options.update(dash_muxer_options(segment_seconds, adaptation_sets))
    options.update({"hls_playlist": 1, "hls_master_name": HLS_MASTER_NAME})
    manifest = str(Path(out_dir) / MANIFEST_NAME)
    dash = ffmpeg.output(*outputs, manifest, **options)
    if sprite is not None and smallest is not None:
        dash = ffmpeg.merge_outputs(dash, sprite_output(smallest, sprite[0], sprite[1]))
    stream = dash.global_args(*progress_args()[:-1], f"{progress_period_s:g}")
    exe = ffmpeg_path or find_tools().ffmpeg
    argv: list[str] = stream.compile(cmd=exe, overwrite_output=True)
    return argv


def dash_muxer_options(segment_seconds: float, adaptation_sets: str) -> dict[str, Any]:
    """The dash muxer's options every encode here uses: fMP4 segments of ``segment_seconds``
    named by representation and number, a SegmentTemplate with a timeline, no metadata."""
    return {
        "map_metadata": -1,
        "map_chapters": -1,
        "dash_segment_type": "mp4",
        "seg_duration": f"{segment_seconds:g}",
        "use_template": 1,
        "use_timeline": 1,
        "adaptation_sets": adaptation_sets,
        "init_seg_name": INIT_SEG_NAME,
        "media_seg_name": MEDIA_SEG_NAME,
        "streaming": 0,
        "remove_at_exit": 0,
    }


def progress_args() -> tuple[str, ...]:
    """Global arguments of a run that :func:`run` follows: quiet, progress on stdout."""
    return ("-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
            "-progress", "pipe:1", "-stats_period", f"{POLL_SECONDS:g}")


def encode(
    src: str | Path,
    out_dir: str | Path,
    info: SourceInfo,
    ladder: Sequence[Rendition],
    segment_seconds: float = 4,
    *,
    preset: str = DEFAULT_PRESET,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    timeout_s: float | None = None,
    sprite: tuple[SpritePlan, Path] | None = None,
) -> EncodeResult:
    """Create ``out_dir`` (and the sprite's folder), build the command and :func:`run` it."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if sprite is not None:
        sprite[1].mkdir(parents=True, exist_ok=True)
    command = build_command(src, out_dir, info, ladder, segment_seconds, preset=preset,
                            sprite=sprite)
    return run(command, duration_s=info.duration_s, on_progress=on_progress,
               should_stop=should_stop, timeout_s=timeout_s)


def run(
    command: Sequence[str],
    *,
    duration_s: float,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    timeout_s: float | None = None,
    poll_s: float = POLL_SECONDS,
) -> EncodeResult:
    """Run an ffmpeg ``command`` that writes ``-progress pipe:1`` to stdout.

    ``on_progress(fraction)`` is called on the caller's thread with increasing fractions of
    ``duration_s`` (ending with 1.0 on success); ``should_stop()`` is polled about every
    ``poll_s`` seconds. Raises :class:`EncodeCancelled` when stopped, :class:`EncodeTimedOut`
    past ``timeout_s``, :class:`EncodeFailed` (with the last lines of stderr) on a non-zero
    exit. ffmpeg is never left running when this returns or raises.
    """
    started = time.monotonic()
    deadline = started + timeout_s if timeout_s is not None else None
    events: queue.Queue[tuple[str, float] | None] = queue.Queue()
    stderr_lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    proc = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        bufsize=1,
    )
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_read_progress, args=(proc.stdout, events), daemon=True),
        threading.Thread(target=_read_lines, args=(proc.stderr, stderr_lines), daemon=True),
    ]
    for reader in readers:
        reader.start()
    reported = 0.0
    out_time = 0.0
    speed: float | None = None
    next_stop_check = started
    try:
        finished = False
        while not finished:
            try:
                event = events.get(timeout=poll_s)
            except queue.Empty:
                event = ("idle", 0.0)
            if event is None:  # stdout closed: ffmpeg is exiting
                finished = True
            elif event[0] == "time":
                out_time = max(out_time, event[1])
                fraction = min(1.0, out_time / duration_s) if duration_s > 0 else 0.0
                if on_progress is not None and fraction > reported:
                    reported = fraction
                    on_progress(fraction)
            elif event[0] == "speed":
                speed = event[1]
            now = time.monotonic()
            if should_stop is not None and now >= next_stop_check:
                next_stop_check = now + poll_s
                if should_stop():
                    _stop(proc)
                    raise EncodeCancelled("the encode was cancelled")
            if deadline is not None and now > deadline:
                _stop(proc)
                raise EncodeTimedOut(_tail(stderr_lines, f"timed out after {timeout_s:g} s"))
        returncode = _wait(proc, deadline, should_stop, poll_s)
    finally:
        if proc.poll() is None:
            _stop(proc)
        for reader in readers:
            reader.join(timeout=5)
    if returncode != 0:
        raise EncodeFailed(_tail(stderr_lines), returncode)
    if on_progress is not None and reported < 1.0:
        on_progress(1.0)
    return EncodeResult(
        elapsed_s=time.monotonic() - started,
        out_time_s=out_time,
        speed=speed,
        stderr_tail="\n".join(stderr_lines),
    )


def parse_progress_line(line: str) -> tuple[str, float] | None:
    """``("time", seconds)`` or ``("speed", x)`` from one ``-progress`` line, else None.

    ``out_time_ms`` is in microseconds too (a long-standing ffmpeg quirk).
    """
    key, sep, value = line.strip().partition("=")
    if not sep:
        return None
    value = value.strip()
    if key in ("out_time_us", "out_time_ms"):
        try:
            return ("time", max(0.0, int(value) / 1_000_000))
        except ValueError:
            return None
    if key == "out_time":
        try:
            hours, minutes, seconds = value.lstrip("-").split(":")
            total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            return None
        return ("time", 0.0 if value.startswith("-") else total)
    if key == "speed" and value.endswith("x"):
        try:
            return ("speed", float(value[:-1]))
        except ValueError:
            return None
    return None


def _read_progress(stream: IO[str], events: queue.Queue[tuple[str, float] | None]) -> None:
    try:
        for line in stream:
            event = parse_progress_line(line)
            if event is not None:
                events.put(event)
    finally:
        events.put(None)


def _read_lines(stream: IO[str], lines: deque[str]) -> None:
    for line in stream:
        lines.append(line.rstrip())


def _wait(
    proc: subprocess.Popen[str],
    deadline: float | None,
    should_stop: StopCheck | None,
    poll_s: float,
) -> int:
    """Exit status once stdout has closed, still honouring the stop flag and the deadline."""
    while True:
        try:
            return proc.wait(timeout=poll_s)
        except subprocess.TimeoutExpired:
            if should_stop is not None and should_stop():
                _stop(proc)
                raise EncodeCancelled("the encode was cancelled") from None
            if deadline is not None and time.monotonic() > deadline:
                _stop(proc)
                raise EncodeTimedOut("timed out while ffmpeg was exiting") from None


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if ffmpeg has not exited within the grace period."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(lines: deque[str], extra: str | None = None) -> str:
    text = list(lines) + ([extra] if extra else [])
    return "\n".join(text[-STDERR_TAIL_LINES:])


def scaled_ladder(video: Any, ladder: Sequence[Rendition], *, keep_smallest: bool
                   ) -> tuple[list[Any], Any | None]:
    """One yuv420p stream per rung, in the ladder's order, each scaled from the rung above.

    The biggest rung is scaled from the source, every smaller one from the next bigger (a
    cascade: 1080p -> 720p -> 480p ...), which costs far less than scaling every rung from the
    full-size frames and looks the same at these 1.3-1.5x steps. ``scale`` also sets each
    rung's sample aspect ratio so that every rung keeps the source's display aspect ratio
    exactly, which the dash muxer demands within an adaptation set (an even-rounded 854x480
    beside 1280x720 comes out with sar 1280:1281): no setsar=1. With ``keep_smallest`` the
    smallest rung's frames are also returned for another use (the sprite).
    """
    order = sorted(range(len(ladder)), key=lambda i: ladder[i].width * ladder[i].height,
                   reverse=True)
    outputs: list[Any] = [None] * len(ladder)
    above = video
    smallest: Any | None = None
    for position, index in enumerate(order):
        rung = ladder[index]
        scaled = above.filter("scale", rung.width, rung.height).filter("format", "yuv420p")
        last = position == len(order) - 1
        if last and not keep_smallest:
            outputs[index] = scaled
            break
        branches = scaled.split()
        outputs[index] = branches[0]
        if last:
            smallest = branches[1]
        else:
            above = branches[1]
    return outputs, smallest


def _capped_fps(fps: float) -> float:
    """Halve frame rates above 60 (120 -> 60, 240 -> 60) for the ladder; keep others."""
    target = fps
    while target > MAX_FPS + 0.5:
        target /= 2
    return target
