"""The poster (one JPEG) and the thumbnail sprite with its WebVTT track.

The poster is one ffmpeg call; the sprite is either its own call (:func:`sprite`) or an extra
output of the ladder's encode (:func:`plan_sprite` + :func:`sprite_output`).

The sprite holds one frame every ``every_s`` seconds, ``columns`` tiles a row; the WebVTT file
has one cue per tile, ``00:00:10.000 --> 00:00:20.000`` pointing at
``sprite.jpg#xywh=160,0,160,90`` (media-fragment syntax that players' seek-bar previews read).
A very long video is split over several sheets (``sprite-001.jpg``, ...) once one would exceed
``max_rows`` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg  # ffmpeg-python

from encoder_lambda.media.binaries import ToolFailed, Tools, find_tools, run_tool
from encoder_lambda.media.probe import SourceInfo

POSTER_MAX_WIDTH = 1280
POSTER_FRACTION = 0.10
SPRITE_NAME = "sprite.jpg"
SPRITE_PATTERN = "sprite-%03d.jpg"
VTT_NAME = "thumbnails.vtt"
JPEG_QUALITY = 3  # ffmpeg -q:v, 2 (best) .. 31
MIN_LAST_CUE_S = 0.5  # a shorter remainder joins the previous cue (it may hold no frame)
TIMEOUT_S = 900.0


def poster_time(info: SourceInfo) -> float:
    """Where the poster is taken: 10% into the video, past a black first frame."""
    return max(0.0, min(info.duration_s * POSTER_FRACTION, info.duration_s - 0.1))


def poster(
    src: str | Path,
    out_path: str | Path,
    at_seconds: float,
    *,
    video_index: int | None = None,
    max_width: int = POSTER_MAX_WIDTH,
    tools: Tools | None = None,
) -> Path:
    """Write the frame at ``at_seconds`` as a JPEG: displayed shape, full width up to
    ``max_width``, even dimensions, square pixels."""
    out = Path(out_path)
    source = ffmpeg.input(str(src), ss=f"{max(0.0, at_seconds):.3f}")
    video = source[str(video_index)] if video_index is not None else source["v:0"]
    # iw*sar is the displayed width; dar keeps the displayed shape (anamorphic sources too).
    frame = video.filter(
        "scale",
        w=f"trunc(min({max_width},iw*sar)/2)*2",
        h="trunc(ow/dar/2)*2",
    ).filter("setsar", 1)
    _run(ffmpeg.output(frame, str(out), **_single_image()), tools)
    if not out.is_file() or out.stat().st_size == 0:
        raise ToolFailed(f"ffmpeg wrote no poster at {at_seconds:.3f} s", 0)
    return out


@dataclass(frozen=True)
class SpritePlan:
    """Where each tile goes: the sheet files, the tile size and one cue per tile."""

    cues: list[tuple[float, float]]
    every_s: float
    tile_width: int
    tile_height: int
    columns: int
    rows_per_sheet: int
    names: list[str]

    @property
    def target(self) -> str:
        """The image2 file name (a pattern when there are several sheets)."""
        return SPRITE_NAME if len(self.names) == 1 else SPRITE_PATTERN


def plan_sprite(info: SourceInfo, every_s: float = 10, tile_width: int = 160,
                columns: int = 10, *, max_rows: int = 100) -> SpritePlan:
    """A tile every ``every_s`` seconds, ``columns`` a row, ``max_rows`` rows a sheet at most."""
    cues = cue_times(info.duration_s, every_s)
    tile_height = max(2, round(tile_width * info.height / info.width / 2) * 2)
    rows = math.ceil(len(cues) / columns)
    sheets = math.ceil(rows / max_rows)
    names = (
        [SPRITE_NAME] if sheets == 1 else [SPRITE_PATTERN % (n + 1) for n in range(sheets)]
    )
    return SpritePlan(cues, every_s, tile_width, tile_height, columns,
                      rows if sheets == 1 else max_rows, names)


def sprite_output(video: Any, plan: SpritePlan, out_dir: str | Path) -> Any:
    """The ffmpeg-python output that tiles ``video`` into the plan's sheets in ``out_dir``.

    ``video`` may be any stream of the source's frames (the encoder passes its smallest rung,
    so the sprite costs no extra decode and almost no scaling).
    """
    tiles = (
        video.filter("setpts", "PTS-STARTPTS")
        # the first frame at or after each multiple of every_s
        .filter("select", f"gte(t,selected_n*{plan.every_s:g})")
        .filter("scale", plan.tile_width, plan.tile_height)
        .filter("setsar", 1)
        .filter("tile", f"{plan.columns}x{plan.rows_per_sheet}")
    )
    options: dict[str, Any] = {"fps_mode": "passthrough", "q:v": JPEG_QUALITY,
                               "frames:v": len(plan.names), "f": "image2"}
    if len(plan.names) == 1:
        options["update"] = 1
    else:
        options["start_number"] = 1
    return ffmpeg.output(tiles, str(Path(out_dir) / plan.target), **options)


def finish_sprite(plan: SpritePlan, out_dir: str | Path) -> tuple[list[Path], Path]:
    """Check the sheets ffmpeg wrote and write ``thumbnails.vtt`` beside them."""
    out = Path(out_dir)
    paths = [out / name for name in plan.names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ToolFailed(f"ffmpeg wrote no sprite sheet {', '.join(missing)}", 0)
    per_sheet = plan.columns * plan.rows_per_sheet
    lines = ["WEBVTT", ""]
    for i, (start, end) in enumerate(plan.cues):
        position = i % per_sheet
        x = (position % plan.columns) * plan.tile_width
        y = (position // plan.columns) * plan.tile_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{plan.names[i // per_sheet]}#xywh={x},{y},{plan.tile_width},{plan.tile_height}",
            "",
        ]
    vtt = out / VTT_NAME
    vtt.write_text("\n".join(lines), encoding="utf-8")
    return paths, vtt


def sprite(
    src: str | Path,
    out_dir: str | Path,
    info: SourceInfo,
    every_s: float = 10,
    tile_width: int = 160,
    columns: int = 10,
    *,
    max_rows: int = 100,
    tools: Tools | None = None,
) -> tuple[list[Path], Path]:
    """On its own (one ffmpeg run): the sprite sheet(s) and ``thumbnails.vtt`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_sprite(info, every_s, tile_width, columns, max_rows=max_rows)
    source = ffmpeg.input(str(src))
    video = source[str(info.video_index)] if info.video_index is not None else source["v:0"]
    _run(sprite_output(video, plan, out), tools)
    return finish_sprite(plan, out)


def cue_times(duration_s: float, every_s: float) -> list[tuple[float, float]]:
    """``[(0, 10), (10, 20), (20, duration)]``: one cue per tile covering the whole video."""
    if every_s <= 0:
        raise ValueError("every_s must be positive")
    count = max(1, math.ceil(duration_s / every_s))
    cues = [(i * every_s, min((i + 1) * every_s, duration_s)) for i in range(count)]
    if len(cues) > 1 and cues[-1][1] - cues[-1][0] < MIN_LAST_CUE_S:
        cues.pop()
        cues[-1] = (cues[-1][0], duration_s)
    return cues


def _single_image() -> dict[str, Any]:
    return {"frames:v": 1, "q:v": JPEG_QUALITY, "f": "image2", "update": 1}


def _run(stream: Any, tools: Tools | None) -> None:
    exe = (tools or find_tools()).ffmpeg
    argv: list[str] = stream.global_args(
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"
    ).compile(cmd=exe, overwrite_output=True)
    run_tool(argv, timeout_s=TIMEOUT_S)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
