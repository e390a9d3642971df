"""What an uploaded file is: duration, displayed size, frame rate, codecs, audio and subtitle
streams, interlacing and colour (HDR or not).

Uses ffprobe's JSON when ffprobe is available, else parses ``ffmpeg -hide_banner -i FILE``
(the static imageio-ffmpeg build has no ffprobe). A file that cannot be encoded raises
:class:`InvalidSource` whose reason is a short sentence fit to show the uploader.

``SourceInfo.width``/``height`` are the DISPLAYED size: the coded size stretched by the sample
aspect ratio and swapped for a 90/270 degree rotation (a phone's 1920x1080 stream flagged
``rotation of -90 degrees`` is 1080x1920). The coded size is kept in ``coded_width``/
``coded_height``.

Every audio stream is listed in ``SourceInfo.audio_tracks``, the default one first (the one
flagged default by the container, else the first); ``audio_index``/``audio_codec``/
``audio_language`` describe that default track. ``field_order`` and the colour fields are as
ffprobe names them (``"tt"``, ``"smpte2084"``, ``"bt2020nc"`` ...), None when not tagged.
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

#: ffprobe's field orders of an interlaced stream ("tb"/"bt": coded one way, shown the other).
INTERLACED_FIELD_ORDERS = frozenset({"tt", "bb", "tb", "bt"})

#: Transfer functions of HDR video: PQ (HDR10, Dolby Vision base) and HLG.
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})


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
class AudioTrack:
    index: int  # stream index in the file
    codec: str
    language: str | None = None  # as tagged, None when "und"/absent
    title: str | None = None
    channels: int | None = None
    default: bool = False  # the track a player starts with (exactly one per file)


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
    audio_index: int | None = None  # stream index of the default audio track
    audio_language: str | None = None  # the default track's, None when "und"/absent
    format_name: str = ""
    field_order: str | None = None  # "progressive", "tt", "bb", "tb", "bt"; None = unknown
    color_transfer: str | None = None  # "bt709", "smpte2084" (PQ), "arib-std-b67" (HLG) ...
    color_primaries: str | None = None  # "bt709", "bt2020" ...
    color_space: str | None = None  # the YUV matrix: "bt709", "bt2020nc" ...
    color_range: str | None = None  # "tv" (limited) or "pc" (full)
    pix_fmt: str | None = None  # "yuv420p", "yuv420p10le" ...
    bit_depth: int | None = None  # bits per sample of the video
    audio_tracks: tuple[AudioTrack, ...] = ()  # default track first, then by stream index

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

    @property
    def is_interlaced(self) -> bool:
        """The video is tagged as interlaced (a field order other than progressive)."""
        return self.field_order in INTERLACED_FIELD_ORDERS

    @property
    def is_hdr(self) -> bool:
        """The video uses an HDR transfer function (PQ or HLG)."""
        return self.color_transfer in HDR_TRANSFERS


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
    default: bool = False
    channels: int | None = None
    field_order: str | None = None
    color_transfer: str | None = None
    color_primaries: str | None = None
    color_space: str | None = None
    color_range: str | None = None
    pix_fmt: str | None = None
    bit_depth: int | None = None


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
    return _describe(str(path), tools or find_tools(), require_video)


def _describe(target: str, tools: Tools, require_video: bool) -> SourceInfo:
    """What ffprobe (or ``ffmpeg -i``) says of ``target``, a path or a URL."""
    container = _probe_ffprobe(tools.ffprobe, target) if tools.ffprobe else None
    if container is None:
        container = _probe_ffmpeg(tools.ffmpeg, target)
    if container.duration_s is None or container.duration_s <= 0:
        container.duration_s = _measure_duration(tools.ffmpeg, target)
    _fill_colours_from_a_frame(container, tools.ffmpeg, target)
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


def _probe_ffprobe(ffprobe: str, path: str) -> _Container:
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
    pix_fmt = _tag_value(raw.get("pix_fmt"))
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
        title=tags.get("title") or tags.get("name"),
        attached_pic=bool(disposition.get("attached_pic")),
        default=bool(disposition.get("default")),
        channels=_positive_int(raw.get("channels")),
        field_order=_tag_value(raw.get("field_order")),
        color_transfer=_tag_value(raw.get("color_transfer")),
        color_primaries=_tag_value(raw.get("color_primaries")),
        color_space=_tag_value(raw.get("color_space")),
        color_range=_tag_value(raw.get("color_range")),
        pix_fmt=pix_fmt,
        bit_depth=_sample_bits(raw.get("bits_per_raw_sample")) or bit_depth_of(pix_fmt),
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
_TITLE_TAG_RE = re.compile(r"^\s*(?P<key>title|name)\s*: (?P<title>.*?)\s*$", re.IGNORECASE)
_PIX_FMT_RE = re.compile(r"^(?P<pix>[a-z][a-z0-9_]*)(?:\((?P<details>.*)\))?$")
_HZ_RE = re.compile(r"^\d+ Hz$")
_CHANNELS_RE = re.compile(r"^(?P<n>\d+) channels")
#: How ``ffmpeg -i`` prints a field order (libavcodec's avcodec_string) -> ffprobe's name.
_FIELD_ORDER_TEXT = {
    "progressive": "progressive",
    "top first": "tt",
    "bottom first": "bb",
    "top coded first (swapped)": "tb",
    "bottom coded first (swapped)": "bt",
}
_CHROMA_LOCATIONS = frozenset({"left", "center", "topleft", "top", "bottomleft", "bottom"})
#: Channel layouts ``ffmpeg -i`` prints by name.
_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "downmix": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4,
    "quad": 4, "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6,
    "5.1(side)": 6, "6.0": 6, "6.0(front)": 6, "hexagonal": 6, "6.1": 7, "6.1(back)": 7,
    "6.1(front)": 7, "7.0": 7, "7.0(front)": 7, "7.1": 8, "7.1(wide)": 8, "7.1(wide-side)": 8,
    "7.1(top)": 8, "octagonal": 8, "5.1.2": 8, "5.1.4": 10, "7.1.2": 10, "7.1.4": 12,
    "hexadecagonal": 16, "22.2": 24,
}
_SECTION_END_RE = re.compile(r"^(Input #[1-9]|Output #|Stream mapping:|At least one output)")


def _probe_ffmpeg(ffmpeg: str, path: str) -> _Container:
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
                     language=lang, default="(default)" in rest)
    parts = _top_level_parts(rest)
    if stream.kind == "audio":
        stream.channels = _channels_from_parts(parts)
    if stream.kind == "video":
        _apply_pixel_format(stream, parts)
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
    # mp4 keeps a track's title in its "name" box; "title" wins when both are there
    if title and (stream.title is None or title["key"].lower() == "title"):
        stream.title = title["title"] or stream.title


def _top_level_parts(text: str) -> list[str]:
    """``text`` split at the commas that are not inside parentheses or brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(text[start:position].strip())
            start = position + 1
    parts.append(text[start:].strip())
    return parts


def _apply_pixel_format(stream: _Stream, parts: list[str]) -> None:
    """Pixel format, range, colours and field order from ``yuv420p10le(tv, bt2020nc/bt2020/
    smpte2084, top first)``, the part after the codec on a video stream line."""
    found = _PIX_FMT_RE.match(parts[1]) if len(parts) > 1 else None
    if not found:
        return
    stream.pix_fmt = _tag_value(found["pix"])
    stream.bit_depth = bit_depth_of(stream.pix_fmt)
    for detail in (found["details"] or "").split(","):
        detail = detail.strip()
        if detail in _FIELD_ORDER_TEXT:
            stream.field_order = _FIELD_ORDER_TEXT[detail]
        elif detail in ("tv", "pc"):
            stream.color_range = detail
        elif "/" in detail:  # matrix/primaries/transfer when they differ
            space, _, rest = detail.partition("/")
            primaries, _, transfer = rest.partition("/")
            stream.color_space = _tag_value(space)
            stream.color_primaries = _tag_value(primaries)
            stream.color_transfer = _tag_value(transfer)
        elif detail and detail not in _CHROMA_LOCATIONS:  # one name: all three are the same
            stream.color_space = stream.color_primaries = stream.color_transfer = (
                _tag_value(detail))


def _channels_from_parts(parts: list[str]) -> int | None:
    """Channel count from an audio stream line: the layout after ``48000 Hz``."""
    for position, part in enumerate(parts[:-1]):
        if _HZ_RE.match(part):
            layout = parts[position + 1]
            counted = _CHANNELS_RE.match(layout)
            return int(counted["n"]) if counted else _LAYOUT_CHANNELS.get(layout)
    return None


# --- shared ----------------------------------------------------------------------------------


def _measure_duration(ffmpeg: str, path: str) -> float | None:
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


_FRAME_COLOURS_RE = re.compile(
    r"color_range:(?P<range>\S+) color_space:(?P<space>\S+) "
    r"color_primaries:(?P<primaries>\S+) color_trc:(?P<transfer>\S+)"
)


def _fill_colours_from_a_frame(container: _Container, ffmpeg: str, target: str | Path) -> None:
    """The colours of the first decoded frame when the container does not give the transfer
    of a video above 8 bits (the only kind that can be HDR).

    A container may say "unspecified" where the bitstream says PQ or HLG (ffmpeg 7+ writes such
    Matroska files from untagged frames), and ffmpeg reports the container's word; the decoder
    reads the bitstream. One frame is decoded, only in that case.
    """
    videos = _videos(container)
    if not videos or videos[0].color_transfer or (videos[0].bit_depth or 8) <= 8:
        return
    video = videos[0]
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-i", str(target),
            "-map", f"0:{video.index}", "-frames:v", "1", "-vf", "showinfo",
            "-an", "-sn", "-dn", "-f", "null", "-"]
    try:
        done = run_tool(argv, timeout_s=PROBE_TIMEOUT_S, check=False)
    except ToolFailed:
        return
    found = _FRAME_COLOURS_RE.search(done.stderr)
    if found is None or _tag_value(found["transfer"]) is None:
        return
    video.color_transfer = _tag_value(found["transfer"])
    video.color_primaries = _tag_value(found["primaries"]) or video.color_primaries
    video.color_space = _tag_value(found["space"]) or video.color_space
    video.color_range = _tag_value(found["range"]) or video.color_range


def _videos(container: _Container) -> list[_Stream]:
    """The container's video streams that are moving pictures (not cover art)."""
    return [s for s in container.streams if s.kind == "video" and not s.attached_pic]


def _build(container: _Container, require_video: bool) -> SourceInfo:
    videos = _videos(container)
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
    tracks = _audio_tracks(audios)
    audio = tracks[0] if tracks else None
    common: dict[str, Any] = {
        "duration_s": container.duration_s,
        "audio_codec": audio.codec if audio else None,
        "audio_index": audio.index if audio else None,
        "audio_language": audio.language if audio else None,
        "audio_tracks": tracks,
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
        field_order=video.field_order,
        color_transfer=video.color_transfer,
        color_primaries=video.color_primaries,
        color_space=video.color_space,
        color_range=video.color_range,
        pix_fmt=video.pix_fmt,
        bit_depth=video.bit_depth,
        **common,
    )


def _audio_tracks(audios: list[_Stream]) -> tuple[AudioTrack, ...]:
    """Every audio stream, the default one first, then by stream index.

    Exactly one track is the default: the first one the container flags (Matroska flags every
    track by default), or the first track when none is flagged (MPEG-TS flags none).
    """
    ordered = sorted(audios, key=lambda s: s.index)
    chosen = next((s for s in ordered if s.default), ordered[0] if ordered else None)
    tracks = [
        AudioTrack(index=s.index, codec=s.codec, language=_language(s.language), title=s.title,
                   channels=s.channels, default=s is chosen)
        for s in ordered
    ]
    return tuple(sorted(tracks, key=lambda t: (not t.default, t.index)))


def bit_depth_of(pix_fmt: str | None) -> int | None:
    """Bits per sample of an ffmpeg pixel format: 10 for ``yuv420p10le``, ``p010le`` or
    ``x2rgb10le``, 8 for ``yuv420p`` or ``nv12``; None when there is no pixel format."""
    if not pix_fmt:
        return None
    name = pix_fmt.lower()
    if not name.endswith(("le", "be")):  # only formats above 8 bits name their endianness
        return 8
    name = name[:-2]
    if name in _ODD_DEPTHS:
        return _ODD_DEPTHS[name]
    semi_planar = re.fullmatch(r"[py][0-9](?P<bits>\d\d)", name)  # p010, p216, y210
    found = semi_planar or re.search(r"(?<=[a-z])(?P<bits>\d{1,2})$", name)  # yuv420p10
    if found and int(found["bits"]) in (9, 10, 12, 14, 16):
        return int(found["bits"])
    return 8


#: Packed formats whose name does not end in their bit depth.
_ODD_DEPTHS = {"rgb48": 16, "bgr48": 16, "rgba64": 16, "bgra64": 16, "xv30": 10, "xv36": 12,
               "v30x": 10, "xv48": 16, "ayuv64": 16, "y212": 12, "gbrpf32": 32,
               "gbrapf32": 32, "grayf32": 32}


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


def _tag_value(value: Any) -> str | None:
    """A probed name, None when absent or "unknown"."""
    text = str(value).strip() if value is not None else ""
    return text if text and text.lower() not in ("unknown", "none", "n/a") else None


def _positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _sample_bits(value: Any) -> int | None:
    """ffprobe's ``bits_per_raw_sample`` when it is a plausible video bit depth."""
    bits = _positive_int(value)
    return bits if bits is not None and 8 <= bits <= 16 else None


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


def probe_url(url: str, tools: Tools | None = None, require_video: bool = True) -> SourceInfo:
    """Describe the file at ``url`` (a presigned GET): ffmpeg reads the container's header
    and index with Range requests, not the whole file."""
    return _describe(url, tools or find_tools(), require_video)
