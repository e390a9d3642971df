"""Manifests of a chunked encode, on REAL ffmpeg output: two video chunks, one audio encode.

The package is assembled as the assemble step will: the rungs' segments of every chunk are
retimed (fmp4) and renamed to their global numbers, the audio track's segments renamed to
``a0``/``a1``, and fresh manifests written from the tracks. ffmpeg's own dash and hls demuxers
must then play the whole title.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from encoder_lambda.media import fmp4, mpd, packaging, text_tracks
from encoder_lambda.media.packaging import Segment, Track
from tests.unit.encoder_lambda.media.test_fmp4 import (
    CHUNK_SECONDS,
    SEGMENT_SECONDS,
    Chunks,
    dash_options,
    encode_chunks,
    ffmpeg_path,
    run_ffmpeg,
)

TITLE_SECONDS = 2 * CHUNK_SECONDS
PER_CHUNK = CHUNK_SECONDS // SEGMENT_SECONDS


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory) -> Chunks:
    return encode_chunks(tmp_path_factory.mktemp("chunks"))


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audio task: one track of the whole title, its own dash output."""
    out = tmp_path_factory.mktemp("audio")
    run_ffmpeg("-loglevel", "warning", "-f", "lavfi",
               "-i", f"sine=frequency=440:sample_rate=48000:duration={TITLE_SECONDS}",
               "-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "48000",
               "-metadata:s:a:0", "language=eng", "-adaptation_sets", "id=0,streams=a",
               *dash_options(SEGMENT_SECONDS), str(out / "manifest.mpd"))
    return out


def _assemble_video(chunks: Chunks, out: Path, offsets: list[int]) -> list[Track]:
    """What the chunk tasks + assemble step do to the rungs: retime, renumber, join."""
    per_chunk = [packaging.read_rungs((d / "manifest.mpd").read_text()) for d in chunks.dirs]
    for rung in per_chunk[0]:
        shutil.copy(chunks.dirs[0] / rung.init_name, out / rung.init_name)
        first = 1
        for k, folder in enumerate(chunks.dirs):
            files = sorted(folder.glob(f"chunk-{rung.id}-*.m4s"))
            for n, path in enumerate(files):
                data = fmp4.retime_segment(path.read_bytes(), offsets[k], first - 1)
                (out / rung.segment_name(first + n)).write_bytes(data)
            first += len(files)
    return packaging.concat(per_chunk, offsets)


def _assemble_audio(audio: Path, out: Path) -> list[Track]:
    (track,) = packaging.read_tracks((audio / "manifest.mpd").read_text())
    tracks = [replace(track, id="a0", label="English"),
              replace(track, id="a1", language="fra", label='Français "VF"', default=True)]
    for renamed in tracks:
        shutil.copy(audio / track.init_name, out / renamed.init_name)
        for number in range(1, len(track.segments) + 1):
            shutil.copy(audio / track.segment_name(number), out / renamed.segment_name(number))
    return tracks


def _write(out: Path, tracks: list[Track], duration_s: float) -> None:
    (out / "manifest.mpd").write_text(packaging.write_mpd(tracks, duration_s, SEGMENT_SECONDS))
    for name, text in packaging.write_hls(tracks, SEGMENT_SECONDS).items():
        (out / name).write_text(text)


@pytest.fixture(scope="module")
def package(chunks: Chunks, audio: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, list[Track]]:
    out = tmp_path_factory.mktemp("package")
    offsets = [packaging.chunk_offset(k * CHUNK_SECONDS, chunks.timescale, chunks.rate)
               for k in range(len(chunks.dirs))]
    tracks = _assemble_video(chunks, out, offsets) + _assemble_audio(audio, out)
    _write(out, tracks, TITLE_SECONDS)
    return out, tracks


# --- reading the chunk manifests -------------------------------------------------------------


def test_rungs_come_from_the_chunk_manifest(chunks: Chunks) -> None:
    rungs = packaging.read_rungs((chunks.dirs[1] / "manifest.mpd").read_text())
    assert [(r.id, r.kind, r.width, r.height, r.bandwidth) for r in rungs] == [
        ("0", "video", 320, 180, 300_000), ("1", "video", 160, 90, 100_000)]
    for rung in rungs:
        assert rung.codecs.startswith("avc1.64")
        assert (rung.timescale, rung.frame_rate, rung.sar) == (12288, "24", "1:1")
        # chunk-relative: every chunk starts at 0
        assert rung.segments == (Segment(0, 49152), Segment(49152, 49152))
        assert rung.files == [f"init-{rung.id}.m4s", f"chunk-{rung.id}-00001.m4s",
                              f"chunk-{rung.id}-00002.m4s"]


def test_audio_comes_from_its_manifest(audio: Path) -> None:
    (track,) = packaging.read_tracks((audio / "manifest.mpd").read_text())
    assert (track.kind, track.codecs, track.timescale) == ("audio", "mp4a.40.2", 48000)
    assert (track.language, track.channels, track.sample_rate) == ("eng", 2, 48000)
    assert track.duration_s == pytest.approx(TITLE_SECONDS)
    assert packaging.discontinuities(track) == []


# --- the joined title ------------------------------------------------------------------------


def test_the_timeline_is_contiguous_and_matches_the_segments(
    package: tuple[Path, list[Track]], chunks: Chunks
) -> None:
    out, tracks = package
    for track in tracks:
        assert packaging.discontinuities(track) == []
        assert track.duration_s == pytest.approx(TITLE_SECONDS)
    for video in [t for t in tracks if t.kind == "video"]:
        assert len(video.segments) == 2 * PER_CHUNK
        for number, segment in enumerate(video.segments, start=1):
            data = (out / video.segment_name(number)).read_bytes()
            # video: decode time of a segment = its presentation start (closed GOPs)
            assert fmp4.segment_timing(data) == (segment.start, segment.duration)
    text = (out / "manifest.mpd").read_text()
    assert text.count('<S t="0" d="49152" r="3" />') == 2  # one S per rung: no seam visible
    manifest = mpd.parse(text)
    assert manifest.type == "static" and manifest.duration_s == TITLE_SECONDS
    for rep, track in zip(manifest.representations, _listed_order(tracks), strict=True):
        assert rep.id == track.id and rep.files == track.files
        assert rep.timeline == tuple((s.start, s.duration) for s in track.segments)
        assert sum(rep.segment_durations) == pytest.approx(TITLE_SECONDS)
    assert mpd.missing_files(out / "manifest.mpd") == []


def _listed_order(tracks: list[Track]) -> list[Track]:
    """Video rungs, then the default audio track, then the others."""
    videos = [t for t in tracks if t.kind == "video"]
    audios = sorted((t for t in tracks if t.kind == "audio"), key=lambda t: not t.default)
    return videos + audios


def test_mpd_adaptation_sets(package: tuple[Path, list[Track]]) -> None:
    text = (package[0] / "manifest.mpd").read_text()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<MPD xmlns="urn:mpeg:dash')
    assert 'profiles="urn:mpeg:dash:profile:isoff-live:2011"' in text
    assert 'mediaPresentationDuration="PT16.000S"' in text and 'minBufferTime="PT8.000S"' in text
    sets = re.findall(r"<AdaptationSet [^>]*>", text)
    assert len(sets) == 3
    assert 'contentType="video"' in sets[0] and 'maxWidth="320"' in sets[0]
    assert 'par="16:9"' in sets[0] and 'segmentAlignment="true"' in sets[0]
    assert 'lang="fra"' in sets[1] and 'lang="eng"' in sets[2]
    roles = re.findall(r'<Role schemeIdUri="urn:mpeg:dash:role:2011" value="(\w+)" />', text)
    assert roles == ["main", "alternate"]
    assert re.findall(r"<Label>([^<]+)</Label>", text) == ['Français "VF"', "English"]
    assert text.count('<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_'
                      'channel_configuration:2011" value="2" />') == 2


def test_hls_playlists(package: tuple[Path, list[Track]]) -> None:
    out, tracks = package
    master = (out / "master.m3u8").read_text().splitlines()
    assert master[:3] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    media = [line for line in master if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Français \'VF\'",LANGUAGE="fra",'
        'DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="media_a1.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="eng",'
        'DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="media_a0.m3u8"']
    rung = next(t for t in tracks if t.id == "0")
    stream = master[master.index("media_0.m3u8") - 1]
    assert stream == (
        f"#EXT-X-STREAM-INF:BANDWIDTH=396000,AVERAGE-BANDWIDTH=396000,RESOLUTION=320x180,"
        f'FRAME-RATE=24.000,CODECS="{rung.codecs},mp4a.40.2",AUDIO="audio"')
    assert "media_1.m3u8" in master
    for track in tracks:
        lines = (out / f"media_{track.id}.m3u8").read_text().splitlines()
        assert lines[:6] == ["#EXTM3U", "#EXT-X-VERSION:7",
                             f"#EXT-X-TARGETDURATION:{4 if track.kind == 'video' else 5}",
                             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS",
                             f'#EXT-X-MAP:URI="{track.init_name}"']
        assert lines[-1] == "#EXT-X-ENDLIST"
        extinf = [float(line[8:-1]) for line in lines if line.startswith("#EXTINF:")]
        assert sum(extinf) == pytest.approx(TITLE_SECONDS, abs=1e-5)
        assert [line for line in lines if not line.startswith("#")] == track.files[1:]
    hls_files = {track.init_name for track in tracks} | {
        line for track in tracks
        for line in (out / f"media_{track.id}.m3u8").read_text().splitlines()
        if line and not line.startswith("#")}
    assert hls_files == set(mpd.read(out / "manifest.mpd").files())


def test_subtitles_can_still_be_added(package: tuple[Path, list[Track]], tmp_path: Path
                                      ) -> None:
    for name in ("manifest.mpd", "master.m3u8"):
        shutil.copy(package[0] / name, tmp_path / name)
    subs = [text_tracks.TextTrack("subtitles-en.vtt", "en", "English")]
    text_tracks.add_to_mpd(tmp_path / "manifest.mpd", subs)
    written = text_tracks.add_to_hls(tmp_path / "master.m3u8", subs, TITLE_SECONDS)
    manifest = mpd.read(tmp_path / "manifest.mpd")
    assert [r.content_type for r in manifest.representations] == [
        "video", "video", "audio", "audio", "text"]
    assert manifest.files()[-1] == "subtitles-en.vtt"
    assert 'AdaptationSet id="3"' in (tmp_path / "manifest.mpd").read_text()
    master = (tmp_path / "master.m3u8").read_text()
    streams = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(streams) == 2 and all(line.endswith(',SUBTITLES="subs"') for line in streams)
    assert 'TYPE=SUBTITLES,GROUP-ID="subs"' in master and written[0].is_file()


def _demuxers() -> str:
    done = subprocess.run([ffmpeg_path(), "-hide_banner", "-demuxers"], capture_output=True,
                          text=True, check=True, timeout=30)
    return done.stdout


def _video_pts(source: Path, *maps: str) -> list[int]:
    """pts of the decoded frames of the first mapped (video) stream, from framemd5."""
    argv = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-i", str(source.resolve())]  # the dash demuxer mis-resolves relative paths
    for stream in maps:
        argv += ["-map", stream]
    done = subprocess.run([*argv, "-f", "framemd5", "-"], capture_output=True, text=True,
                          check=True, timeout=120)
    rows = [line.split(",") for line in done.stdout.splitlines()
            if line and not line.startswith("#")]
    return [int(row[2]) for row in rows if row[0].strip() == "0"]


@pytest.mark.parametrize(("demuxer", "name"), [("dash", "manifest.mpd"), ("hls", "master.m3u8")])
def test_ffmpeg_plays_the_whole_title(package: tuple[Path, list[Track]], demuxer: str,
                                      name: str) -> None:
    if not re.search(rf"^ D.? +{demuxer} ", _demuxers(), re.MULTILINE):
        pytest.skip(f"this ffmpeg has no {demuxer} demuxer")
    for rung in ("0:v:0", "0:v:1"):
        pts = _video_pts(package[0] / name, rung, "0:a:0")
        assert len(pts) == TITLE_SECONDS * 24
        assert {b - a for a, b in itertools.pairwise(pts)} == {1}


def test_a_29_97_chunk_starts_at_its_first_frame_not_at_the_cut(tmp_path: Path) -> None:
    """At 30000/1001 a chunk cut at 8 s starts with the frame at 8.008 s, yet ffmpeg times
    it 0: the planned 8 s offset overlaps the previous chunk by 240 ticks (under a frame); the
    frame-aligned offset joins them exactly."""
    chunks = encode_chunks(tmp_path, rate="30000/1001", rungs=((320, 180, 300),))
    assert (chunks.timescale, chunks.frame_ticks) == (30000, 1001)
    per_chunk = [packaging.read_rungs((d / "manifest.mpd").read_text()) for d in chunks.dirs]
    planned = packaging.concat(per_chunk, [0, CHUNK_SECONDS * chunks.timescale])
    ((seam, step),) = packaging.discontinuities(planned[0])
    assert seam == PER_CHUNK and step == -240 and abs(step) < chunks.frame_ticks
    text = packaging.write_mpd(planned, 16.016, SEGMENT_SECONDS)
    assert '<S t="240000" d="120120" r="1" />' in text  # the seam is written out
    assert mpd.parse(text).representations[0].timeline[PER_CHUNK][0] == 240000
    out = tmp_path / "out"
    out.mkdir()
    offset = packaging.chunk_offset(CHUNK_SECONDS, chunks.timescale, chunks.rate)
    assert offset == 240240
    joined = _assemble_video(chunks, out, [0, offset])
    assert packaging.discontinuities(joined[0]) == []
    whole = out / "joined.mp4"
    whole.write_bytes(b"".join((out / n).read_bytes() for n in joined[0].files))
    pts = _video_pts(whole, "0:v:0")
    assert len(pts) == 480 and {b - a for a, b in itertools.pairwise(pts)} == {1}


# --- the writers' rules ----------------------------------------------------------------------


def test_timeline_entries() -> None:
    def segments(*spans: tuple[int, int]) -> list[Segment]:
        return [Segment(start, duration) for start, duration in spans]

    assert packaging.timeline_entries(segments((0, 4), (4, 4), (8, 4), (12, 2))) == [
        (0, 4, 2), (None, 2, 0)]
    # a gap and an overlap: t again, and the run starts over
    assert packaging.timeline_entries(segments((10, 4), (15, 4), (19, 4), (22, 4))) == [
        (10, 4, 0), (15, 4, 1), (22, 4, 0)]
    with pytest.raises(ValueError, match="duration 0"):
        packaging.timeline_entries(segments((0, 0)))


def test_iso_durations_and_offsets() -> None:
    assert packaging.iso_duration(16) == "PT16.000S"
    assert packaging.iso_duration(3723.5) == "PT1H2M3.500S"
    assert mpd.parse_iso_duration(packaging.iso_duration(7322.25)) == 7322.25
    assert packaging.chunk_offset(60.0, 12288) == 737280
    assert packaging.chunk_offset(60.0, 12288, "24") == 737280
    assert packaging.chunk_offset(60.0, 30000, "30000/1001") == 1799 * 1001
    assert packaging.chunk_offset(Fraction(120), 90000, Fraction(25)) == 120 * 90000


def _video(track_id: str = "0", **changes: Any) -> Track:
    base = Track(id=track_id, kind="video", codecs="avc1.64001f", bandwidth=3_000_000,
                 timescale=12288, segments=(Segment(0, 49152),), width=1280, height=720)
    return replace(base, **changes)


def _audio(track_id: str, **changes: Any) -> Track:
    base = Track(id=track_id, kind="audio", codecs="mp4a.40.2", bandwidth=128_000,
                 timescale=48000, segments=(Segment(0, 192000),))
    return replace(base, **changes)


def test_concat_refuses_chunks_that_do_not_match() -> None:
    joined = packaging.concat([[_video()], [_video(bandwidth=3_100_000)]], [0, 49152])
    assert joined[0].segments == (Segment(0, 49152), Segment(49152, 49152))
    assert joined[0].bandwidth == 3_100_000
    with pytest.raises(ValueError, match="codecs"):
        packaging.concat([[_video()], [_video(codecs="avc1.640028")]], [0, 49152])
    with pytest.raises(ValueError, match="timescale"):
        packaging.concat([[_video()], [_video(timescale=90000)]], [0, 49152])
    with pytest.raises(ValueError, match="has tracks"):
        packaging.concat([[_video()], [_video("1")]], [0, 49152])
    with pytest.raises(ValueError, match="offsets"):
        packaging.concat([[_video()]], [])


def test_writers_refuse_what_players_could_not_use() -> None:
    with pytest.raises(ValueError, match="no video"):
        packaging.write_mpd([_audio("a0")], 4, 4)
    with pytest.raises(ValueError, match="not unique"):
        packaging.write_hls([_video(), _video()], 4)
    with pytest.raises(ValueError, match="several default"):
        packaging.write_mpd([_video(), _audio("a0", default=True), _audio("a1", default=True)],
                            4, 4)
    with pytest.raises(ValueError, match="no segments"):
        packaging.write_mpd([_video(segments=())], 4, 4)


def test_first_audio_track_is_the_default_when_none_is_marked() -> None:
    files = packaging.write_hls([_video(max_bandwidth=4_000_000), _audio("a0"), _audio("a1")], 4)
    master = files["master.m3u8"]
    assert 'NAME="a0",DEFAULT=YES' in master and 'NAME="a1",DEFAULT=NO' in master
    assert "BANDWIDTH=4128000,AVERAGE-BANDWIDTH=3128000,RESOLUTION=1280x720," in master
    assert set(files) == {"master.m3u8", "media_0.m3u8", "media_a0.m3u8", "media_a1.m3u8"}
    mpd_text = packaging.write_mpd([_video(), _audio("a0"), _audio("a1")], 4, 4)
    assert mpd_text.count('value="main"') == 1
    assert mpd_text.index('id="a0"') < mpd_text.index('id="a1"')
