"""Write a title's manifests (DASH ``manifest.mpd``, HLS ``master.m3u8`` + media playlists).

The segments of a chunked encode come from several ffmpeg runs (one per video chunk, one per
audio track), so no run's own manifest describes the title: the assemble step describes every
track as a :class:`Track` (codecs, sizes, the start and length of each segment in the track's
timescale) and this module writes fresh documents from that. :func:`read_tracks` takes those
descriptions from a chunk's ffmpeg MPD, :func:`concat` joins a rung's chunks, each shifted to
its place in the title (:func:`chunk_offset`).

Files are named as the dash muxer names them: ``init-<id>.m4s`` and
``chunk-<id>-<number %05d>.m4s`` with numbers from 1 over the whole title.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from encoder_lambda.media import mpd

DASH_NS = "urn:mpeg:dash:schema:mpd:2011"
PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"
ROLE_SCHEME = "urn:mpeg:dash:role:2011"
CHANNELS_SCHEME = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
INIT_TEMPLATE = "init-$RepresentationID$.m4s"
MEDIA_TEMPLATE = "chunk-$RepresentationID$-$Number%05d$.m4s"
HLS_MASTER = "master.m3u8"
HLS_VERSION = 7
AUDIO_GROUP = "audio"


@dataclass(frozen=True)
class Segment:
    start: int  # ticks of the track's timescale
    duration: int


@dataclass(frozen=True)
class Track:
    id: str  # representation id: "0".."4" video rungs, "a0", "a1" audio
    kind: str  # "video" | "audio"
    codecs: str  # "avc1.64001f", "mp4a.40.2"
    bandwidth: int  # bits/s (average)
    timescale: int
    segments: tuple[Segment, ...]
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None  # "24", "30000/1001"
    sar: str | None = None  # "1:1"
    language: str | None = None
    label: str | None = None
    default: bool = False  # the default audio track (listed first, HLS DEFAULT=YES)
    channels: int | None = None
    sample_rate: int | None = None
    max_bandwidth: int | None = None  # peak bits/s for HLS BANDWIDTH; ``bandwidth`` if None

    @property
    def init_name(self) -> str:
        return f"init-{self.id}.m4s"

    def segment_name(self, number: int) -> str:
        """The file of segment ``number`` (from 1)."""
        return f"chunk-{self.id}-{number:05d}.m4s"

    @property
    def files(self) -> list[str]:
        return [self.init_name] + [self.segment_name(n + 1) for n in range(len(self.segments))]

    @property
    def duration_s(self) -> float:
        if not self.segments:
            return 0.0
        last = self.segments[-1]
        return (last.start + last.duration - self.segments[0].start) / self.timescale


# --- DASH ------------------------------------------------------------------------------------


def write_mpd(tracks: Sequence[Track], duration_s: float, segment_seconds: float) -> str:
    """A static MPD: one AdaptationSet for the video rungs, one per audio track (default first)."""
    videos, audios = _split(tracks)
    longest = max(Fraction(s.duration, t.timescale) for t in tracks for s in t.segments)
    root = ET.Element("MPD", {
        "xmlns": DASH_NS,
        "profiles": PROFILE,
        "type": "static",
        "mediaPresentationDuration": iso_duration(duration_s),
        "maxSegmentDuration": iso_duration(math.ceil(longest * 1000) / 1000),
        "minBufferTime": iso_duration(2 * segment_seconds),
    })
    period = ET.SubElement(root, "Period", {"id": "0", "start": "PT0S"})
    _video_set(period, videos)
    for number, track in enumerate(audios, start=1):
        _audio_set(period, str(number), track)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def iso_duration(seconds: float) -> str:
    """3723.5 -> ``"PT1H2M3.500S"`` (to the millisecond)."""
    if seconds < 0:
        raise ValueError(f"a negative duration: {seconds}")
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    return text + f"{millis / 1000:.3f}S"


def _split(tracks: Sequence[Track]) -> tuple[list[Track], list[Track]]:
    """(video rungs, audio tracks with the default first); checks what the writers rely on."""
    ids = [t.id for t in tracks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"track ids are not unique: {ids}")
    for track in tracks:
        if track.kind not in ("video", "audio"):
            raise ValueError(f"track {track.id}: unknown kind {track.kind!r}")
        if not track.segments:
            raise ValueError(f"track {track.id} has no segments")
        if track.timescale <= 0:
            raise ValueError(f"track {track.id} has timescale {track.timescale}")
    videos = [t for t in tracks if t.kind == "video"]
    if not videos:
        raise ValueError("no video track")
    for video in videos:
        if video.width is None or video.height is None:
            raise ValueError(f"video track {video.id} has no size")
    audios = [t for t in tracks if t.kind == "audio"]
    defaults = [t for t in audios if t.default]
    if len(defaults) > 1:
        raise ValueError(f"several default audio tracks: {[t.id for t in defaults]}")
    if audios and not defaults:
        audios[0] = replace(audios[0], default=True)
    audios.sort(key=lambda t: not t.default)  # stable: the others keep their order
    return videos, audios


def _video_set(period: ET.Element, videos: list[Track]) -> None:
    biggest = max(videos, key=lambda t: (t.width or 0) * (t.height or 0))
    attributes = {
        "id": "0", "contentType": "video", "mimeType": "video/mp4", "segmentAlignment": "true",
        "startWithSAP": "1",
        "maxWidth": str(max(t.width or 0 for t in videos)),
        "maxHeight": str(max(t.height or 0 for t in videos)),
    }
    rates = {t.frame_rate for t in videos}
    if len(rates) == 1 and None not in rates:
        attributes["frameRate"] = str(rates.pop())
    attributes["par"] = _par(biggest)
    adaptation = ET.SubElement(period, "AdaptationSet", attributes)
    for track in videos:
        rep = {"id": track.id, "codecs": track.codecs, "bandwidth": str(track.bandwidth),
               "width": str(track.width), "height": str(track.height)}
        if track.frame_rate:
            rep["frameRate"] = track.frame_rate
        if track.sar:
            rep["sar"] = track.sar
        _segment_template(ET.SubElement(adaptation, "Representation", rep), track)


def _par(track: Track) -> str:
    """Display aspect ratio "16:9" of a rung: its size stretched by its sample aspect ratio."""
    sar = Fraction(1)
    if track.sar:
        num, _, den = track.sar.partition(":")
        sar = Fraction(int(num), int(den or 1))
    ratio = Fraction(track.width or 1) * sar / (track.height or 1)
    return f"{ratio.numerator}:{ratio.denominator}"


def _audio_set(period: ET.Element, set_id: str, track: Track) -> None:
    attributes = {"id": set_id, "contentType": "audio", "mimeType": "audio/mp4"}
    if track.language:
        attributes["lang"] = track.language
    attributes.update({"segmentAlignment": "true", "startWithSAP": "1"})
    adaptation = ET.SubElement(period, "AdaptationSet", attributes)
    if track.label:
        ET.SubElement(adaptation, "Label").text = track.label
    ET.SubElement(adaptation, "Role", {"schemeIdUri": ROLE_SCHEME,
                                       "value": "main" if track.default else "alternate"})
    rep = {"id": track.id, "codecs": track.codecs, "bandwidth": str(track.bandwidth)}
    if track.sample_rate:
        rep["audioSamplingRate"] = str(track.sample_rate)
    representation = ET.SubElement(adaptation, "Representation", rep)
    if track.channels:
        ET.SubElement(representation, "AudioChannelConfiguration", {
            "schemeIdUri": CHANNELS_SCHEME, "value": str(track.channels)})
    _segment_template(representation, track)


def _segment_template(parent: ET.Element, track: Track) -> None:
    template = ET.SubElement(parent, "SegmentTemplate", {
        "timescale": str(track.timescale), "initialization": INIT_TEMPLATE,
        "media": MEDIA_TEMPLATE, "startNumber": "1"})
    timeline = ET.SubElement(template, "SegmentTimeline")
    for start, duration, repeat in timeline_entries(track.segments):
        entry: dict[str, str] = {}
        if start is not None:
            entry["t"] = str(start)
        entry["d"] = str(duration)
        if repeat:
            entry["r"] = str(repeat)
        ET.SubElement(timeline, "S", entry)


def timeline_entries(segments: Sequence[Segment]) -> list[tuple[int | None, int, int]]:
    """SegmentTimeline ``S`` entries (t or None, d, r) for ``segments``.

    ``t`` is written on the first entry and wherever a segment does not start where the one
    before it ended; ``r`` counts the repeats of a run of equal, contiguous segments.
    """
    entries: list[tuple[int | None, int, int]] = []
    end: int | None = None
    for segment in segments:
        if segment.duration <= 0:
            raise ValueError(f"a segment of duration {segment.duration} at {segment.start}")
        contiguous = segment.start == end
        if contiguous and entries and entries[-1][1] == segment.duration:
            start, duration, repeat = entries[-1]
            entries[-1] = (start, duration, repeat + 1)
        else:
            entries.append((None if contiguous else segment.start, segment.duration, 0))
        end = segment.start + segment.duration
    return entries


# --- HLS -------------------------------------------------------------------------------------


def write_hls(tracks: Sequence[Track], segment_seconds: float) -> dict[str, str]:
    """``master.m3u8`` and one ``media_<id>.m3u8`` per track: file name -> text.

    A media playlist's EXT-X-TARGETDURATION is its longest segment rounded up, and at least
    ``segment_seconds`` rounded up.
    """
    videos, audios = _split(tracks)
    files = {HLS_MASTER: _master(videos, audios)}
    for track in (*videos, *audios):
        longest = max(Fraction(s.duration, track.timescale) for s in track.segments)
        target = max(1, math.ceil(longest), math.ceil(segment_seconds))
        files[media_playlist_name(track)] = _media_playlist(track, target)
    return files


def media_playlist_name(track: Track) -> str:
    return f"media_{track.id}.m3u8"


def _quoted(text: str) -> str:
    """An HLS quoted-string: no double quotes, no line breaks."""
    return '"' + text.replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'


def _master(videos: list[Track], audios: list[Track]) -> str:
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for track in audios:
        attributes = [f"TYPE=AUDIO,GROUP-ID={_quoted(AUDIO_GROUP)}",
                      f"NAME={_quoted(track.label or track.language or track.id)}"]
        if track.language:
            attributes.append(f"LANGUAGE={_quoted(track.language)}")
        attributes.append(f"DEFAULT={'YES' if track.default else 'NO'},AUTOSELECT=YES")
        if track.channels:
            attributes.append(f"CHANNELS={_quoted(str(track.channels))}")
        attributes.append(f"URI={_quoted(media_playlist_name(track))}")
        lines.append("#EXT-X-MEDIA:" + ",".join(attributes))
    audio_peak = max((t.max_bandwidth or t.bandwidth for t in audios), default=0)
    audio_average = max((t.bandwidth for t in audios), default=0)
    audio_codecs = list(dict.fromkeys(t.codecs for t in audios))
    for track in videos:
        attributes = [
            f"BANDWIDTH={(track.max_bandwidth or track.bandwidth) + audio_peak}",
            f"AVERAGE-BANDWIDTH={track.bandwidth + audio_average}",
            f"RESOLUTION={track.width}x{track.height}",
        ]
        if track.frame_rate:
            attributes.append(f"FRAME-RATE={float(Fraction(track.frame_rate)):.3f}")
        attributes.append(f"CODECS={_quoted(','.join([track.codecs, *audio_codecs]))}")
        if audios:
            attributes.append(f"AUDIO={_quoted(AUDIO_GROUP)}")
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attributes))
        lines.append(media_playlist_name(track))
    return "\n".join(lines) + "\n"


def _media_playlist(track: Track, target: int) -> str:
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", f"#EXT-X-TARGETDURATION:{target}",
             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS",
             f'#EXT-X-MAP:URI="{track.init_name}"']
    for number, segment in enumerate(track.segments, start=1):
        lines.append(f"#EXTINF:{segment.duration / track.timescale:.6f},")
        lines.append(track.segment_name(number))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


# --- tracks from ffmpeg's chunk manifests ----------------------------------------------------


def read_tracks(mpd_text: str | bytes) -> list[Track]:
    """The audio and video representations of an MPD the dash muxer wrote, as tracks."""
    manifest = mpd.parse(mpd_text)
    tracks: list[Track] = []
    for rep in manifest.representations:
        if rep.content_type not in ("video", "audio"):
            continue
        if not rep.timeline:
            raise ValueError(f"representation {rep.id} has no segment timeline")
        tracks.append(Track(
            id=rep.id,
            kind=rep.content_type,
            codecs=rep.codecs,
            bandwidth=rep.bandwidth,
            timescale=rep.timescale,
            segments=tuple(Segment(start, duration) for start, duration in rep.timeline),
            width=rep.width,
            height=rep.height,
            frame_rate=_rate(rep.frame_rate),
            sar=rep.sar,
            language=rep.language,
            channels=rep.channels,
            sample_rate=rep.audio_sampling_rate,
        ))
    return tracks


def read_rungs(mpd_text: str | bytes) -> list[Track]:
    """The video representations of a chunk's MPD, in its order (the ladder's)."""
    return [t for t in read_tracks(mpd_text) if t.kind == "video"]


def _rate(text: str | None) -> str | None:
    """"24/1" -> "24"; "30000/1001" stays."""
    if not text:
        return None
    return str(Fraction(text))


def chunk_offset(start_s: float | Fraction, timescale: int,
                 frame_rate: str | Fraction | None = None) -> int:
    """Ticks to add to a chunk that starts at ``start_s`` of the title.

    ffmpeg times a chunk's output from its first frame, which (input seeking, accurate seek) is
    the first frame at or after ``start_s``. At a constant ``frame_rate`` that frame is at
    ``ceil(start_s * rate) / rate``: 8.008 s, not 8 s, for a chunk from 8 s at 30000/1001. Without
    a frame rate, ``start_s`` itself is used.
    """
    start = Fraction(str(start_s)) if isinstance(start_s, float) else Fraction(start_s)
    if frame_rate is not None:
        rate = Fraction(frame_rate)
        start = math.ceil(start * rate) / rate
    return round(start * timescale)


def shifted(track: Track, ticks: int) -> Track:
    return replace(track, segments=tuple(Segment(s.start + ticks, s.duration)
                                         for s in track.segments))


def concat(chunks: Sequence[Sequence[Track]], offsets_ticks: Sequence[int]) -> list[Track]:
    """Each track's segments over every chunk, chunk ``k``'s shifted by ``offsets_ticks[k]``.

    Tracks are matched by id and must agree on kind, codecs, timescale and size in every chunk
    (one init segment serves them all); the bandwidths are the highest seen.
    """
    if len(chunks) != len(offsets_ticks):
        raise ValueError(f"{len(chunks)} chunks but {len(offsets_ticks)} offsets")
    if not chunks:
        return []
    joined = {t.id: t for t in chunks[0]}
    if len(joined) != len(chunks[0]):
        raise ValueError("track ids repeat within a chunk")
    joined = {key: replace(track, segments=()) for key, track in joined.items()}
    for number, (chunk, offset) in enumerate(zip(chunks, offsets_ticks, strict=True)):
        if sorted(t.id for t in chunk) != sorted(joined):
            raise ValueError(f"chunk {number} has tracks {[t.id for t in chunk]}, "
                             f"not {sorted(joined)}")
        for track in chunk:
            whole = joined[track.id]
            _check_same(whole, track, number)
            moved = shifted(track, offset)
            joined[track.id] = replace(
                whole, segments=whole.segments + moved.segments,
                bandwidth=max(whole.bandwidth, track.bandwidth),
                max_bandwidth=_highest(whole.max_bandwidth, track.max_bandwidth))
    return [joined[t.id] for t in chunks[0]]


def _check_same(whole: Track, part: Track, number: int) -> None:
    for name in ("kind", "codecs", "timescale", "width", "height", "sar"):
        if getattr(whole, name) != getattr(part, name):
            raise ValueError(f"track {part.id}: chunk {number} has {name} "
                             f"{getattr(part, name)!r}, the first chunk {getattr(whole, name)!r}")


def _highest(a: int | None, b: int | None) -> int | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


def discontinuities(track: Track) -> list[tuple[int, int]]:
    """(index, ticks) of every segment that does not start where the previous one ended.

    Positive ticks are a gap, negative an overlap.
    """
    found: list[tuple[int, int]] = []
    for index in range(1, len(track.segments)):
        before, segment = track.segments[index - 1], track.segments[index]
        step = segment.start - (before.start + before.duration)
        if step:
            found.append((index, step))
    return found
