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
