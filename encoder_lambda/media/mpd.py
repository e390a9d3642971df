"""Read a DASH manifest (MPD): its representations and every file it references.

Handles what ffmpeg's dash muxer writes (SegmentTemplate + SegmentTimeline per
Representation, ``$RepresentationID$``/``$Number%05d$``) and the other common forms:
SegmentTemplate on the AdaptationSet or Period, ``$Time$``/``$Bandwidth$``, ``@duration``
templates without a timeline, SegmentList, and a single-file BaseURL. Paths are returned as
written, relative to the manifest's directory. The publisher uses :func:`missing_files` to
check that a package is complete before making it visible.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

NS = "{urn:mpeg:dash:schema:mpd:2011}"

_DURATION_RE = re.compile(
    r"^P(?:(?P<d>[\d.]+)D)?(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
_IDENTIFIER_RE = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth)(?:%0(\d+)d)?\$|\$\$")


class InvalidManifest(ValueError):
    """Not a DASH manifest this module can read."""


@dataclass(frozen=True)
class Representation:
    id: str
    content_type: str  # "video", "audio", "text" (from contentType or mimeType)
    mime_type: str
    codecs: str
    bandwidth: int
    width: int | None
    height: int | None
    timescale: int
    initialization: str | None
    segments: tuple[str, ...]
    segment_durations: tuple[float, ...]  # seconds, parallel to ``segments`` when known
    # (start, duration) of each segment in ``timescale`` ticks, when from a SegmentTemplate
    timeline: tuple[tuple[int, int], ...] = ()
    frame_rate: str | None = None  # as written: "24/1", "30000/1001"
    sar: str | None = None
    language: str | None = None  # the AdaptationSet's (or Representation's) lang
    audio_sampling_rate: int | None = None
    channels: int | None = None  # AudioChannelConfiguration, when a plain number

    @property
    def files(self) -> list[str]:
        head = [self.initialization] if self.initialization else []
        return head + list(self.segments)


@dataclass(frozen=True)
class Manifest:
    type: str  # "static" for VOD
    duration_s: float | None
    representations: tuple[Representation, ...] = field(default_factory=tuple)

    def files(self) -> list[str]:
        """Every referenced file, once, in manifest order."""
        seen: dict[str, None] = {}
        for rep in self.representations:
            for name in rep.files:
                seen.setdefault(name, None)
        return list(seen)

    def by_type(self, content_type: str) -> list[Representation]:
        return [r for r in self.representations if r.content_type == content_type]


def parse_iso_duration(text: str | None) -> float | None:
    """``"PT1H2M3.5S"`` -> 3723.5 seconds; None when absent."""
    if not text:
        return None
    found = _DURATION_RE.match(text.strip())
    if not found:
        raise InvalidManifest(f"not an ISO 8601 duration: {text!r}")
    parts = {k: float(v) for k, v in found.groupdict().items() if v}
    return (parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60
            + parts.get("s", 0))


def parse(text: str | bytes) -> Manifest:
    """The manifest in ``text``; :class:`InvalidManifest` if it is not an MPD."""
    try:
        root = ET.fromstring(text)  # noqa: S314 (our own ffmpeg output, no DTDs)
    except ET.ParseError as exc:
        raise InvalidManifest(f"the manifest is not XML: {exc}") from exc
    if root.tag != f"{NS}MPD":
        raise InvalidManifest("the document is not a DASH MPD")
    total = parse_iso_duration(root.get("mediaPresentationDuration"))
    periods = root.findall(f"{NS}Period")
    representations: list[Representation] = []
    for number, period in enumerate(periods):
        start = parse_iso_duration(period.get("start")) or 0.0
        length = parse_iso_duration(period.get("duration"))
        if length is None and number + 1 < len(periods):
            following = parse_iso_duration(periods[number + 1].get("start"))
            length = following - start if following is not None else None
        if length is None and total is not None:
            length = total - start
        for adaptation in period.findall(f"{NS}AdaptationSet"):
            for rep in adaptation.findall(f"{NS}Representation"):
                representations.append(
                    _representation(root, period, adaptation, rep, length)
                )
    return Manifest(root.get("type", "static"), total, tuple(representations))


def read(path: str | Path) -> Manifest:
    return parse(Path(path).read_bytes())


def referenced_files(mpd_path: str | Path) -> list[str]:
    """Every file ``mpd_path`` references, relative to its directory."""
    return read(mpd_path).files()


def missing_files(mpd_path: str | Path) -> list[str]:
    """The referenced files that do not exist (or are empty) beside ``mpd_path``."""
    base = Path(mpd_path).parent
    missing = []
    for name in referenced_files(mpd_path):
        target = base / name
        if not target.is_file() or target.stat().st_size == 0:
            missing.append(name)
    return missing


def _representation(
    root: ET.Element,
    period: ET.Element,
    adaptation: ET.Element,
    rep: ET.Element,
    period_s: float | None,
) -> Representation:
    rep_id = rep.get("id", "")
    bandwidth = int(rep.get("bandwidth", "0") or 0)
    mime = rep.get("mimeType") or adaptation.get("mimeType") or ""
    content_type = adaptation.get("contentType") or rep.get("contentType") or mime.split("/")[0]
    base = _base_url(root, period, adaptation, rep)
    timescale = 1
    initialization: str | None = None
    segments: list[str] = []
    durations: list[float] = []
    spans: list[tuple[int, int]] = []
    templates = [e.find(f"{NS}SegmentTemplate") for e in (rep, adaptation, period)]
    chain = [t for t in templates if t is not None]
    seg_list = rep.find(f"{NS}SegmentList")
    if seg_list is None:
        seg_list = adaptation.find(f"{NS}SegmentList")
    if chain:
        timescale = int(_inherited(chain, "timescale") or 1)
        init_template = _inherited(chain, "initialization")
        media = _inherited(chain, "media")
        start_number = int(_inherited(chain, "startNumber") or 1)
        values = {"RepresentationID": rep_id, "Bandwidth": str(bandwidth)}
        if init_template:
            initialization = base + _fill(init_template, values)
        timeline = next((t.find(f"{NS}SegmentTimeline") for t in chain
                         if t.find(f"{NS}SegmentTimeline") is not None), None)
        if media:
            if timeline is not None:
                entries = list(_timeline(timeline, timescale, period_s))
            else:
                entries = list(_fixed(chain, timescale, period_s))
            for offset, (time, duration) in enumerate(entries):
                number = start_number + offset
                segments.append(base + _fill(media, {**values, "Number": str(number),
                                                     "Time": str(time)}))
                durations.append(duration / timescale)
                spans.append((time, duration))
    elif seg_list is not None:
        timescale = int(seg_list.get("timescale", "1"))
        init = seg_list.find(f"{NS}Initialization")
        if init is not None and init.get("sourceURL"):
            initialization = base + str(init.get("sourceURL"))
        segments = [base + str(s.get("media")) for s in seg_list.findall(f"{NS}SegmentURL")
                    if s.get("media")]
    elif base:
        segments = [base]
    return Representation(
        id=rep_id,
        content_type=content_type,
        mime_type=mime,
        codecs=rep.get("codecs") or adaptation.get("codecs") or "",
        bandwidth=bandwidth,
        width=_int(rep.get("width") or adaptation.get("width")),
        height=_int(rep.get("height") or adaptation.get("height")),
        timescale=timescale,
        initialization=initialization,
        segments=tuple(segments),
        segment_durations=tuple(durations),
        timeline=tuple(spans),
        frame_rate=rep.get("frameRate") or adaptation.get("frameRate"),
        sar=rep.get("sar") or adaptation.get("sar"),
        language=rep.get("lang") or adaptation.get("lang"),
        audio_sampling_rate=_int(rep.get("audioSamplingRate")
                                 or adaptation.get("audioSamplingRate")),
        channels=_channels(rep, adaptation),
    )


def _channels(rep: ET.Element, adaptation: ET.Element) -> int | None:
    for element in (rep, adaptation):
        config = element.find(f"{NS}AudioChannelConfiguration")
        if config is not None:
            return _int(config.get("value"))
    return None


def _timeline(
    timeline: ET.Element, timescale: int, period_s: float | None
) -> Iterator[tuple[int, int]]:
    """``(start, duration)`` of each segment, in timescale units; ``@r`` expanded."""
    entries = timeline.findall(f"{NS}S")
    time = 0
    for position, entry in enumerate(entries):
        if entry.get("t") is not None:
            time = int(entry.get("t", "0"))
        duration = int(entry.get("d", "0"))
        if duration <= 0:
            raise InvalidManifest("a SegmentTimeline entry has no duration")
        repeat = int(entry.get("r", "0"))
        if repeat < 0:  # repeat until the next S@t, else to the end of the period
            following = entries[position + 1].get("t") if position + 1 < len(entries) else None
            if following is not None:
                end = int(following)
            elif period_s is not None:
                end = round(period_s * timescale)
            else:
                raise InvalidManifest("an open-ended SegmentTimeline in a period with no end")
            repeat = max(0, math.ceil((end - time) / duration) - 1)
        for _ in range(repeat + 1):
            yield time, duration
            time += duration


def _fixed(
    chain: list[ET.Element], timescale: int, period_s: float | None
) -> Iterator[tuple[int, int]]:
    duration = int(_inherited(chain, "duration") or 0)
    if duration <= 0 or period_s is None:
        raise InvalidManifest("a SegmentTemplate has neither a timeline nor a usable duration")
    count = math.ceil(period_s * timescale / duration - 1e-9)
    for index in range(count):
        yield index * duration, duration


def _fill(template: str, values: dict[str, str]) -> str:
    def substitute(found: re.Match[str]) -> str:
        if found.group(0) == "$$":
            return "$"
        value = values.get(found.group(1), "")
        width = found.group(2)
        return value.zfill(int(width)) if width else value

    return _IDENTIFIER_RE.sub(substitute, template)


def _inherited(chain: list[ET.Element], name: str) -> str | None:
    for element in chain:
        value = element.get(name)
        if value is not None:
            return value
    return None


def _base_url(*levels: ET.Element) -> str:
    """Relative BaseURL prefix from MPD down to Representation (absolute URLs ignored)."""
    prefix = ""
    for level in levels:
        element = level.find(f"{NS}BaseURL")
        if element is None or not (element.text or "").strip():
            continue
        url = (element.text or "").strip()
        if urlsplit(url).scheme or url.startswith("/"):
            prefix = ""
            continue
        prefix = prefix + unquote(url)
    return prefix


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
