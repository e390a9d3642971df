"""The bitrate ladder: which sizes and H.264 bitrates to encode a source at.

Rungs are named by their short side (1080p, 720p, 480p, 360p, 240p) and keep the source's
displayed shape: a portrait 1080x1920 source's 1080p rung is 1080 wide and 1920 tall, a 4:3
source's rungs stay 4:3. Each rung is the largest size of that shape that fits a 16:9 box of
its short side (9:16 for portrait), so for any shape up to 16:9 the short side IS the rung,
and a wider-than-16:9 film (2.39:1) is bounded by the box's long side instead (1920x804, not
2582x1080). Sizes are even (H.264 4:2:0). Nothing is ever upscaled: a rung is kept only if it
fits inside the source, and a source smaller than the smallest rung gets one rung of its own
size. A source just short of a rung (within :data:`SHORTFALL_TOLERANCE`: a 1916x1078 or
1276x718 crop) keeps that rung at its own size rather than losing it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from encoder_lambda.media.probe import SourceInfo

#: Short side of each standard rung, biggest first.
STANDARD_RUNGS = (1080, 720, 480, 360, 240)

#: Average H.264 bitrate (kb/s) of each standard 16:9 size at up to 30 fps; other sizes are
#: interpolated by pixel count.
_REFERENCE_KBPS = (
    (426 * 240, 400),
    (640 * 360, 800),
    (854 * 480, 1400),
    (1280 * 720, 2800),
    (1920 * 1080, 5000),
)
#: How far (as a fraction of the rung) a source may fall short of a rung and still get it,
#: at the source's own size. 1% is 10.8 lines at 1080p and 7.2 at 720p: enough for the
#: common trims of a few pixels (1916x1078, 1276x718, 1912x1072 from cropped black edges or
#: macroblock-padded encodes), while a source 1% short is still, to the eye, that rung's
#: resolution, and players scale it to the screen anyway. A real step down (1280x720
#: against 1080p is 33% short) is far from it, so no rung is ever faked by upscaling.
SHORTFALL_TOLERANCE = 0.01
HIGH_FPS_FACTOR = 1.5  # above 30 fps
MIN_VIDEO_KBPS = 100
MAXRATE_FACTOR = 1.1  # capped VBR: peaks at most 10% above average
BUFSIZE_FACTOR = 2.0  # VBV buffer: two seconds at the average rate
AUDIO_KBPS = 128  # one shared stereo AAC stream


@dataclass(frozen=True)
class Rendition:
    name: str  # "720p"
    width: int
    height: int
    video_kbps: int
    maxrate_kbps: int
    bufsize_kbps: int
    audio_kbps: int

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def choose_ladder(info: SourceInfo) -> list[Rendition]:
    """Renditions for ``info``, biggest first; never empty, never bigger than the source."""
    if info.width <= 0 or info.height <= 0:
        raise ValueError("the source has no video size")
    max_w, max_h = _even_floor(info.width), _even_floor(info.height)
    ladder: list[Rendition] = []
    for short in STANDARD_RUNGS:
        width, height = fit_box(info.width, info.height, short)
        if _reaches(info.width, info.height, width, height):
            # a rung at most a little bigger than the source is the source's own size
            width, height = min(width, max_w), min(height, max_h)
            ladder.append(_rendition(f"{short}p", width, height, info.fps))
    if not ladder:
        ladder.append(_rendition(f"{min(max_w, max_h)}p", max_w, max_h, info.fps))
    return ladder


def _reaches(src_w: int, src_h: int, width: int, height: int) -> bool:
    """The source is big enough for a ``width`` x ``height`` rung: it fits, or it is within a
    rounding step (2 pixels: odd sizes) or :data:`SHORTFALL_TOLERANCE` of it."""
    even_w, even_h = _even_floor(src_w), _even_floor(src_h)
    if width <= even_w + 2 and height <= even_h + 2:
        return True
    shortfall = max(width / src_w, height / src_h) - 1
    return shortfall <= SHORTFALL_TOLERANCE


def fit_box(width: int, height: int, short: int) -> tuple[int, int]:
    """Even size of ``width:height``'s shape fitting a 16:9 (or 9:16) box of short side
    ``short``."""
    long = short * 16 / 9
    box_w, box_h = (long, short) if width >= height else (short, long)
    scale = min(box_w / width, box_h / height)
    return _even(width * scale), _even(height * scale)


def video_kbps(width: int, height: int, fps: float) -> int:
    """Average H.264 bitrate for a size and frame rate."""
    area = width * height
    points = _REFERENCE_KBPS
    if area <= points[0][0]:
        kbps = points[0][1] * area / points[0][0]
    elif area >= points[-1][0]:
        kbps = points[-1][1] * area / points[-1][0]
    else:
        kbps = float(points[-1][1])
        for (a0, k0), (a1, k1) in itertools.pairwise(points):
            if a0 <= area <= a1:
                kbps = k0 + (k1 - k0) * (area - a0) / (a1 - a0)
                break
    if fps > 30.5:
        kbps *= HIGH_FPS_FACTOR
    return max(MIN_VIDEO_KBPS, round(kbps / 10) * 10)


def _rendition(name: str, width: int, height: int, fps: float) -> Rendition:
    kbps = video_kbps(width, height, fps)
    return Rendition(
        name=name,
        width=width,
        height=height,
        video_kbps=kbps,
        maxrate_kbps=round(kbps * MAXRATE_FACTOR),
        bufsize_kbps=round(kbps * BUFSIZE_FACTOR),
        audio_kbps=AUDIO_KBPS,
    )


def _even(value: float) -> int:
    """Nearest even integer, at least 2."""
    return max(2, round(value / 2) * 2)


def _even_floor(value: int) -> int:
    return max(2, value - value % 2)
