"""Encode one chunk of a source: every rung of the ladder over one time range, video only.

ffmpeg seeks on the input (``-ss`` before ``-i``: over HTTP it reads from the nearest
keyframe's bytes on) and stops after the chunk's length, so the chunk's output timestamps
start at 0. The same cascade as the single-pass encode scales the rungs; keyframes are forced
on every segment boundary, and since a chunk starts on a segment boundary too, its segments
are exactly the global segments ``first_number ...``. The dash muxer writes each rung's
``init-<i>.m4s`` and ``chunk-<i>-<n>.m4s`` (n = 1.. in the chunk) and a manifest the caller
reads for codecs and timings; :mod:`encoder_lambda.media.fmp4` then shifts the segments'
timestamps to the chunk's place in the title.

The same run also writes the chunk's thumbnail tiles (one frame every ``every_s`` seconds of
the title, from the smallest rung): the sprite is tiled from them when the title is assembled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg  # ffmpeg-python

from encoder_lambda.media.binaries import find_tools
from encoder_lambda.media.encode import (
    DEFAULT_PRESET,
    MANIFEST_NAME,
    dash_muxer_options,
    progress_args,
    scaled_ladder,
)
from encoder_lambda.media.ladder import Rendition
from encoder_lambda.media.probe import SourceInfo
from encoder_lambda.media.video_filters import capped_fps, output_color_options, prepare

TILE_PATTERN = "tile-%05d.jpg"
JPEG_QUALITY = 3


@dataclass(frozen=True)
class TilePlan:
    """Thumbnail tiles of a chunk: one at each multiple of ``every_s`` in the chunk's range."""

    every_s: float
    width: int
    height: int
    first_index: int  # global index (from 1) of the chunk's first tile
    first_at_s: float  # chunk-relative time of the first tile
    count: int


def plan_tiles(start_s: float, end_s: float, every_s: float, width: int, height: int
               ) -> TilePlan | None:
    """Tiles at ``j * every_s`` for every j with ``start_s <= j * every_s < end_s``."""
    first = math.ceil(start_s / every_s - 1e-9)
    last = math.ceil(end_s / every_s - 1e-9) - 1
    if last < first:
        return None
    return TilePlan(every_s, width, height, first + 1, first * every_s - start_s,
                    last - first + 1)


def build_chunk_command(
    source: Sequence[str] | str,
    out_dir: str | Path,
    info: SourceInfo,
    ladder: Sequence[Rendition],
    start_s: float,
    end_s: float,
    *,
    segment_seconds: float = 4,
    preset: str = DEFAULT_PRESET,
    tiles: TilePlan | None = None,
    input_options: dict[str, str] | None = None,
    ffmpeg_path: str | None = None,
    threads: int | None = None,
) -> list[str]:
    """argv of the run that encodes ``start_s``..``end_s`` of ``source`` into ``out_dir``.

    ``source`` is a path or URL; ``input_options`` go before ``-i`` (the presigned URL's
    ``If-Match`` header, reconnects).
    """
    if not ladder:
        raise ValueError("the ladder is empty")
    length = end_s - start_s
    if length <= 0:
        raise ValueError("the chunk is empty")
    options_in: dict[str, Any] = {"ss": f"{start_s:.6f}", **(input_options or {})}
    src = ffmpeg.input(str(source), **options_in)
    video = src[str(info.video_index)] if info.video_index is not None else src["v:0"]
    video = prepare(video, info)
    outputs, smallest = scaled_ladder(video, ladder, keep_smallest=tiles is not None)
    target_fps = capped_fps(info.fps)
    options: dict[str, Any] = {
        "t": f"{length:.6f}",
        "format": "dash",
        "c:v": "libx264",
        "preset": preset,
        "force_key_frames": f"expr:gte(t,n_forced*{segment_seconds:g})",
        "sc_threshold": 0,
        **output_color_options(info),
    }
    if target_fps > 0:
        options["g"] = 2 * math.ceil(target_fps * segment_seconds)
    for i, rung in enumerate(ladder):
        options[f"b:v:{i}"] = f"{rung.video_kbps}k"
        options[f"maxrate:v:{i}"] = f"{rung.maxrate_kbps}k"
        options[f"bufsize:v:{i}"] = f"{rung.bufsize_kbps}k"
    if threads:
        options["threads"] = threads
    options.update(dash_muxer_options(segment_seconds, "id=0,streams=v"))
    out = ffmpeg.output(*outputs, str(Path(out_dir) / MANIFEST_NAME), **options)
    if tiles is not None and smallest is not None:
        out = ffmpeg.merge_outputs(out, _tile_output(smallest, tiles, Path(out_dir), length))
    stream = out.global_args(*progress_args())
    argv: list[str] = stream.compile(cmd=ffmpeg_path or find_tools().ffmpeg,
                                     overwrite_output=True)
    return argv


def _tile_output(video: Any, plan: TilePlan, out_dir: Path, length: float) -> Any:
    tiles = (
        video.filter("select", f"gte(t,{plan.first_at_s:.6f}+selected_n*{plan.every_s:g})")
        .filter("scale", plan.width, plan.height)
        .filter("setsar", 1)
    )
    return ffmpeg.output(tiles, str(out_dir / TILE_PATTERN), t=f"{length:.6f}",
                         fps_mode="passthrough", **{"q:v": JPEG_QUALITY, "f": "image2",
                                                    "frames:v": plan.count,
                                                    "start_number": plan.first_index})


def audio_command(
    source: str,
    out_dir: str | Path,
    stream_index: int,
    *,
    kbps: int,
    channels: int = 2,
    sample_rate: int = 48000,
    segment_seconds: float = 4,
    input_options: dict[str, str] | None = None,
    language: str | None = None,
    ffmpeg_path: str | None = None,
) -> list[str]:
    """argv of the run that encodes one audio track of the whole source to DASH segments.

    Audio is cheap and encoded once for the whole title: per-chunk AAC would leave a gap of
    priming samples at every seam.
    """
    src = ffmpeg.input(str(source), **(input_options or {}))
    options: dict[str, Any] = {
        "format": "dash", "c:a": "aac", "b:a": f"{kbps}k", "ac": channels, "ar": sample_rate,
        **dash_muxer_options(segment_seconds, "id=0,streams=a"),
    }
    if language:
        options["metadata:s:a:0"] = f"language={language}"
    out = ffmpeg.output(src[str(stream_index)], str(Path(out_dir) / MANIFEST_NAME), **options)
    stream = out.global_args(*progress_args())
    argv: list[str] = stream.compile(cmd=ffmpeg_path or find_tools().ffmpeg,
                                     overwrite_output=True)
    return argv
