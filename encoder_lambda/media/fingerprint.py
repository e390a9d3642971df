"""Audio fingerprints (Chromaprint, through ffmpeg's ``chromaprint`` muxer) of a source's
opening and closing minutes, from which a season's shared intro and credits are found
(``chalicelib.catalogue.titles.segments``).

A raw Chromaprint fingerprint is one 32-bit value per ~0.124 s of audio (algorithm 1 at
11,025 Hz: a 4,096-sample window moved 1,365 samples); two stretches of the same sound give
values a few bits apart, whatever their position in the file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

from encoder_lambda.media.binaries import find_tools

#: Seconds of audio per fingerprint value (Chromaprint's hop at its 11,025 Hz rate).
ITEM_S = 1365 / 11025
#: How much of each end is fingerprinted: intros and credits live within these.
HEAD_S = 300.0
TAIL_S = 300.0
TIMEOUT_S = 300


@dataclass(frozen=True)
class Fingerprint:
    """The opening (from 0) and the closing (from ``tail_start_s``) fingerprints."""

    head: list[int]
    tail: list[int]
    tail_start_s: float
    duration_s: float

    def as_json(self) -> dict[str, object]:
        return {"item_s": ITEM_S, "head": self.head, "tail": self.tail,
                "tail_start_s": round(self.tail_start_s, 3),
                "duration_s": round(self.duration_s, 3)}


def raw_fingerprint(url: str, start_s: float, length_s: float,
                    input_options: list[str] | None = None,
                    audio_index: int | None = None) -> list[int]:
    """The raw fingerprint of ``length_s`` seconds of audio from ``start_s``."""
    argv = [find_tools().ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
            *(input_options or []), "-ss", f"{max(0.0, start_s):.3f}", "-t", f"{length_s:.3f}",
            "-i", url, "-map", f"0:{audio_index}" if audio_index is not None else "0:a:0",
            "-vn", "-ac", "1", "-f", "chromaprint", "-fp_format", "raw", "-"]
    done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode("utf-8", "replace")[-400:] or "ffmpeg failed")
    return [int(v) for v in np.frombuffer(done.stdout[: len(done.stdout) // 4 * 4], "<u4")]


def fingerprint(url: str, duration_s: float, input_options: list[str] | None = None,
                audio_index: int | None = None) -> Fingerprint:
    """The source's opening and closing fingerprints (each at most half of it)."""
    head_s = min(HEAD_S, duration_s / 2)
    tail_s = min(TAIL_S, duration_s / 2)
    tail_start = max(0.0, duration_s - tail_s)
    return Fingerprint(raw_fingerprint(url, 0.0, head_s, input_options, audio_index),
                       raw_fingerprint(url, tail_start, tail_s, input_options, audio_index),
                       tail_start, duration_s)
