"""Real-world kinds of source against a REAL ffmpeg: interlaced, HDR (PQ and HLG), several audio
tracks, sizes a few pixels short of a rung. Every clip is generated here with lavfi.

The interlaced clips weave 50p frames of ``gradients`` into 25i fields (``tinterlace``), so
they really comb, and ``idet`` tells them from progressive ones (``testsrc2``'s fine detail
fools ``idet`` into seeing fields, hence ``gradients``).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg  # ffmpeg-python
import pytest

from encoder_lambda.media import binaries, ladder, probe, video_filters
from encoder_lambda.media.binaries import Tools
from encoder_lambda.media.probe import AudioTrack, SourceInfo

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tools() -> Tools:
    try:
        return binaries.find_tools()
    except binaries.FfmpegNotFound as exc:
        pytest.fail(f"these tests need a real ffmpeg: {exc}")


def _probers(tools: Tools) -> list[Tools]:
    """ffprobe's JSON when there is an ffprobe, and ffmpeg's stderr (always)."""
    without = Tools(tools.ffmpeg, None, tools.origin)
    return [without] if tools.ffprobe is None else [tools, without]


def _run(tools: Tools, *args: str) -> str:
    argv = [tools.ffmpeg, "-hide_banner", "-nostdin", "-y", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _woven(size: str, order: str) -> list[str]:
    """2 s of 25i with real combing: 50p gradients woven into fields, ``order`` "tff"/"bff".
    The gradients' colours are seeded: a random draw (the default) now and then gave so
    little contrast that idet's counts fell under the test's bounds."""
    weave = "interleave_top" if order == "tff" else "interleave_bottom"
    return ["-f", "lavfi", "-i", f"gradients=size={size}:rate=50:speed=0.05:duration=2:seed=1",
            "-vf", f"tinterlace={weave},setfield={order}"]


INTERLACED = ["-flags", "+ilme+ildct"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _hdr(transfer: str) -> list[str]:
    """1 s of 10-bit HEVC with BT.2020 colours and ``transfer`` in the bitstream (VUI) and,
    for ffmpeg versions that take them from options, in the container. (No ``-colorspace``:
    ffmpeg 9 then converts the frames and the Matroska muxer writes "unspecified".)"""
    vui = f"log-level=error:colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    return ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1",
            "-pix_fmt", "yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
            "-x265-params", vui, "-color_primaries", "bt2020", "-color_trc", transfer]


def _three_tracks() -> list[str]:
    """A tiny video and three audio tracks: English, French (the default), commentary."""
    tone = "sine=frequency={}:sample_rate=48000:duration=1"
    args = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1"]
    for frequency in (440, 550, 660):
        args += ["-f", "lavfi", "-i", tone.format(frequency)]
    args += ["-map", "0", "-map", "1", "-map", "2", "-map", "3", *X264, "-c:a", "aac",
             "-ac:a:0", "2", "-ac:a:1", "2", "-ac:a:2", "1"]
    for position, (language, title) in enumerate(
            (("eng", "English"), ("fra", "Français"), ("eng", "Commentary"))):
        args += [f"-metadata:s:a:{position}", f"language={language}",
                 f"-metadata:s:a:{position}", f"title={title}"]
    return [*args, "-disposition:a:0", "0", "-disposition:a:1", "default",
            "-disposition:a:2", "0"]


@pytest.fixture(scope="module")
def clips(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("kinds")
    c = {name: d / name for name in (
        "mpeg2_tff.ts", "mpeg2_bff.ts", "h264_tff.ts", "untagged.avi", "progressive.mp4",
        "pq.mp4", "hlg.mkv", "hlg_unlabelled.mkv", "tracks.mkv", "tracks.mp4", "tracks.ts")}
    quiet = ["-loglevel", "error"]
    _run(tools, *quiet, *_woven("720x576", "tff"), "-c:v", "mpeg2video", "-q:v", "2",
         *INTERLACED, str(c["mpeg2_tff.ts"]))
    _run(tools, *quiet, *_woven("352x288", "bff"), "-c:v", "mpeg2video", "-q:v", "2",
         *INTERLACED, str(c["mpeg2_bff.ts"]))
    _run(tools, *quiet, *_woven("352x288", "tff"), *X264, *INTERLACED, str(c["h264_tff.ts"]))
    # combed frames in a stream that says nothing of fields: only idet can tell
    _run(tools, *quiet, "-f", "lavfi", "-i",
         "gradients=size=352x288:rate=50:speed=0.05:duration=2:seed=1",
         "-vf", "tinterlace=interleave_top,setfield=prog", "-c:v", "mpeg4", "-q:v", "3",
         str(c["untagged.avi"]))
    _run(tools, *quiet, "-f", "lavfi", "-i",
         "gradients=size=352x288:rate=25:speed=0.05:duration=2:seed=1", *X264,
         str(c["progressive.mp4"]))
    _run(tools, *quiet, *_hdr("smpte2084"), str(c["pq.mp4"]))
    _run(tools, *quiet, *_hdr("arib-std-b67"), str(c["hlg.mkv"]))
    # the container says "unspecified", the HEVC bitstream still says HLG
    _run(tools, *quiet, "-i", str(c["hlg.mkv"]), "-c", "copy", "-color_trc", "unspecified",
         "-color_primaries", "unspecified", str(c["hlg_unlabelled.mkv"]))
    for name in ("tracks.mkv", "tracks.mp4", "tracks.ts"):
        _run(tools, *quiet, *_three_tracks(), str(c[name]))
    return c


def _encode(tools: Tools, src: Path, info: SourceInfo, out: Path) -> Path:
    """``src``'s video through :func:`video_filters.prepare` into H.264, as the encoder would."""
    video = video_filters.prepare(ffmpeg.input(str(src))[str(info.video_index)], info)
    stream = ffmpeg.output(video, str(out), vcodec="libx264", preset="ultrafast",
                           **video_filters.output_color_options(info))
    argv: list[str] = stream.global_args("-hide_banner", "-nostdin", "-loglevel", "error"
                                         ).compile(cmd=tools.ffmpeg, overwrite_output=True)
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def _filter_args(info: SourceInfo) -> str:
    """The filter graph :func:`video_filters.prepare` builds for ``info``, as ffmpeg gets it."""
    video = video_filters.prepare(ffmpeg.input("in.ts")["0"], info)
    argv: list[str] = ffmpeg.output(video, "out.mp4").compile(cmd="ffmpeg")
    return " ".join(argv)


def _mean_luma(tools: Tools, path: Path) -> float:
    stderr = _run(tools, "-i", str(path), "-vf",
                  "signalstats,metadata=print:key=lavfi.signalstats.YAVG", "-f", "null", "-")
    values = [float(v) for v in re.findall(r"lavfi\.signalstats\.YAVG=([\d.]+)", stderr)]
    assert values, stderr
    return sum(values) / len(values)


def _info(**fields: Any) -> SourceInfo:
    base = SourceInfo(duration_s=10, width=1920, height=1080, fps=25.0, video_codec="h264",
                      audio_codec=None, video_index=0)
    return replace(base, **fields)


# --- interlaced ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field_order", "parity"),
    [("mpeg2_tff.ts", "tt", "tff"), ("mpeg2_bff.ts", "bb", "bff"), ("h264_tff.ts", "tt", "tff")],
)
def test_interlaced_sources_are_deinterlaced(
    clips: dict[str, Path], tools: Tools, tmp_path: Path, name: str, field_order: str,
    parity: str,
) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips[name], prober)
        assert (info.field_order, info.is_interlaced) == (field_order, True)
        assert (info.fps, info.pix_fmt, info.bit_depth) == (25, "yuv420p", 8)
    assert video_filters.detect_interlacing(clips[name], 0, 2, tools=tools)
    assert f"bwdif=deint=all:mode=send_frame:parity={parity}" in _filter_args(info)
    out = _encode(tools, clips[name], info, tmp_path / "out.mp4")
    for prober in _probers(tools):
        encoded = probe.probe(out, prober)
        assert encoded.field_order == "progressive" and not encoded.is_interlaced
        assert encoded.fps == 25  # one frame out per frame in
        assert encoded.duration_s == pytest.approx(2, abs=0.1)
    counts = video_filters.count_fields(out, 0, 2, tools=tools)
    assert counts.field_order == "progressive" and counts.progressive >= 45


def test_a_source_that_does_not_say_is_decided_by_idet(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    info = probe.probe(clips["untagged.avi"], Tools(tools.ffmpeg, None, tools.origin))
    assert info.field_order is None and not info.is_interlaced
    counts = video_filters.count_fields(clips["untagged.avi"], 0.5, 1, tools=tools)
    assert counts.interlaced and counts.field_order == "tt"
    assert counts.tff + counts.bff + counts.progressive <= 26  # only the second asked for
    detected = replace(info, field_order=counts.field_order)
    out = _encode(tools, clips["untagged.avi"], detected, tmp_path / "out.mp4")
    assert not video_filters.detect_interlacing(out, 0, tools=tools)


def test_a_progressive_source_is_left_alone(clips: dict[str, Path], tools: Tools) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips["progressive.mp4"], prober)
        assert info.field_order == "progressive"
        assert not info.is_interlaced and not info.is_hdr
    assert not video_filters.detect_interlacing(clips["progressive.mp4"], 0, tools=tools)
    args = _filter_args(info)
    assert "bwdif" not in args and "zscale" not in args and "tonemap" not in args
    assert "-filter_complex" not in args  # the decoded stream goes straight on
    assert video_filters.output_color_options(info) == {}


def test_parity_follows_the_field_order() -> None:
    assert "parity=tff" in _filter_args(_info(field_order="tt"))
    assert "parity=bff" in _filter_args(_info(field_order="bb"))
    # "coded one way, displayed the other": each decoded frame's own flag decides
    assert "parity=auto" in _filter_args(_info(field_order="tb"))
    assert "parity=auto" in _filter_args(_info(field_order="bt"))
    assert "bwdif" not in _filter_args(_info(field_order=None))


def test_parse_idet() -> None:
    stderr = (
        "[Parsed_idet_0 @ 0x1] Repeated Fields: Neither: 0 Top: 0 Bottom: 0\n"
        "[Parsed_idet_0 @ 0x1] Single frame detection: TFF: 3 BFF: 0 Progressive: 1 "
        "Undetermined: 0\n"
        "[Parsed_idet_0 @ 0x1] Multi frame detection: TFF:     0 BFF:     0 Progressive:"
        "     0 Undetermined:     0\n"
        "[Parsed_idet_0 @ 0x2] Multi frame detection: TFF:     2 BFF:    30 Progressive:"
        "    10 Undetermined:     5\n"
    )
    counts = video_filters.parse_idet(stderr)
    assert counts == video_filters.IdetCounts(tff=2, bff=30, progressive=10)
    assert counts.interlaced and counts.field_order == "bb"
    assert video_filters.parse_idet("").field_order is None
    assert not video_filters.IdetCounts(5, 5, 10).interlaced


# --- HDR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "transfer"), [
    ("pq.mp4", "smpte2084"), ("hlg.mkv", "arib-std-b67"), ("hlg_unlabelled.mkv", "arib-std-b67")])
def test_hdr_is_tone_mapped_to_sdr_bt709(
    clips: dict[str, Path], tools: Tools, tmp_path: Path, name: str, transfer: str
) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips[name], prober)
        assert info.is_hdr and not info.is_interlaced
        assert (info.color_transfer, info.color_primaries) == (transfer, "bt2020")
        assert info.color_space in ("bt2020nc", None)  # some ffmpeg versions lose it in mkv
        assert (info.pix_fmt, info.bit_depth, info.video_codec) == ("yuv420p10le", 10, "hevc")
    args = _filter_args(info)
    assert f"transferin={transfer}" in args and "tonemap=desat=0:tonemap=hable" in args
    assert video_filters.output_color_options(info) == {
        "color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709",
        "color_range": "tv"}
    out = _encode(tools, clips[name], info, tmp_path / "sdr.mp4")
    for prober in _probers(tools):
        sdr = probe.probe(out, prober)
        assert (sdr.pix_fmt, sdr.bit_depth, sdr.video_codec) == ("yuv420p", 8, "h264")
        assert (sdr.color_transfer, sdr.color_primaries, sdr.color_space) == (
            "bt709", "bt709", "bt709")
        assert sdr.color_range == "tv" and not sdr.is_hdr
    # testsrc2's mid-grey average, as PQ/HLG code values, lands mid-range in SDR
    assert 60 < _mean_luma(tools, out) < 190


def test_the_container_is_not_trusted_to_say_sdr(
    clips: dict[str, Path], tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10-bit stream whose container gives no transfer: the first frame's colours count.

    (ffmpeg 9 writes "unspecified" into the remuxed hlg_unlabelled.mkv; older versions keep
    the colours, so the container's silence is also simulated here.)
    """
    real = probe._parse_ffmpeg_stderr

    def unlabelled(text: str) -> Any:
        container = real(text)
        for stream in container.streams if container else ():
            stream.color_transfer = stream.color_primaries = None
        return container

    monkeypatch.setattr(probe, "_parse_ffmpeg_stderr", unlabelled)
    info = probe.probe(clips["hlg.mkv"], Tools(tools.ffmpeg, None, tools.origin))
    assert (info.color_transfer, info.color_primaries, info.is_hdr) == (
        "arib-std-b67", "bt2020", True)
    sdr = probe.probe(clips["progressive.mp4"], Tools(tools.ffmpeg, None, tools.origin))
    assert sdr.color_transfer is None and not sdr.is_hdr  # 8 bits: nothing decoded


def test_untagged_hdr_colours_are_assumed_bt2020() -> None:
    args = _filter_args(_info(color_transfer="smpte2084"))
    assert "primariesin=bt2020" in args and "matrixin=2020_ncl" in args
    assert "rangein=limited" in args
    args = _filter_args(_info(color_transfer="arib-std-b67", color_primaries="bt2020",
                              color_space="bt2020c", color_range="pc"))
    assert "matrixin=2020_cl" in args and "rangein=full" in args


def test_filters_come_in_order_and_cap_the_frame_rate() -> None:
    args = _filter_args(_info(field_order="tt", color_transfer="smpte2084", fps=119.88))
    assert args.index("bwdif") < args.index("zscale") < args.index("tonemap")
    assert args.index("tonemap") < args.index("fps=59.94")
    assert "fps=" not in _filter_args(_info(fps=60))
    assert [video_filters.capped_fps(f) for f in (24, 59.94, 60.4, 100, 120, 240)] == [
        24, 59.94, 60.4, 50, 60, 60]


# --- audio tracks ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tracks.mkv", "tracks.mp4"])
def test_every_audio_track_is_listed_default_first(
    clips: dict[str, Path], tools: Tools, name: str
) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips[name], prober)
        tracks = info.audio_tracks
        assert [(t.index, t.language, t.default, t.channels) for t in tracks] == [
            (2, "fra", True, 2), (1, "eng", False, 2), (3, "eng", False, 1)]
        assert all(t.codec == "aac" for t in tracks)
        titles = [t.title for t in tracks]
        if name.endswith(".mkv"):
            assert titles == ["Français", "English", "Commentary"]
        else:  # mp4 keeps titles in a "name" box that not every ffmpeg reads back
            assert titles in (["Français", "English", "Commentary"], [None, None, None])
        assert (info.audio_index, info.audio_language, info.audio_codec) == (2, "fra", "aac")
        assert info.has_audio


def test_without_a_default_flag_the_first_track_is_the_default(
    clips: dict[str, Path], tools: Tools
) -> None:
    for prober in _probers(tools):  # MPEG-TS stores no dispositions
        info = probe.probe(clips["tracks.ts"], prober)
        assert [(t.index, t.language, t.default) for t in info.audio_tracks] == [
            (1, "eng", True), (2, "fra", False), (3, "eng", False)]
        assert (info.audio_index, info.audio_language) == (1, "eng")


# --- parsing what ffmpeg and ffprobe print ---------------------------------------------------


def test_ffmpeg_stderr_of_a_broadcast_recording() -> None:
    stderr = """Input #0, mpegts, from 'recording.ts':
  Duration: 00:00:30.00, start: 1.400000, bitrate: 15000 kb/s
  Program 1
  Stream #0:0[0x100]: Video: mpeg2video (Main) ([2][0][0][0] / 0x0002), yuv420p(tv, bt709, top first, left), 1920x1080 [SAR 1:1 DAR 16:9], 25 fps, 25 tbr, 90k tbn
  Stream #0:1[0x101](deu): Audio: mp2 ([3][0][0][0] / 0x0003), 48000 Hz, stereo, s16p, 256 kb/s
  Stream #0:2[0x102](eng): Audio: ac3 ([129][0][0][0] / 0x0081), 48000 Hz, 5.1(side), fltp, 448 kb/s (default) (visual impaired)
    Metadata:
      title           : Audio description
  Stream #0:3[0x103](fra): Audio: aac (LC), 48000 Hz, 6 channels, fltp
At least one output file must be specified
"""  # noqa: E501
    info = probe.from_ffmpeg_stderr(stderr)
    assert (info.field_order, info.is_interlaced, info.is_hdr) == ("tt", True, False)
    assert (info.color_transfer, info.color_primaries, info.color_space) == ("bt709",) * 3
    assert (info.color_range, info.pix_fmt, info.bit_depth) == ("tv", "yuv420p", 8)
    assert info.audio_tracks == (
        AudioTrack(2, "ac3", "eng", "Audio description", 6, True),
        AudioTrack(1, "mp2", "deu", None, 2, False),
        AudioTrack(3, "aac", "fra", None, 6, False),
    )
    assert (info.audio_index, info.audio_codec, info.audio_language) == (2, "ac3", "eng")


@pytest.mark.parametrize(
    ("detail", "field_order", "colours"),
    [
        ("yuv420p(tv, top coded first (swapped))", "tb", (None, None, None)),
        ("yuv420p(bottom coded first (swapped))", "bt", (None, None, None)),
        ("yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive)", "progressive",
         ("smpte2084", "bt2020", "bt2020nc")),
        ("yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67)", None,
         ("arib-std-b67", "bt2020", "bt2020nc")),
        ("yuv420p(tv, bt470bg/unknown/unknown, bottom first)", "bb",
         (None, None, "bt470bg")),
        ("yuvj420p(pc)", None, (None, None, None)),
    ],
)
def test_ffmpeg_stderr_video_details(
    detail: str, field_order: str | None, colours: tuple[str | None, ...]
) -> None:
    stderr = (
        "Input #0, matroska,webm, from 'x.mkv':\n"
        "  Duration: 00:00:02.00, start: 0.000000, bitrate: 100 kb/s\n"
        f"  Stream #0:0: Video: hevc (Main 10), {detail}, 1916x1078, 25 fps, 25 tbr, 1k tbn\n"
    )
    info = probe.from_ffmpeg_stderr(stderr)
    assert info.field_order == field_order
    assert (info.color_transfer, info.color_primaries, info.color_space) == colours
    assert (info.width, info.height) == (1916, 1078)
    assert info.audio_tracks == () and not info.has_audio


def test_ffprobe_json_of_an_hdr_file_with_two_audio_tracks() -> None:
    data: dict[str, Any] = {
        "format": {"format_name": "matroska,webm", "duration": "5.000000"},
        "streams": [
            {"index": 0, "codec_type": "video", "codec_name": "hevc", "width": 3840,
             "height": 2160, "avg_frame_rate": "24000/1001", "pix_fmt": "yuv420p10le",
             "color_range": "tv", "color_space": "bt2020nc", "color_transfer": "smpte2084",
             "color_primaries": "bt2020", "field_order": "progressive",
             "bits_per_raw_sample": "10", "disposition": {"default": 1}},
            {"index": 1, "codec_type": "audio", "codec_name": "eac3", "channels": 6,
             "disposition": {"default": 0}, "tags": {"language": "eng", "title": "Surround"}},
            {"index": 2, "codec_type": "audio", "codec_name": "aac", "channels": 2,
             "disposition": {"default": 1}, "tags": {"language": "fre", "title": "Stéréo"}},
            {"index": 3, "codec_type": "audio", "codec_name": "aac", "channels": 2,
             "disposition": {"default": 1}, "tags": {"language": "und"}},
        ],
    }
    info = probe.from_ffprobe_json(data)
    assert info.is_hdr and not info.is_interlaced
    assert (info.pix_fmt, info.bit_depth, info.color_range) == ("yuv420p10le", 10, "tv")
    assert info.fps == pytest.approx(23.976, abs=0.001)
    assert info.sample_aspect == Fraction(1)
    # two flagged: the first flagged one is THE default
    assert info.audio_tracks == (
        AudioTrack(2, "aac", "fre", "Stéréo", 2, True),
        AudioTrack(1, "eac3", "eng", "Surround", 6, False),
        AudioTrack(3, "aac", None, None, 2, False),
    )
    interlaced = probe.from_ffprobe_json({**data, "streams": [
        {**data["streams"][0], "field_order": "bb", "color_transfer": "bt709",
         "pix_fmt": "yuv420p", "bits_per_raw_sample": "8"}]})
    assert (interlaced.field_order, interlaced.is_interlaced, interlaced.is_hdr) == (
        "bb", True, False)
    assert interlaced.audio_tracks == () and interlaced.audio_index is None
    unknown = probe.from_ffprobe_json({**data, "streams": [
        {**data["streams"][0], "field_order": "unknown", "color_transfer": "unknown"}]})
    assert unknown.field_order is None and unknown.color_transfer is None


@pytest.mark.parametrize(
    ("pix_fmt", "bits"),
    [("yuv420p", 8), ("nv12", 8), ("yuvj420p", 8), ("yuv420p10le", 10), ("yuv422p12be", 12),
     ("p010le", 10), ("gray10le", 10), ("rgb48le", 16), ("rgb565le", 8), (None, None)],
)
def test_bit_depth_of_a_pixel_format(pix_fmt: str | None, bits: int | None) -> None:
    assert probe.bit_depth_of(pix_fmt) == bits


# --- ladder ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1916, 1078, [("1080p", 1916, 1078), ("720p", 1280, 720), ("480p", 854, 480),
                      ("360p", 640, 360), ("240p", 426, 240)]),
        (1276, 718, [("720p", 1276, 718), ("480p", 854, 480), ("360p", 640, 360),
                     ("240p", 426, 240)]),
        (1078, 1916, [("1080p", 1078, 1916), ("720p", 720, 1280), ("480p", 480, 854),
                      ("360p", 360, 640), ("240p", 240, 426)]),
        # 1.7% short of 1080p is a smaller source, not a trimmed 1080p: no upscale to 1080
        (1888, 1062, [("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360),
                      ("240p", 426, 240)]),
    ],
)
def test_a_source_a_few_pixels_short_keeps_its_rung(
    width: int, height: int, expected: list[tuple[str, int, int]]
) -> None:
    rungs = ladder.choose_ladder(_info(width=width, height=height))
    assert [(r.name, r.width, r.height) for r in rungs] == expected
    for rung in rungs:
        assert rung.width <= width and rung.height <= height


def test_the_tolerance_is_one_percent() -> None:
    assert ladder.SHORTFALL_TOLERANCE == 0.01
    assert ladder.choose_ladder(_info(width=1902, height=1070))[0].name == "1080p"  # 0.9%
    assert ladder.choose_ladder(_info(width=1898, height=1068))[0].name == "720p"  # 1.1%
