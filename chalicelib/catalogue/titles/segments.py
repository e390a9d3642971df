"""A season's shared intro and credits, found in its episodes' audio fingerprints.

Episodes of a season open (and close) on the same music: two episodes' fingerprints
(``encoder_lambda.media.fingerprint``) hold a long run of near-identical values there, at
whatever offset each episode places it. For each pair the longest such run is found over
every relative offset (values within ``MAX_BIT_ERRORS`` bits count as equal, short gaps
are bridged); a run of at least ``MIN_SEGMENT_S`` in the opening is the intro, in the
closing the credits. Each episode is compared with its neighbours in the season, so one
episode without the intro (a cold open, a special) does not hide it from the others.

Pure numpy: the encoder calls it once an episode is published, for that season.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: Two fingerprint values this many bits apart (of 32) or fewer are the same sound (the same
#: audio encoded twice differs by 0-5; unrelated music by 10-17 in our measurements).
MAX_BIT_ERRORS = 6
#: Shortest intro or credits worth a button.
MIN_SEGMENT_S = 5.0
#: Bad values a run may bridge (a cough over the theme, a cut a frame off).
MAX_GAP_ITEMS = 4
#: A value describes a window of 16 frames: the audio of values [s, e) ends this far past
#: the start of value e - 1 (15 more hops and one frame's length beyond its own hop).
WINDOW_TAIL_S = 15 * 1365 / 11025 + (4096 - 1365) / 11025
#: Values straddling an edge still match within MAX_BIT_ERRORS: each found edge is moved
#: this far inwards (measured on generated episodes: edges within 0.5 s then).
EDGE_S = 0.6

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class Run:
    start_a: int
    start_b: int
    length: int


@dataclass(frozen=True)
class Segment:
    kind: str  # "intro" or "credits"
    start_s: float
    end_s: float

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": round(self.start_s, 2),
                "end_s": round(self.end_s, 2)}


def bit_errors(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """Differing bits of each pair of values."""
    x = np.bitwise_xor(a, b).astype("<u4")
    counts: npt.NDArray[np.uint8] = _POPCOUNT[x.view(np.uint8)].reshape(-1, 4).sum(
        axis=1).astype(np.uint8)
    return counts


def longest_run(a: Sequence[int], b: Sequence[int]) -> Run | None:
    """The longest stretch of ``a`` that ``b`` also holds, at any offset."""
    fa = np.asarray(a, dtype=np.uint32)
    fb = np.asarray(b, dtype=np.uint32)
    best: Run | None = None
    for offset in range(-(len(fb) - 1), len(fa)):  # a[i] against b[i - offset]
        lo, hi = max(0, offset), min(len(fa), len(fb) + offset)
        if hi - lo <= (best.length if best else 0):
            continue
        same = bit_errors(fa[lo:hi], fb[lo - offset:hi - offset]) <= MAX_BIT_ERRORS
        run = _longest_true(same)
        if run is not None and (best is None or run[1] > best.length):
            best = Run(lo + run[0], lo + run[0] - offset, run[1])
    return best


def _longest_true(same: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    """(start, length) of the longest stretch of True, gaps of MAX_GAP_ITEMS bridged."""
    hits = np.flatnonzero(same)
    if len(hits) == 0:
        return None
    breaks = np.flatnonzero(np.diff(hits) > MAX_GAP_ITEMS + 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(hits) - 1]))
    lengths = hits[ends] - hits[starts] + 1
    k = int(np.argmax(lengths))
    return int(hits[starts[k]]), int(lengths[k])


def season_segments(fingerprints: dict[str, dict[str, Any]]) -> dict[str, list[Segment]]:
    """Each episode's intro and credits, from the season's fingerprints (episode key ->
    ``Fingerprint.as_json()``), episodes in key order; an episode with no neighbour sharing
    enough gets none."""
    keys = sorted(fingerprints)
    found: dict[str, list[Segment]] = {key: [] for key in keys}
    for i, key in enumerate(keys):
        mine = fingerprints[key]
        neighbours = [keys[j] for j in (i + 1, i - 1, i + 2, i - 2) if 0 <= j < len(keys)]
        for kind, part, base in (("intro", "head", 0.0),
                                 ("credits", "tail", float(mine.get("tail_start_s") or 0))):
            segment = _shared(kind, mine, [fingerprints[n] for n in neighbours], part, base)
            if segment is not None:
                found[key].append(segment)
    return found


def _shared(kind: str, mine: dict[str, Any], others: list[dict[str, Any]], part: str,
            base: float) -> Segment | None:
    item_s = float(mine.get("item_s") or 0.1238)
    for other in others:
        run = longest_run(mine.get(part) or [], other.get(part) or [])
        if run is not None and (run.length - 1) * item_s + WINDOW_TAIL_S >= MIN_SEGMENT_S:
            start = base + run.start_a * item_s
            end = min(base + (run.start_a + run.length - 1) * item_s + WINDOW_TAIL_S - EDGE_S,
                      float(mine.get("duration_s") or 1e12))
            if start > 0.5:
                start += EDGE_S
            if kind == "credits" and float(mine.get("duration_s") or 0) - end < 2.0:
                end = float(mine["duration_s"])  # credits run to the end
            return Segment(kind, start, end)
    return None
