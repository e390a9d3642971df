"""The source-dependent video filters applied once, before the ladder is scaled.

:func:`prepare` takes the decoded video (an ffmpeg-python stream) and, in order:

1. deinterlaces an interlaced source with ``bwdif`` (one frame out per frame in, so the frame
   rate is kept; every frame is deinterlaced, flagged or not);
2. tone-maps an HDR source (PQ or HLG) to SDR BT.709: ``zscale`` to linear light in float,
   BT.2020 -> BT.709 primaries, ``tonemap`` (:data:`TONEMAP_OPERATOR`, no desaturation), then
   ``zscale`` to the BT.709 transfer and matrix in limited range and 8-bit 4:2:0. The frames
   leave the chain tagged BT.709, which is what the encoder writes in the stream;
3. caps the frame rate (:func:`capped_fps`).

:func:`output_color_options` are the matching encoder options that label an encoded
tone-mapped rung BT.709 SDR. :func:`detect_interlacing` runs ``idet`` over a short range of
a source whose field order the container does not give (call it once, when planning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from encoder_lambda.media.binaries import Tools, find_tools, run_tool
from encoder_lambda.media.probe import SourceInfo

MAX_FPS = 60.0

#: Hable (the "filmic" curve of Uncharted 2) keeps mid-tones and rolls highlights off
#: smoothly; mobius is the other sensible choice (closer to the source in the mid-tones,
#: harsher near white).
TONEMAP_OPERATOR = "hable"
#: The linear-light scale: 1.0 = 100 cd/m2, SDR reference white.
NOMINAL_PEAK_NITS = 100

#: bwdif's parity for each ffprobe field order. "tb" and "bt" ("coded one way, displayed the
#: other") are used both ways round by muxers (ffmpeg itself labels a top-field-first H.264
#: or MPEG-2 stream "tb" in Matroska), so for them bwdif follows each decoded frame's own
#: top-field-first flag, which comes from the bitstream.
_PARITY = {"tt": "tff", "bb": "bff", "tb": "auto", "bt": "auto"}

#: zscale's names for ffprobe's colour names where they differ (zscale takes the rest as is).
_ZSCALE_NAMES = {"bt2020c": "2020_cl", "bt2020nc": "2020_ncl"}
_ZSCALE_PRIMARIES = frozenset({"bt709", "bt2020", "smpte170m", "smpte240m", "bt470m",
                               "bt470bg", "film", "smpte428", "smpte431", "smpte432"})
_ZSCALE_MATRICES = frozenset({"bt709", "bt2020nc", "bt2020c", "smpte170m", "smpte240m",
                              "bt470bg", "fcc", "ycgco"})

IDET_TIMEOUT_S = 300.0
_IDET_MULTI_RE = re.compile(
    r"Multi frame detection: TFF:\s*(?P<tff>\d+)\s+BFF:\s*(?P<bff>\d+)\s+"
    r"Progressive:\s*(?P<progressive>\d+)"
)


def prepare(video: Any, info: SourceInfo) -> Any:
    """``video`` deinterlaced, tone-mapped and frame-rate capped as ``info`` calls for."""
    if info.is_interlaced:
        video = deinterlace(video, info.field_order)
    if info.is_hdr:
        video = tone_map(video, info)
    target = capped_fps(info.fps)
    if target != info.fps:
        video = video.filter("fps", fps=f"{target:.6g}")
    return video


def capped_fps(fps: float) -> float:
    """Halve frame rates above 60 (120 -> 60, 240 -> 60) for the ladder; keep others."""
    target = fps
    while target > MAX_FPS + 0.5:
        target /= 2
    return target


def deinterlace(video: Any, field_order: str | None) -> Any:
    """``bwdif`` keeping the frame rate, with the parity of ``field_order``."""
    parity = _PARITY.get(field_order or "", "auto")
    return video.filter("bwdif", mode="send_frame", parity=parity, deint="all")


def tone_map(video: Any, info: SourceInfo) -> Any:
    """HDR (PQ or HLG) to SDR BT.709, 8-bit 4:2:0 limited range."""
    linear = video.filter("zscale", transfer="linear", npl=NOMINAL_PEAK_NITS,
                          **_zscale_input(info))
    return (
        linear.filter("format", "gbrpf32le")
        .filter("zscale", primaries="bt709")
        .filter("tonemap", tonemap=TONEMAP_OPERATOR, desat=0)
        .filter("zscale", transfer="bt709", matrix="bt709", range="tv")
        .filter("format", "yuv420p")
    )


def output_color_options(info: SourceInfo) -> dict[str, str]:
    """Encoder options labelling the output BT.709 SDR; empty unless the source was HDR.

    Without them a tone-mapped rung could keep the source's HDR labels. (ffmpeg 7 and later
    take the labels from the frames, which the tone-mapping chain has already tagged
    BT.709; older ffmpeg takes them from these options.)
    """
    if not info.is_hdr:
        return {}
    return {"color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709",
            "color_range": "tv"}


def _zscale_input(info: SourceInfo) -> dict[str, str]:
    """What the source is, for the first zscale, so that untagged frames still convert.

    The transfer is always known here (it is what makes the source HDR); HDR primaries and
    matrix are BT.2020 when the source does not say.
    """
    primaries = info.color_primaries if info.color_primaries in _ZSCALE_PRIMARIES else "bt2020"
    matrix = info.color_space if info.color_space in _ZSCALE_MATRICES else "bt2020nc"
    return {
        "transferin": str(info.color_transfer),
        "primariesin": primaries,
        "matrixin": _ZSCALE_NAMES.get(matrix, matrix),
        "rangein": "full" if info.color_range == "pc" else "limited",
    }


# --- detection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdetCounts:
    """``idet``'s multi-frame verdicts over a range of frames."""

    tff: int
    bff: int
    progressive: int

    @property
    def interlaced(self) -> bool:
        return self.tff + self.bff > self.progressive

    @property
    def field_order(self) -> str | None:
        """"tt", "bb" or "progressive" as ffprobe would say; None when idet saw no frame."""
        if self.tff + self.bff + self.progressive == 0:
            return None
        if not self.interlaced:
            return "progressive"
        return "tt" if self.tff >= self.bff else "bb"


def detect_interlacing(url_or_path: str | Path, at_s: float, seconds: float = 10,
                       *, video_index: int | None = None, tools: Tools | None = None) -> bool:
    """Whether ``idet`` finds the video interlaced over ``seconds`` from ``at_s``: more frames
    judged top- or bottom-field-first than progressive (undetermined ones do not count)."""
    return count_fields(url_or_path, at_s, seconds, video_index=video_index,
                        tools=tools).interlaced


def count_fields(url_or_path: str | Path, at_s: float, seconds: float = 10,
                 *, video_index: int | None = None, tools: Tools | None = None) -> IdetCounts:
    """Run ``idet`` over ``seconds`` of the video from ``at_s`` (decoding only that range).

    ``counts.field_order`` is what to give a source whose container did not say, e.g.
    ``dataclasses.replace(info, field_order=counts.field_order)``. Raises
    :class:`~encoder_lambda.media.binaries.ToolFailed` when ffmpeg fails.
    """
    tools = tools or find_tools()
    stream = f"0:{video_index}" if video_index is not None else "0:v:0"
    argv = [tools.ffmpeg, "-hide_banner", "-nostdin", "-nostats",
            "-ss", f"{max(0.0, at_s):.3f}", "-t", f"{seconds:g}", "-i", str(url_or_path),
            "-map", stream, "-vf", "idet", "-an", "-sn", "-dn", "-f", "null", "-"]
    done = run_tool(argv, timeout_s=IDET_TIMEOUT_S)
    return parse_idet(done.stderr)


def parse_idet(stderr: str) -> IdetCounts:
    """The ``Multi frame detection`` counts ffmpeg's ``idet`` prints, summed over every filter
    instance (ffmpeg rebuilds the filter, and prints again, when the frame size changes)."""
    tff = bff = progressive = 0
    for found in _IDET_MULTI_RE.finditer(stderr):
        tff += int(found["tff"])
        bff += int(found["bff"])
        progressive += int(found["progressive"])
    return IdetCounts(tff, bff, progressive)
