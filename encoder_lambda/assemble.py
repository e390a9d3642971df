"""Assemble a title from its finished tasks: the manifests over every segment, the sprite.

Runs once per job, in the invocation whose task completed the job's set. It reads only the
tasks' small results and thumbnail tiles (never a segment), writes ``manifest.mpd``, the HLS
playlists, ``sprite*.jpg`` + ``thumbnails.vtt`` and ``asset.json`` into a folder, and checks
that every file the manifest names is already stored. The caller publishes the folder with
the manifest last, so nothing is playable before everything it references exists.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from encoder_lambda.media.binaries import find_tools, run_tool
from encoder_lambda.media.mpd import parse
from encoder_lambda.media.packaging import Track, write_hls, write_mpd
from encoder_lambda.media.probe import SourceInfo
from encoder_lambda.media.text_tracks import TextTrack, add_to_hls, add_to_mpd
from encoder_lambda.media.thumbnails import JPEG_QUALITY, finish_sprite, plan_sprite
from encoder_lambda.publish import MANIFEST
from encoder_lambda.track_json import joined, track_from_json


class AssemblyFailed(Exception):
    """The tasks' results do not make a complete title; ``reason`` says what is missing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Assembled:
    folder: Path
    duration_s: float
    tracks: list[Track]
    text_tracks: list[TextTrack]
    has_sprite: bool


def assemble(results: dict[str, dict[str, Any]], plan: dict[str, Any], info: SourceInfo,
             tiles: list[Path], out: Path, stored: set[str]) -> Assembled:
    """Write the title's manifests and artwork into ``out``; ``stored`` holds the names
    already under the asset's prefix (segments, init segments, poster, subtitles)."""
    missing = [name for name in plan["tasks"] if name not in results]
    if missing:
        raise AssemblyFailed(f"tasks without a result: {', '.join(missing[:5])}")
    segment_s = int(plan.get("segment_seconds", 4))
    chunks = sorted((r for r in results.values() if r["kind"] == "chunk"),
                    key=lambda r: float(r["start_s"]))
    by_rung: dict[str, list[Track]] = {}
    for chunk in chunks:
        for data in chunk["tracks"]:
            track = track_from_json(data)
            by_rung.setdefault(track.id, []).append(track)
    if not by_rung or any(len(parts) != len(chunks) for parts in by_rung.values()):
        raise AssemblyFailed("the chunks do not all hold the same rungs")
    video = []
    for parts in by_rung.values():
        whole = joined(parts)
        video.append(replace(whole, bandwidth=max(p.bandwidth for p in parts)))
    audio = sorted((track_from_json(r["tracks"][0]) for r in results.values()
                    if r["kind"] == "audio"), key=lambda t: (not t.default, t.id))
    last = chunks[-1]
    duration = float(last["start_s"]) + float(last["encoded_s"])
    out.mkdir(parents=True, exist_ok=True)
    tracks = [*video, *audio]
    (out / MANIFEST).write_text(write_mpd(tracks, duration, segment_s), encoding="utf-8")
    for name, text in write_hls(tracks, segment_s).items():
        (out / name).write_text(text, encoding="utf-8")
    text_result: dict[str, Any] = next(
        (r for r in results.values() if r["kind"] == "text"), {"tracks": []})
    text_tracks = [TextTrack(t["file"], t["language"], t["label"])
                   for t in text_result["tracks"]]
    add_to_mpd(out / MANIFEST, text_tracks)
    add_to_hls(out / "master.m3u8", text_tracks, duration)
    has_sprite = _sprite(info, duration, tiles, out)
    local = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    absent = [f for f in parse((out / MANIFEST).read_bytes()).files()
              if f not in stored and f not in local]
    if absent:
        raise AssemblyFailed(f"{len(absent)} files the manifest names are not stored, "
                             f"e.g. {', '.join(absent[:3])}")
    return Assembled(out, duration, tracks, text_tracks, has_sprite)


def _sprite(info: SourceInfo, duration: float, tiles: list[Path], out: Path) -> bool:
    """Tile the chunks' thumbnails into the sprite sheets and write ``thumbnails.vtt``."""
    if not tiles:
        return False
    plan = plan_sprite(replace(info, duration_s=duration))
    folder = tiles[0].parent
    by_index = {int(p.stem.rsplit("-", 1)[-1]): p for p in tiles}
    previous: Path | None = None
    for index in range(1, len(plan.cues) + 1):  # a tile a chunk did not make: the one before
        path = by_index.get(index)
        if path is None and previous is not None:
            path = folder / f"tile-{index:05d}.jpg"
            shutil.copyfile(previous, path)
        previous = path or previous
    first = min(by_index)
    argv = [find_tools().ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-framerate", "1", "-start_number", str(first), "-i",
            str(folder / "tile-%05d.jpg"), "-frames:v", str(len(plan.names)),
            "-vf", f"tile={plan.columns}x{plan.rows_per_sheet}", "-q:v", str(JPEG_QUALITY),
            "-f", "image2"]
    argv += ["-update", "1"] if len(plan.names) == 1 else ["-start_number", "1"]
    run_tool([*argv, str(out / plan.target)], timeout_s=300)
    finish_sprite(plan, out)
    return True
