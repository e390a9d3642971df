"""List WebVTT subtitle files in the DASH manifest and the HLS master playlist.

ffmpeg's dash muxer writes audio and video only. Each subtitle file becomes, in the MPD, a
text AdaptationSet whose Representation points at the .vtt by BaseURL (what dash.js loads
as an external text track), and in HLS a SUBTITLES rendition with a one-cue-file playlist.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DASH_NS = "urn:mpeg:dash:schema:mpd:2011"
GROUP = "subs"


@dataclass(frozen=True)
class TextTrack:
    file_name: str  # e.g. subtitles-en.vtt, beside the manifest
    language: str  # BCP-47-ish, "und" when unknown
    label: str


def add_to_mpd(mpd_path: Path, tracks: Sequence[TextTrack]) -> None:
    if not tracks:
        return
    ET.register_namespace("", DASH_NS)
    tree = ET.parse(mpd_path)  # noqa: S314 - written by our own ffmpeg, not uploaded
    period = tree.getroot().find(f"{{{DASH_NS}}}Period")
    if period is None:
        raise ValueError(f"{mpd_path.name} has no Period")
    existing = len(period.findall(f"{{{DASH_NS}}}AdaptationSet"))
    for number, track in enumerate(tracks):
        adaptation = ET.SubElement(period, f"{{{DASH_NS}}}AdaptationSet", {
            "id": str(existing + number), "contentType": "text", "mimeType": "text/vtt",
            "lang": track.language})
        ET.SubElement(adaptation, f"{{{DASH_NS}}}Role", {
            "schemeIdUri": "urn:mpeg:dash:role:2011", "value": "subtitle"})
        representation = ET.SubElement(adaptation, f"{{{DASH_NS}}}Representation", {
            "id": f"text-{track.language}-{number}", "bandwidth": "256"})
        ET.SubElement(representation, f"{{{DASH_NS}}}BaseURL").text = track.file_name
    tree.write(mpd_path, encoding="utf-8", xml_declaration=True)


def add_to_hls(master_path: Path, tracks: Sequence[TextTrack], duration_s: float) -> list[Path]:
    """Add the renditions to the master playlist; the media playlists written beside it."""
    if not tracks or not master_path.exists():
        return []
    written = []
    media_lines = []
    for number, track in enumerate(tracks):
        playlist = master_path.with_name(f"{Path(track.file_name).stem}.m3u8")
        target = max(1, math.ceil(duration_s))
        playlist.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                            f"#EXT-X-TARGETDURATION:{target}\n#EXTINF:{duration_s:.3f},\n"
                            f"{track.file_name}\n#EXT-X-ENDLIST\n")
        written.append(playlist)
        default = "YES" if number == 0 else "NO"
        media_lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{GROUP}",NAME="{track.label}",'
            f'LANGUAGE="{track.language}",DEFAULT={default},AUTOSELECT=YES,'
            f'URI="{playlist.name}"')
    lines = master_path.read_text().splitlines()
    out: list[str] = []
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF:") and "SUBTITLES=" not in line:
            line = f'{line},SUBTITLES="{GROUP}"'
        out.append(line)
    insert_at = 1 if out and out[0] == "#EXTM3U" else 0
    while insert_at < len(out) and out[insert_at].startswith("#EXT-X-VERSION"):
        insert_at += 1
    out[insert_at:insert_at] = media_lines
    master_path.write_text("\n".join(out) + "\n")
    return written
