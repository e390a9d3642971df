"""What an uploaded file is: duration, displayed size, frame rate, codecs, subtitle streams.

Uses ffprobe's JSON when ffprobe is available, else parses ``ffmpeg -hide_banner -i FILE``
(the static imageio-ffmpeg build has no ffprobe). A file that cannot be encoded raises
:class:`InvalidSource` whose reason is a short sentence fit to show the uploader.

``SourceInfo.width``/``height`` are the DISPLAYED size: the coded size stretched by the sample
aspect ratio and swapped for a 90/270 degree rotation (a phone's 1920x1080 stream flagged
``rotation of -90 degrees`` is 1080x1920). The coded size is kept in ``coded_width``/
``coded_height``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from encoder_lambda.media.binaries import ToolFailed, Tools, find_tools, run_tool

PROBE_TIMEOUT_S = 120.0

#: Subtitle codecs ffmpeg can turn into WebVTT text (bitmap ones like PGS cannot).
TEXT_SUBTITLE_CODECS = frozenset(
    {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd", "subviewer",
     "subviewer1", "jacosub", "sami", "realtext", "stl", "pjs", "mpl2", "vplayer", "eia_608"}
)

#: Demuxers that read one still picture: an image upload is not a video.
_IMAGE_FORMATS = frozenset({"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe",
                            "tiff_pipe", "svg_pipe", "heif", "avif"})

CORRUPT_REASON = "The file is not a readable video; it may be corrupt or truncated."


class InvalidSource(ValueError):
    """The upload cannot be encoded; ``reason`` is a short human sentence."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class SubtitleStream:
    index: int
    language: str | None  # as tagged in the container ("eng", "fr"), None when "und"/absent
    codec: str
    title: str | None = None

    @property
    def is_text(self) -> bool:
        return self.codec in TEXT_SUBTITLE_CODECS


@dataclass(frozen=True)
class SourceInfo:
    duration_s: float
    width: int  # displayed width (after sample aspect ratio and rotation)
    height: int  # displayed height
    fps: float
    video_codec: str | None
    audio_codec: str | None
    subtitles: tuple[SubtitleStream, ...] = ()
    has_video: bool = True
    rotation: int = 0  # degrees, normalised to 0/90/180/270
    coded_width: int = 0
    coded_height: int = 0
    sample_aspect: Fraction = Fraction(1)
    video_index: int | None = None  # stream index of the video stream used
    audio_index: int | None = None  # stream index of the audio stream used
    audio_language: str | None = None  # as tagged, None when "und"/absent
    format_name: str = ""

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def display_aspect(self) -> float:
        """Displayed width / height (0.5625 for portrait 9:16)."""
        return self.width / self.height if self.height else 0.0

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def is_portrait(self) -> bool:
        return self.height > self.width


@dataclass
class _Stream:
    index: int
    kind: str  # video, audio, subtitle, data, attachment
    codec: str
    width: int = 0
    height: int = 0
    sar: Fraction = Fraction(1)
    rotation: float = 0.0
    fps: float = 0.0
    language: str | None = None
    title: str | None = None
    attached_pic: bool = False


@dataclass
class _Container:
    format_name: str
    duration_s: float | None
    streams: list[_Stream] = field(default_factory=list)


def probe(path: str | Path, tools: Tools | None = None, require_video: bool = True) -> SourceInfo:
    """Describe ``path``; :class:`InvalidSource` when it is empty, unreadable or has no video.

    With ``require_video=False`` an audio-only file is described (``has_video`` False) rather
    than refused.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    if path.stat().st_size == 0:
        raise InvalidSource("The file is empty.")
    tools = tools or find_tools()
    container = _probe_ffprobe(tools.ffprobe, path) if tools.ffprobe else None
    if container is None:
        container = _probe_ffmpeg(tools.ffmpeg, path)
    if container.duration_s is None or container.duration_s <= 0:
        container.duration_s = _measure_duration(tools.ffmpeg, path)
    return _build(container, require_video)


def from_ffprobe_json(data: dict[str, Any], require_video: bool = True) -> SourceInfo:
    """``SourceInfo`` from ffprobe's ``-show_format -show_streams -print_format json``."""
    return _build(_parse_ffprobe_json(data), require_video)


def from_ffmpeg_stderr(text: str, require_video: bool = True) -> SourceInfo:
    """``SourceInfo`` from what ``ffmpeg -hide_banner -i FILE`` prints on stderr."""
    container = _parse_ffmpeg_stderr(text)
    if container is None:
        raise InvalidSource(_reason_from_stderr(text))
    return _build(container, require_video)


# --- ffprobe ---------------------------------------------------------------------------------


def _probe_ffprobe(ffprobe: str, path: Path) -> _Container:
    argv = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
            str(path)]
    try:
        done = run_tool(argv, timeout_s=PROBE_TIMEOUT_S, check=False)
    except ToolFailed as exc:
        raise InvalidSource("The file took too long to read; it may be corrupt.") from exc
    if done.returncode != 0:
        raise InvalidSource(_reason_from_stderr(done.stderr))
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidSource(CORRUPT_REASON) from exc
    return _parse_ffprobe_json(data)


def _parse_ffprobe_json(data: dict[str, Any]) -> _Container:
    """The container described by ``ffprobe -show_format -show_streams -print_format json``."""
    fmt = data.get("format") or {}
    streams = [_ffprobe_stream(s) for s in data.get("streams") or []]
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [_float(s.get("duration")) for s in data.get("streams") or []]
        duration = max((d for d in durations if d), default=None)
    return _Container(str(fmt.get("format_name", "")), duration, streams)


def _ffprobe_stream(raw: dict[str, Any]) -> _Stream:
    tags = {str(k).lower(): str(v) for k, v in (raw.get("tags") or {}).items()}
    disposition = raw.get("disposition") or {}
    rotation = 0.0
    for side in raw.get("side_data_list") or []:
        if "rotation" in side:
            rotation = float(side["rotation"])
    if not rotation and "rotate" in tags:
        rotation = _float(tags["rotate"]) or 0.0
    fps = _rate(raw.get("avg_frame_rate")) or _rate(raw.get("r_frame_rate"))
    return _Stream(
        index=int(raw.get("index", 0)),
        kind=str(raw.get("codec_type", "")),
        codec=str(raw.get("codec_name", "unknown")),
        width=int(raw.get("width") or 0),
        height=int(raw.get("height") or 0),
        sar=_ratio(raw.get("sample_aspect_ratio")),
        rotation=rotation,
        fps=fps,
        language=tags.get("language"),
        title=tags.get("title"),
        attached_pic=bool(disposition.get("attached_pic")),
    )


# --- ffmpeg -i -------------------------------------------------------------------------------

_INPUT_RE = re.compile(r"^Input #0, (?P<fmt>.+?), from '")
_DURATION_RE = re.compile(r"^\s*Duration: (?:N/A|(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?))")
_STREAM_RE = re.compile(
    r"^\s*Stream #0:(?P<index>\d+)(?:\[0x[0-9a-fA-F]+\])?(?:\((?P<lang>[^)]*)\))?"
    r"(?:\[0x[0-9a-fA-F]+\])?: (?P<kind>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$"
)
_SIZE_RE = re.compile(r"(?:^|[ ,])(?P<w>\d{1,5})x(?P<h>\d{1,5})(?=[ ,\[]|$)")
_SAR_RE = re.compile(r"\[SAR (?P<n>\d+):(?P<d>\d+) DAR \d+:\d+\]")
_FPS_RE = re.compile(r"(?:^|, )(?P<v>[\d.]+)(?P<k>k?) fps(?:,|$)")
_TBR_RE = re.compile(r"(?:^|, )(?P<v>[\d.]+)(?P<k>k?) tbr(?:,|$)")
_ROTATION_RE = re.compile(r"(?i)display\s*matrix: rotation of (?P<deg>-?[\d.]+) degrees")
_ROTATE_TAG_RE = re.compile(r"^\s*rotate\s*: (?P<deg>-?[\d.]+)\s*$")
_TITLE_TAG_RE = re.compile(r"^\s*title\s*: (?P<title>.*?)\s*$", re.IGNORECASE)
_SECTION_END_RE = re.compile(r"^(Input #[1-9]|Output #|Stream mapping:|At least one output)")


def _probe_ffmpeg(ffmpeg: str, path: Path) -> _Container:
    # Exits 1 ("At least one output file must be specified") after describing the input.
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)]
    try:
        done = run_tool(argv, timeout_s=PROBE_TIMEOUT_S, check=False)
    except ToolFailed as exc:
        raise InvalidSource("The file took too long to read; it may be corrupt.") from exc
    container = _parse_ffmpeg_stderr(done.stderr)
    if container is None:
        raise InvalidSource(_reason_from_stderr(done.stderr))
    return container


def _parse_ffmpeg_stderr(text: str) -> _Container | None:
    """The input described by ``ffmpeg -i`` on stderr; None when ffmpeg could not open it."""
    container: _Container | None = None
    current: _Stream | None = None
    for line in text.splitlines():
        if container is None:
            found = _INPUT_RE.match(line)
            if found:
                container = _Container(found["fmt"], None)
            continue
        if _SECTION_END_RE.match(line):
            break
        duration = _DURATION_RE.match(line)
        if duration and current is None:
            if duration["h"] is not None:
                container.duration_s = (
                    int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"])
                )
            continue
        stream = _STREAM_RE.match(line)
        if stream:
            current = _ffmpeg_stream(stream)
            container.streams.append(current)
            continue
        if current is not None:
            _apply_stream_detail(current, line)
    return container


def _ffmpeg_stream(found: re.Match[str]) -> _Stream:
    rest = found["rest"]
    codec = re.split(r"[ ,]", rest, maxsplit=1)[0] or "unknown"
    lang = found["lang"] or None
    stream = _Stream(index=int(found["index"]), kind=found["kind"].lower(), codec=codec,
                     language=lang)
    if stream.kind == "video":
        size = _SIZE_RE.search(rest)
        if size:
            stream.width, stream.height = int(size["w"]), int(size["h"])
        sar = _SAR_RE.search(rest)
        if sar and int(sar["n"]) and int(sar["d"]):
            stream.sar = Fraction(int(sar["n"]), int(sar["d"]))
        rate = _FPS_RE.search(rest) or _TBR_RE.search(rest)
        if rate:
            stream.fps = float(rate["v"]) * (1000 if rate["k"] else 1)
        stream.attached_pic = "(attached pic)" in rest
    return stream


def _apply_stream_detail(stream: _Stream, line: str) -> None:
    rotation = _ROTATION_RE.search(line) or _ROTATE_TAG_RE.match(line)
    if rotation:
        stream.rotation = float(rotation["deg"])
        return
    title = _TITLE_TAG_RE.match(line)
    if title and stream.title is None:
        stream.title = title["title"] or None


# --- shared ----------------------------------------------------------------------------------


def _measure_duration(ffmpeg: str, path: Path) -> float | None:
    """Duration by reading every packet (no decoding) when the container does not say."""
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0",
            "-c", "copy", "-f", "null", "-progress", "pipe:1", "-"]
    try:
        done = run_tool(argv, timeout_s=PROBE_TIMEOUT_S * 5, check=False)
    except ToolFailed:
        return None
    seconds = None
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "out_time_us" and value.strip().lstrip("-").isdigit():
            seconds = int(value) / 1_000_000
    return seconds if seconds and seconds > 0 else None


def _build(container: _Container, require_video: bool) -> SourceInfo:
    videos = [s for s in container.streams if s.kind == "video" and not s.attached_pic]
    audios = [s for s in container.streams if s.kind == "audio"]
    if not videos and require_video:
        if audios:
            raise InvalidSource("The file has no video stream (audio only).")
        raise InvalidSource("The file has no video stream.")
    if container.format_name in _IMAGE_FORMATS:
        raise InvalidSource("The file is a still image, not a video.")
    if container.duration_s is None or container.duration_s <= 0:
        raise InvalidSource("The length of the video could not be read; it may be corrupt.")
    subtitles = tuple(
        SubtitleStream(s.index, _language(s.language), s.codec, s.title)
        for s in container.streams
        if s.kind == "subtitle"
    )
    audio = audios[0] if audios else None
    common: dict[str, Any] = {
        "duration_s": container.duration_s,
        "audio_codec": audio.codec if audio else None,
        "audio_index": audio.index if audio else None,
        "audio_language": _language(audio.language) if audio else None,
        "subtitles": subtitles,
        "format_name": container.format_name,
    }
    if not videos:
        return SourceInfo(width=0, height=0, fps=0.0, video_codec=None, has_video=False,
                          **common)
    video = videos[0]
    if video.width <= 0 or video.height <= 0:
        raise InvalidSource("The video's frame size could not be read; it may be corrupt.")
    rotation = round(video.rotation / 90) * 90 % 360
    width = round(video.width * video.sar) if video.sar != 1 else video.width
    height = video.height
    if rotation in (90, 270):
        width, height = height, width
    return SourceInfo(
        width=width,
        height=height,
        fps=video.fps,
        video_codec=video.codec,
        rotation=rotation,
        coded_width=video.width,
        coded_height=video.height,
        sample_aspect=video.sar,
        video_index=video.index,
        has_video=True,
        **common,
    )


def _reason_from_stderr(stderr: str) -> str:
    text = stderr.lower()
    if "no such file" in text:
        return "The file could not be found."
    if "permission denied" in text:
        return "The file could not be read."
    return CORRUPT_REASON


def _language(tag: str | None) -> str | None:
    if not tag or tag.strip().lower() in ("und", "unknown", "none", ""):
        return None
    return tag.strip()


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _ratio(value: Any) -> Fraction:
    """``"16:15"`` -> Fraction(16, 15); absent or 0 means square pixels."""
    try:
        num, den = (int(part) for part in str(value).split(":"))
    except (TypeError, ValueError):
        return Fraction(1)
    return Fraction(num, den) if num > 0 and den > 0 else Fraction(1)


def _rate(value: Any) -> float:
    """``"30000/1001"`` -> 29.97; ``"0/0"`` or absent -> 0."""
    try:
        num, _, den = str(value).partition("/")
        rate = float(num) / float(den or 1)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0
    return rate if math.isfinite(rate) and rate > 0 else 0.0
