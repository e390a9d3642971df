"""Short generated clips for tests: real ffmpeg, each with a tone of its own.

No two clips share content (the pipeline links content it has already published instead of
encoding it again), so every clip gets the next tone.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

from encoder_lambda.media.binaries import find_tools

_TONES = itertools.count(300, 7)


def clip(path: Path, *, audio: bool = True, video: bool = True, seconds: int = 3) -> Path:
    ffmpeg = find_tools().ffmpeg
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=24:duration={seconds}"]
    if audio:
        # a tone of its own, so that no two clips share content (same content is linked)
        tone = next(_TONES)
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] if video else []
    args += ["-c:a", "aac"] if audio else []
    subprocess.run([*args, str(path)], check=True, timeout=60)
    return path


def padded_clip(path: Path, total_bytes: int, *, seconds: int = 3) -> Path:
    """A real MP4 of `total_bytes`: a short clip followed by an MP4 ``free`` box of random
    bytes, which players and ffmpeg skip. Upload tests move hundreds of MB this way while the
    encode stays a few seconds long; the random filler keeps every file's content its own."""
    import os

    clip(path, seconds=seconds)
    filler = total_bytes - path.stat().st_size - 8
    if filler < 0 or filler + 8 > 0xFFFFFFFF:
        raise ValueError(f"cannot pad a {path.stat().st_size}-byte clip to {total_bytes}")
    with path.open("ab") as out:
        out.write((filler + 8).to_bytes(4, "big") + b"free")
        left = filler
        while left:
            block = os.urandom(min(left, 8 * 1024 * 1024))
            out.write(block)
            left -= len(block)
    return path
