"""The encoder's media core against a REAL ffmpeg, on tiny clips generated with lavfi.

ffmpeg is required: when none can be found (system ffmpeg, NOTFLIX_FFMPEG, or the
imageio-ffmpeg wheel) these tests FAIL rather than skip.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from encoder_lambda.media import binaries, encode, ladder, mpd, probe, subtitles, thumbnails
from encoder_lambda.media.binaries import Tools
from encoder_lambda.media.probe import InvalidSource, SourceInfo, SubtitleStream

SRT = (
    "\ufeff1\r\n00:00:00,500 --> 00:00:02,000\r\nHello <i>world</i> & more\r\n\r\n"
    "2\r\n00:00:02,500 --> 00:00:04,250 X1:10 X2:20 Y1:30 Y2:40\r\n"
    "<font color=\"red\">Second</font> {\\an8}line\r\nand a second row\r\n\r\n"
)


# --- fixtures: ffmpeg and clips --------------------------------------------------------------


@pytest.fixture(scope="module")
def tools() -> Tools:
    try:
        return binaries.find_tools()
    except binaries.FfmpegNotFound as exc:
        pytest.fail(f"these tests need a real ffmpeg: {exc}")


def _make(tools: Tools, *args: str) -> None:
    argv = [tools.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr


def _video(size: str, seconds: float, rate: int = 24) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


@pytest.fixture(scope="module")
def clips(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    c = {name: d / name for name in (
        "land.mp4", "portrait.mp4", "four3.mp4", "audio.m4a", "corrupt.mp4", "truncated.mp4",
        "empty.mp4", "rotated.mp4", "subs.mkv", "subs.mp4", "long.mp4", "cues.srt")}
    _make(tools, *_video("640x360", 5.5), *_tone(5.5), *X264, "-c:a", "aac", "-shortest",
          str(c["land.mp4"]))
    _make(tools, *_video("360x640", 5.5), *X264, str(c["portrait.mp4"]))
    _make(tools, *_video("320x240", 5.5, rate=25), *_tone(5.5), *X264, "-c:a", "aac",
          "-shortest", str(c["four3.mp4"]))
    _make(tools, *_tone(3), "-c:a", "aac", str(c["audio.m4a"]))
    _make(tools, *_video("1280x720", 12, rate=30), *X264, str(c["long.mp4"]))
    c["corrupt.mp4"].write_bytes(bytes(range(256)) * 64)
    whole = c["land.mp4"].read_bytes()  # moov is at the end: the first half has none
    c["truncated.mp4"].write_bytes(whole[: len(whole) // 2])
    c["empty.mp4"].write_bytes(b"")
    _rotate(tools, c["land.mp4"], c["rotated.mp4"])
    c["cues.srt"].write_text(SRT, encoding="utf-8")
    _make(tools, "-i", str(c["land.mp4"]), "-i", str(c["cues.srt"]), "-map", "0", "-map", "1",
          "-c", "copy", "-c:s", "srt", "-metadata:s:s:0", "language=eng", str(c["subs.mkv"]))
    _make(tools, "-i", str(c["land.mp4"]), "-i", str(c["cues.srt"]), "-map", "0", "-map", "1",
          "-c", "copy", "-c:s", "mov_text", "-metadata:s:s:0", "language=fre",
          str(c["subs.mp4"]))
    return c


def _rotate(tools: Tools, src: Path, dest: Path) -> None:
    """A phone-style clip: 640x360 stored, flagged to display rotated by 90 degrees."""
    argv = [tools.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-display_rotation", "90", "-i", str(src), "-c", "copy", str(dest)]
    if subprocess.run(argv, capture_output=True, check=False, timeout=60).returncode != 0:
        # ffmpeg < 6 has no -display_rotation; its mov muxer still honours the rotate tag.
        _make(tools, "-i", str(src), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(dest))


@pytest.fixture(scope="module")
def land(clips: dict[str, Path], tools: Tools) -> SourceInfo:
    return probe.probe(clips["land.mp4"], tools)


def _probers(tools: Tools) -> list[Tools]:
    """Probe with ffprobe when there is one AND by parsing ffmpeg's stderr (always)."""
    without = Tools(tools.ffmpeg, None, tools.origin)
    return [without] if tools.ffprobe is None else [tools, without]


# --- binaries --------------------------------------------------------------------------------


def test_ffmpeg_is_found_and_runs(tools: Tools) -> None:
    assert Path(tools.ffmpeg).is_file()
    assert binaries.ffmpeg_version(tools).startswith("ffmpeg version")


def test_override_that_is_not_executable_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(binaries.ENV_FFMPEG, str(tmp_path / "nope"))
    with pytest.raises(binaries.FfmpegNotFound, match="NOTFLIX_FFMPEG"):
        binaries.find_tools()


def test_override_is_used(monkeypatch: pytest.MonkeyPatch, tools: Tools) -> None:
    monkeypatch.setenv(binaries.ENV_FFMPEG, tools.ffmpeg)
    found = binaries.find_tools()
    assert (found.ffmpeg, found.origin) == (tools.ffmpeg, "env")


# --- probe -----------------------------------------------------------------------------------


def test_probe_landscape_with_audio(clips: dict[str, Path], tools: Tools) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips["land.mp4"], prober)
        assert (info.width, info.height, info.rotation) == (640, 360, 0)
        assert info.duration_s == pytest.approx(5.5, abs=0.1)
        assert info.fps == pytest.approx(24)
        assert info.video_codec == "h264"
        assert info.audio_codec == "aac"
        assert info.display_aspect == pytest.approx(16 / 9)
        assert info.has_video and info.subtitles == ()


def test_probe_portrait_without_audio_and_4_3(clips: dict[str, Path], tools: Tools) -> None:
    for prober in _probers(tools):
        portrait = probe.probe(clips["portrait.mp4"], prober)
        assert (portrait.width, portrait.height, portrait.audio_codec) == (360, 640, None)
        assert portrait.is_portrait
        four3 = probe.probe(clips["four3.mp4"], prober)
        assert (four3.width, four3.height) == (320, 240)
        assert four3.fps == pytest.approx(25)
        assert four3.display_aspect == pytest.approx(4 / 3)


def test_probe_rotation_swaps_the_displayed_size(clips: dict[str, Path], tools: Tools) -> None:
    for prober in _probers(tools):
        info = probe.probe(clips["rotated.mp4"], prober)
        assert info.rotation in (90, 270)
        assert (info.coded_width, info.coded_height) == (640, 360)
        assert (info.width, info.height) == (360, 640)


def test_probe_lists_subtitle_streams(clips: dict[str, Path], tools: Tools) -> None:
    for prober in _probers(tools):
        mkv = probe.probe(clips["subs.mkv"], prober)
        assert [(s.language, s.codec, s.is_text) for s in mkv.subtitles] == [
            ("eng", "subrip", True)]
        mp4 = probe.probe(clips["subs.mp4"], prober)
        assert [(s.language, s.codec) for s in mp4.subtitles] == [("fre", "mov_text")]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("audio.m4a", "no video stream (audio only)"),
        ("corrupt.mp4", "not a readable video"),
        ("truncated.mp4", "not a readable video"),
        ("empty.mp4", "The file is empty."),
    ],
)
def test_unusable_sources_are_refused_with_a_reason(
    clips: dict[str, Path], tools: Tools, name: str, reason: str
) -> None:
    for prober in _probers(tools):
        with pytest.raises(InvalidSource) as caught:
            probe.probe(clips[name], prober)
        assert reason in caught.value.reason
        assert caught.value.reason.endswith(".")


def test_audio_only_can_be_described_when_asked(clips: dict[str, Path], tools: Tools) -> None:
    info = probe.probe(clips["audio.m4a"], tools, require_video=False)
    assert not info.has_video and info.audio_codec == "aac"


def test_ffmpeg_stderr_parsing_of_a_phone_clip() -> None:
    stderr = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0001.MOV':
  Metadata:
    title           : not a stream title
  Duration: 00:01:02.50, start: 0.000000, bitrate: 16000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 15000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
    Metadata:
      rotate          : 90
  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 256 kb/s (default)
  Stream #0:2[0x3](fra): Subtitle: mov_text (tx3g / 0x67337874), 0 kb/s
    Metadata:
      title           : French SDH
  Stream #0:3[0x4](und): Video: mjpeg (Baseline), yuvj420p, 320x240, 90k tbr, 90k tbn (attached pic)
At least one output file must be specified
"""  # noqa: E501
    info = probe.from_ffmpeg_stderr(stderr)
    assert info.duration_s == pytest.approx(62.5)
    assert (info.width, info.height, info.rotation) == (1080, 1920, 90)
    assert info.fps == pytest.approx(29.97)
    assert (info.video_codec, info.audio_codec, info.audio_language) == ("hevc", "aac", "eng")
    assert info.subtitles == (SubtitleStream(2, "fra", "mov_text", "French SDH"),)


def test_ffprobe_json_parsing_of_an_anamorphic_rotated_stream() -> None:
    data: dict[str, Any] = {
        "format": {"format_name": "mov,mp4", "duration": "10.000000"},
        "streams": [
            {"index": 0, "codec_type": "video", "codec_name": "h264", "width": 720,
             "height": 576, "sample_aspect_ratio": "16:15", "avg_frame_rate": "25/1",
             "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]},
            {"index": 1, "codec_type": "audio", "codec_name": "ac3",
             "tags": {"language": "und"}},
        ],
    }
    info = probe.from_ffprobe_json(data)
    assert (info.width, info.height, info.rotation) == (576, 768, 270)
    assert info.sample_aspect == Fraction(16, 15)
    assert (info.audio_codec, info.audio_language) == ("ac3", None)


# --- ladder ----------------------------------------------------------------------------------


def _info(width: int, height: int, fps: float = 30.0) -> SourceInfo:
    return SourceInfo(duration_s=60, width=width, height=height, fps=fps, video_codec="h264",
                      audio_codec="aac", video_index=0, audio_index=1)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1920, 1080, [(1920, 1080), (1280, 720), (854, 480), (640, 360), (426, 240)]),
        (1080, 1920, [(1080, 1920), (720, 1280), (480, 854), (360, 640), (240, 426)]),
        (1440, 1080, [(1440, 1080), (960, 720), (640, 480), (480, 360), (320, 240)]),
        (640, 360, [(640, 360), (426, 240)]),
        (320, 240, [(320, 240)]),
        (1920, 804, [(1920, 804), (1280, 536), (854, 358), (640, 268), (426, 178)]),
        (3840, 2160, [(1920, 1080), (1280, 720), (854, 480), (640, 360), (426, 240)]),
        (1279, 719, [(1278, 718), (854, 480), (640, 360), (426, 240)]),
        (176, 144, [(176, 144)]),
        (175, 97, [(174, 96)]),
    ],
)
def test_ladder_never_upscales_and_keeps_the_shape(
    width: int, height: int, expected: list[tuple[int, int]]
) -> None:
    rungs = ladder.choose_ladder(_info(width, height))
    assert [(r.width, r.height) for r in rungs] == expected
    for rung in rungs:
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        assert rung.width <= width and rung.height <= height
        assert rung.width / rung.height == pytest.approx(width / height, rel=0.01)
        assert rung.maxrate_kbps > rung.video_kbps and rung.bufsize_kbps > rung.video_kbps
        assert rung.audio_kbps == 128
    kbps = [r.video_kbps for r in rungs]
    assert kbps == sorted(kbps, reverse=True) and len(set(kbps)) == len(kbps)


def test_ladder_names_and_bitrates() -> None:
    rungs = ladder.choose_ladder(_info(1920, 1080))
    assert [r.name for r in rungs] == ["1080p", "720p", "480p", "360p", "240p"]
    assert [r.video_kbps for r in rungs] == [5000, 2800, 1400, 800, 400]
    fast = ladder.choose_ladder(_info(1920, 1080, fps=60))
    assert fast[0].video_kbps == 7500
    portrait = ladder.choose_ladder(_info(1080, 1920))
    assert [r.video_kbps for r in portrait] == [r.video_kbps for r in rungs]
    assert ladder.choose_ladder(_info(176, 144))[0].name == "144p"


# --- encode ----------------------------------------------------------------------------------


def _hls_files(out: Path) -> set[str]:
    master = (out / encode.HLS_MASTER_NAME).read_text()
    playlists = [line for line in master.splitlines() if line.endswith(".m3u8")]
    playlists += re.findall(r'URI="([^"]+\.m3u8)"', master)
    files = set(playlists)
    for name in playlists:
        text = (out / name).read_text()
        assert "#EXT-X-ENDLIST" in text
        files.update(re.findall(r'#EXT-X-MAP:URI="([^"]+)"', text))
        files.update(line for line in text.splitlines() if line and not line.startswith("#"))
    return files


def _check_package(out: Path, info: SourceInfo, rungs: list[ladder.Rendition]) -> None:
    manifest_path = out / encode.MANIFEST_NAME
    manifest = mpd.read(manifest_path)
    assert manifest.type == "static"
    assert manifest.duration_s == pytest.approx(info.duration_s, abs=0.2)
    assert mpd.missing_files(manifest_path) == []
    videos = manifest.by_type("video")
    assert [(r.width, r.height) for r in videos] == [(r.width, r.height) for r in rungs]
    assert [r.bandwidth for r in videos] == [r.video_kbps * 1000 for r in rungs]
    assert all(r.codecs.startswith("avc1.") and r.mime_type == "video/mp4" for r in videos)
    frame = 1 / info.fps
    for rep in videos:
        *full, last = rep.segment_durations
        assert len(rep.segments) == math.ceil(info.duration_s / 4 - 0.01)
        assert all(d == pytest.approx(4.0, abs=frame) for d in full), rep.segment_durations
        assert 0 < last <= 4.0 + frame
        assert sum(rep.segment_durations) == pytest.approx(info.duration_s, abs=0.2)
    # every representation is cut at the same instants, so players can switch between them
    assert len({r.segment_durations for r in videos}) == 1
    audios = manifest.by_type("audio")
    assert len(audios) == (1 if info.has_audio else 0)
    for rep in audios:
        assert rep.codecs == "mp4a.40.2"
    # HLS over the very same segment files, nothing else
    hls_segments = {f for f in _hls_files(out) if not f.endswith(".m3u8")}
    assert hls_segments == set(manifest.files())
    for name in _hls_files(out):
        assert (out / name).is_file()


def test_one_encode_writes_dash_and_hls_for_the_whole_ladder(
    clips: dict[str, Path], tools: Tools, land: SourceInfo, tmp_path: Path
) -> None:
    rungs = ladder.choose_ladder(land)
    command = encode.build_command(clips["land.mp4"], tmp_path, land, rungs,
                                   ffmpeg_path=tools.ffmpeg, progress_period_s=0.1)
    assert command.count("-i") == 1 and command.count("-filter_complex") == 1
    # one decode: the top rung is scaled from the source, the next one from it
    assert command[command.index("-filter_complex") + 1].startswith("[0:0]scale=")
    fractions: list[float] = []
    result = encode.run(command, duration_s=land.duration_s, on_progress=fractions.append)
    assert result.out_time_s == pytest.approx(land.duration_s, abs=0.2)
    assert len(fractions) >= 2
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[-1] == 1.0 and 0 < fractions[0] < 1
    _check_package(tmp_path, land, rungs)
    assert mpd.read(tmp_path / "manifest.mpd").by_type("audio")[0].segments


@pytest.mark.parametrize("name", ["portrait.mp4", "four3.mp4", "rotated.mp4"])
def test_shapes_are_kept_and_audio_only_when_present(
    clips: dict[str, Path], tools: Tools, tmp_path: Path, name: str
) -> None:
    info = probe.probe(clips[name], tools)
    rungs = ladder.choose_ladder(info)
    encode.encode(clips[name], tmp_path / "out", info, rungs, preset="ultrafast")
    _check_package(tmp_path / "out", info, rungs)
    assert info.is_portrait == (name != "four3.mp4")


def test_ffmpeg_failure_reports_the_end_of_stderr(
    clips: dict[str, Path], tools: Tools, land: SourceInfo, tmp_path: Path
) -> None:
    rungs = ladder.choose_ladder(land)
    command = encode.build_command(clips["land.mp4"], tmp_path, land, rungs,
                                   preset="no-such-preset", ffmpeg_path=tools.ffmpeg)
    with pytest.raises(encode.EncodeFailed) as caught:
        encode.run(command, duration_s=land.duration_s)
    assert caught.value.returncode not in (0, None)
    assert "preset" in caught.value.stderr_tail.lower()
    assert len(caught.value.stderr_tail.splitlines()) <= binaries.STDERR_TAIL_LINES


@pytest.fixture
def popen_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    real = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        proc: subprocess.Popen[str] = real(*args, **kwargs)
        if "dash" in list(proc.args):  # type: ignore[arg-type]
            started.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", spy)
    yield started
    for proc in started:  # never leave an ffmpeg behind, whatever the test did
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _long_encode(clips: dict[str, Path], tools: Tools, out: Path) -> tuple[list[str], float]:
    info = probe.probe(clips["long.mp4"], tools)
    command = encode.build_command(clips["long.mp4"], out, info, ladder.choose_ladder(info),
                                   preset="medium", ffmpeg_path=tools.ffmpeg)
    return command, info.duration_s


def test_should_stop_kills_ffmpeg_promptly(
    clips: dict[str, Path], tools: Tools, tmp_path: Path,
    popen_spy: list[subprocess.Popen[str]],
) -> None:
    command, duration = _long_encode(clips, tools, tmp_path)
    fractions: list[float] = []
    asked: list[float] = []

    def should_stop() -> bool:  # once ffmpeg reported progress (a guard: a minute at most)
        asked.append(time.monotonic())
        return bool(fractions) or asked[-1] - asked[0] > 60

    with pytest.raises(encode.EncodeCancelled):
        encode.run(command, duration_s=duration, on_progress=fractions.append,
                   should_stop=should_stop)
    # killed after its grace, not left to finish (a hang guard: the time depends on the load)
    assert time.monotonic() - asked[-1] < encode.KILL_GRACE_SECONDS + 30
    (proc,) = popen_spy
    assert proc.poll() is not None
    assert fractions and fractions[-1] < 1.0
    # polled about every half second, not on every progress line
    gaps = [b - a for a, b in itertools.pairwise(asked)]
    assert all(gap >= encode.POLL_SECONDS * 0.8 for gap in gaps)


def test_timeout_stops_ffmpeg(
    clips: dict[str, Path], tools: Tools, tmp_path: Path,
    popen_spy: list[subprocess.Popen[str]],
) -> None:
    command, duration = _long_encode(clips, tools, tmp_path)
    started = time.monotonic()
    with pytest.raises(encode.EncodeTimedOut):
        encode.run(command, duration_s=duration, timeout_s=0.5)
    assert time.monotonic() - started < 0.5 + encode.POLL_SECONDS + encode.KILL_GRACE_SECONDS
    assert popen_spy[0].poll() is not None


def test_progress_lines() -> None:
    assert encode.parse_progress_line("out_time_us=2500000") == ("time", 2.5)
    assert encode.parse_progress_line("out_time_ms=1000000\n") == ("time", 1.0)
    assert encode.parse_progress_line("out_time=00:01:02.500000") == ("time", 62.5)
    assert encode.parse_progress_line("out_time=-00:00:00.021333") == ("time", 0.0)
    assert encode.parse_progress_line("out_time_us=N/A") is None
    assert encode.parse_progress_line("speed=4.58x") == ("speed", 4.58)
    assert encode.parse_progress_line("progress=continue") is None


def test_command_for_a_1080p30_source_with_audio() -> None:
    info = replace(_info(1920, 1080), duration_s=600, audio_language="eng")
    rungs = ladder.choose_ladder(info)
    argv = encode.build_command("in.mp4", "out", info, rungs, ffmpeg_path="ffmpeg")
    options = dict(itertools.pairwise(argv[1:]))
    graph = options["-filter_complex"]
    # a cascade: 1080p from the source, every smaller rung from the rung above it
    chain = re.findall(r"scale=(\d+):(\d+)", graph)
    assert chain == [("1920", "1080"), ("1280", "720"), ("854", "480"), ("640", "360"),
                     ("426", "240")]
    assert graph.startswith("[0:0]scale=1920:1080") and graph.count("split=2") == 4
    assert "setsar" not in graph and "tile" not in graph
    maps = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-map"]
    assert len(maps) == 6 and all(m.startswith("[s") for m in maps[:5]) and maps[5] == "0:1"
    assert options["-c:a"] == "aac" and options["-b:a"] == "128k" and options["-ac"] == "2"
    assert options["-force_key_frames"] == "expr:gte(t,n_forced*4)"
    assert options["-sc_threshold"] == "0" and options["-g"] == "240"
    assert options["-b:v:0"] == "5000k" and options["-b:v:4"] == "400k"
    assert options["-adaptation_sets"] == "id=0,streams=v id=1,streams=a"
    assert options["-use_template"] == "1" and options["-use_timeline"] == "1"
    assert options["-hls_playlist"] == "1" and options["-seg_duration"] == "4"
    assert options["-metadata:s:a:0"] == "language=eng"
    assert str(Path("out") / "manifest.mpd") in argv
    assert options["-progress"] == "pipe:1"


# --- thumbnails ------------------------------------------------------------------------------


def _jpeg_size(path: Path) -> tuple[int, int]:
    """(width, height) from a baseline/progressive JPEG's SOF marker."""
    data = path.read_bytes()
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7],
                                                                             "big")
        i += 2 + length
    raise AssertionError("no SOF marker")


def test_poster_is_a_jpeg_of_the_displayed_size(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    land = probe.probe(clips["land.mp4"], tools)
    path = thumbnails.poster(clips["land.mp4"], tmp_path / "poster.jpg",
                             thumbnails.poster_time(land), tools=tools)
    assert _jpeg_size(path) == (640, 360)
    rotated = probe.probe(clips["rotated.mp4"], tools)
    path = thumbnails.poster(clips["rotated.mp4"], tmp_path / "rotated.jpg",
                             thumbnails.poster_time(rotated), tools=tools)
    assert _jpeg_size(path) == (360, 640)
    small = thumbnails.poster(clips["land.mp4"], tmp_path / "small.jpg", 1.0, max_width=320,
                              tools=tools)
    assert _jpeg_size(small) == (320, 180)
    assert thumbnails.poster_time(land) == pytest.approx(0.55)


def _cues(vtt: str) -> list[tuple[str, str, str]]:
    found = re.findall(r"^(\S+) --> (\S+)\n(\S+)$", vtt, re.MULTILINE)
    return [(a, b, c) for a, b, c in found]


def test_sprite_and_its_vtt_cover_the_video(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    land = probe.probe(clips["land.mp4"], tools)
    sheets, vtt = thumbnails.sprite(clips["land.mp4"], tmp_path, land, tools=tools)
    assert sheets == [tmp_path / "sprite.jpg"]
    cues = _cues(vtt.read_text())
    assert len(cues) == math.ceil(land.duration_s / 10) == 1
    assert cues[0] == ("00:00:00.000", "00:00:05.500", "sprite.jpg#xywh=0,0,160,90")
    assert _jpeg_size(sheets[0]) == (1600, 90)
    # every 2 s, 2 columns: 3 tiles in a 2x2 sheet
    sheets, vtt = thumbnails.sprite(clips["land.mp4"], tmp_path / "two", land, every_s=2,
                                    columns=2, tools=tools)
    cues = _cues(vtt.read_text())
    assert len(cues) == math.ceil(land.duration_s / 2) == 3
    assert [c[2] for c in cues] == ["sprite.jpg#xywh=0,0,160,90", "sprite.jpg#xywh=160,0,160,90",
                                    "sprite.jpg#xywh=0,90,160,90"]
    assert [(c[0], c[1]) for c in cues] == [("00:00:00.000", "00:00:02.000"),
                                            ("00:00:02.000", "00:00:04.000"),
                                            ("00:00:04.000", "00:00:05.500")]
    assert _jpeg_size(sheets[0]) == (320, 180)


def test_a_long_video_gets_several_sheets(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    portrait = probe.probe(clips["portrait.mp4"], tools)
    sheets, vtt = thumbnails.sprite(clips["portrait.mp4"], tmp_path, portrait, every_s=1,
                                    tile_width=90, columns=2, max_rows=1, tools=tools)
    assert [p.name for p in sheets] == ["sprite-001.jpg", "sprite-002.jpg", "sprite-003.jpg"]
    assert all(_jpeg_size(p) == (180, 160) for p in sheets)
    cues = _cues(vtt.read_text())
    assert len(cues) == 6
    assert cues[2][2] == "sprite-002.jpg#xywh=0,0,90,160"
    assert cues[-1][1] == "00:00:05.500"


def test_the_ladder_encode_tiles_the_sprite_in_the_same_run(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    portrait = probe.probe(clips["portrait.mp4"], tools)
    plan = thumbnails.plan_sprite(portrait, every_s=1, tile_width=90, columns=2, max_rows=1)
    rungs = ladder.choose_ladder(portrait)
    command = encode.build_command(clips["portrait.mp4"], tmp_path, portrait, rungs,
                                   preset="ultrafast", ffmpeg_path=tools.ffmpeg,
                                   sprite=(plan, tmp_path))
    assert command.count("-i") == 1 and command.count("-f") == 2  # dash + image2, one decode
    encode.run(command, duration_s=portrait.duration_s)
    sheets, vtt = thumbnails.finish_sprite(plan, tmp_path)
    assert [p.name for p in sheets] == ["sprite-001.jpg", "sprite-002.jpg", "sprite-003.jpg"]
    assert all(_jpeg_size(p) == (180, 160) for p in sheets)
    cues = _cues(vtt.read_text())
    assert len(cues) == 6 and cues[5][2] == "sprite-003.jpg#xywh=90,0,90,160"
    _check_package(tmp_path, portrait, rungs)


def test_a_missing_sheet_is_an_error(tools: Tools, land: SourceInfo, tmp_path: Path) -> None:
    plan = thumbnails.plan_sprite(land)
    with pytest.raises(binaries.ToolFailed, match=r"sprite\.jpg"):
        thumbnails.finish_sprite(plan, tmp_path)
    assert not (tmp_path / thumbnails.VTT_NAME).exists()


def test_cue_times() -> None:
    assert thumbnails.cue_times(25, 10) == [(0, 10), (10, 20), (20, 25)]
    assert thumbnails.cue_times(20, 10) == [(0, 10), (10, 20)]
    assert thumbnails.cue_times(20.2, 10) == [(0, 10), (10, 20.2)]
    assert thumbnails.cue_times(3, 10) == [(0, 3)]


# --- subtitles -------------------------------------------------------------------------------


def test_srt_becomes_webvtt() -> None:
    vtt = subtitles.to_webvtt(SRT.encode("utf-8"))
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:00.500 --> 00:00:02.000\nHello <i>world</i> &amp; more\n\n"
        "00:00:02.500 --> 00:00:04.250\nSecond line\nand a second row\n"
    )
    assert subtitles.count_cues(vtt) == 2
    assert subtitles.to_webvtt(vtt) == vtt  # WebVTT in, the same WebVTT out


def test_srt_in_windows_1252_and_loose_timings() -> None:
    srt = ("1\n0:00:01.5 --> 0:00:03,25\nCaf\xe9 <b>cr\xe8me</b>\n\n\n"
           "2\n00:00:04,000 --> 00:00:05,000\n-> a --> b\n")
    vtt = subtitles.to_webvtt(srt.encode("cp1252"))
    assert "00:00:01.500 --> 00:00:03.250\nCaf\xe9 <b>cr\xe8me</b>" in vtt
    assert "-&gt; a --&gt; b" in vtt


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "No subtitles"),
        (b"just some text\nwith lines\n", "Line 1 is not a subtitle timing"),
        (b"1\n00:00:05,000 --> 00:00:01,000\nbackwards\n", "ends before it starts"),
        (b"1\n00:00:01,000 --> soon\nx\n", "Line 2 is not a valid time range"),
        (b"WEBVTT\n\nNOTE nothing here\n", "No subtitles"),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", "WEBVTT header"),
        (bytes(range(256)), "not a text subtitle file"),
    ],
)
def test_invalid_subtitles_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(subtitles.InvalidSubtitles) as caught:
        subtitles.to_webvtt(data)
    assert reason in caught.value.reason


def test_convert_file(tmp_path: Path) -> None:
    src = tmp_path / "film.en.srt"
    src.write_bytes(SRT.encode("utf-16"))
    out = subtitles.convert_file(src, tmp_path / "en.vtt")
    assert out.read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.500 --> ")


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("film.en.srt", "en"),
        ("Film.Name.2019.eng.srt", "en"),
        ("film.fre.vtt", "fr"),
        ("film.pt-BR.srt", "pt-BR"),
        ("film.zh_hant.srt", "zh-Hant"),
        ("film.en.forced.srt", "en"),
        ("film.en.hi.srt", "en"),
        ("film.hi.srt", "hi"),
        ("film.srt", None),
        ("en.srt", None),
        ("film.final.srt", None),
        ("film.2019.srt", None),
        ("film.und.srt", None),
    ],
)
def test_language_from_name(name: str, language: str | None) -> None:
    assert subtitles.language_from_name(name) == language


def test_embedded_subtitles_are_extracted(
    clips: dict[str, Path], tools: Tools, tmp_path: Path
) -> None:
    for name, language in (("subs.mkv", "en"), ("subs.mp4", "fr")):
        info = probe.probe(clips[name], tools)
        (extracted,) = subtitles.extract(clips[name], tmp_path / name, info, tools)
        assert extracted.language == language
        text = extracted.path.read_text(encoding="utf-8")
        assert text.startswith("WEBVTT")
        assert subtitles.count_cues(text) == 2
        assert "Hello" in text and "and a second row" in text
        first = re.search(r"^(\S+) --> ", text, re.MULTILINE)
        assert first and first.group(1).endswith(("00:00.500", "00:00.521"))
    land = probe.probe(clips["land.mp4"], tools)
    assert subtitles.extract(clips["land.mp4"], tmp_path / "none", land, tools) == []


# --- mpd -------------------------------------------------------------------------------------

MPD_FORMS = """<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT0H0M10.0S">
 <Period id="0" start="PT0S">
  <AdaptationSet contentType="video" mimeType="video/mp4">
   <SegmentTemplate timescale="1000" initialization="v/$RepresentationID$/init.mp4"
                    media="v/$RepresentationID$/$Time$.m4s">
    <SegmentTimeline><S t="0" d="4000" r="-1"/></SegmentTimeline>
   </SegmentTemplate>
   <Representation id="hd" bandwidth="3000000" width="1280" height="720" codecs="avc1.64001f"/>
  </AdaptationSet>
  <AdaptationSet contentType="audio">
   <Representation id="a" bandwidth="128000" mimeType="audio/mp4" codecs="mp4a.40.2">
    <SegmentTemplate timescale="48000" duration="192000" startNumber="0"
                     initialization="a-init.mp4" media="a-$Number%03d$-$Bandwidth$.m4s"/>
   </Representation>
  </AdaptationSet>
  <AdaptationSet contentType="text" mimeType="text/vtt">
   <Representation id="en" bandwidth="100"><BaseURL>subs/en.vtt</BaseURL></Representation>
  </AdaptationSet>
 </Period>
</MPD>"""


def test_mpd_template_forms() -> None:
    manifest = mpd.parse(MPD_FORMS)
    video, audio, text = manifest.representations
    assert (video.width, video.height, video.codecs, video.mime_type) == (
        1280, 720, "avc1.64001f", "video/mp4")
    assert video.files == ["v/hd/init.mp4", "v/hd/0.m4s", "v/hd/4000.m4s", "v/hd/8000.m4s"]
    assert video.segment_durations == (4.0, 4.0, 4.0)
    assert audio.files == ["a-init.mp4", "a-000-128000.m4s", "a-001-128000.m4s",
                           "a-002-128000.m4s"]
    assert text.files == ["subs/en.vtt"] and text.content_type == "text"
    assert manifest.duration_s == 10.0
    with pytest.raises(mpd.InvalidManifest):
        mpd.parse("<html/>")
    assert mpd.parse_iso_duration("PT1H2M3.5S") == 3723.5
