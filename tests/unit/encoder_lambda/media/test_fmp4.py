"""fMP4 box work on REAL ffmpeg output: two chunks of a clip, encoded as the chunk tasks do.

Each chunk is cut with input seeking (``-ss`` before ``-i``) and written by the dash muxer with
the options of encode.build_command, so its timestamps start at 0 and its segments are
numbered from 1; retiming must make the chunks one continuous stream. The strongest check
joins the init segment and every retimed segment into one file and decodes it with ffmpeg.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from encoder_lambda.media import binaries, fmp4
from encoder_lambda.media.fmp4 import InvalidSegment

SEGMENT_SECONDS = 4
CHUNK_SECONDS = 8
RUNGS = ((320, 180, 300), (160, 90, 100))  # width, height, kbps


# --- making chunks (also used by test_packaging) ---------------------------------------------


def ffmpeg_path() -> str:
    try:
        return binaries.find_tools().ffmpeg
    except binaries.FfmpegNotFound as exc:
        pytest.fail(f"these tests need a real ffmpeg: {exc}")


def run_ffmpeg(*args: str) -> str:
    """Run ffmpeg; its stderr (where showinfo and errors go)."""
    argv = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def make_source(path: Path, seconds: float, rate: str) -> Path:
    run_ffmpeg("-loglevel", "error", "-f", "lavfi",
               "-i", f"testsrc2=size=320x180:rate={rate}:duration={seconds}",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def dash_options(segment_seconds: float) -> list[str]:
    """The dash muxer's options as encode.build_command sets them."""
    return ["-f", "dash", "-map_metadata", "-1", "-dash_segment_type", "mp4",
            "-seg_duration", f"{segment_seconds:g}", "-use_template", "1", "-use_timeline", "1",
            "-init_seg_name", "init-$RepresentationID$.$ext$",
            "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.$ext$",
            "-hls_playlist", "1", "-streaming", "0", "-remove_at_exit", "0"]


def encode_chunk(src: Path, out: Path, start_s: float, seconds: float, rate: str,
                 rungs: tuple[tuple[int, int, int], ...] = RUNGS) -> Path:
    """One chunk task: every rung of ``start_s`` .. ``start_s + seconds``, video only.

    veryfast, as in production, so the stream has B-frames (composition offsets, an edit list).
    """
    out.mkdir(parents=True)
    labels = [f"r{i}" for i in range(len(rungs))]
    graph = f"[0:v]split={len(rungs)}" + "".join(f"[s{i}]" for i in range(len(rungs))) + ";"
    graph += ";".join(f"[s{i}]scale={w}:{h},format=yuv420p[{labels[i]}]"
                      for i, (w, h, _) in enumerate(rungs))
    args = ["-loglevel", "warning", "-ss", f"{start_s:g}", "-i", str(src), "-t", f"{seconds:g}",
            "-filter_complex", graph]
    for label in labels:
        args += ["-map", f"[{label}]"]
    args += ["-c:v", "libx264", "-preset", "veryfast",
             "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
             "-sc_threshold", "0", "-g", str(2 * math.ceil(Fraction(rate) * SEGMENT_SECONDS))]
    for i, (_, _, kbps) in enumerate(rungs):
        args += [f"-b:v:{i}", f"{kbps}k"]
    args += ["-adaptation_sets", "id=0,streams=v", *dash_options(SEGMENT_SECONDS)]
    run_ffmpeg(*args, str(out / "manifest.mpd"))
    return out


@dataclass(frozen=True)
class Chunks:
    dirs: tuple[Path, ...]  # chunk k's ffmpeg output
    rate: str
    frame_ticks: int  # one frame in the rungs' timescale
    timescale: int

    def segments(self, k: int, rung: int = 0) -> list[Path]:
        return sorted(self.dirs[k].glob(f"chunk-{rung}-*.m4s"))

    def init(self, rung: int = 0) -> bytes:
        return (self.dirs[0] / f"init-{rung}.m4s").read_bytes()


def encode_chunks(root: Path, rate: str = "24", count: int = 2,
                  rungs: tuple[tuple[int, int, int], ...] = RUNGS) -> Chunks:
    src = make_source(root / "source.mp4", CHUNK_SECONDS * count, rate)
    dirs = tuple(encode_chunk(src, root / f"chunk{k}", k * CHUNK_SECONDS, CHUNK_SECONDS, rate,
                              rungs) for k in range(count))
    timescale = fmp4.track_timescales((dirs[0] / "init-0.m4s").read_bytes())[1]
    num, _, den = rate.partition("/")
    frame_ticks = timescale * int(den or 1) // int(num)
    return Chunks(dirs, rate, frame_ticks, timescale)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory) -> Chunks:
    return encode_chunks(tmp_path_factory.mktemp("fmp4"))


def _types(data: bytes, box: fmp4.Box | None = None) -> list[str]:
    level = fmp4.boxes(data) if box is None else fmp4.children(data, box)
    return [b.type for b in level]


def _one(data: bytes, *path: str) -> fmp4.Box:
    found = list(fmp4.find(data, *path))
    assert len(found) == 1, (path, found)
    return found[0]


def _version(data: bytes, box: fmp4.Box) -> int:
    return data[box.payload]


def _mdat_payload(data: bytes) -> bytes:
    mdat = _one(data, "mdat")
    return data[mdat.payload:mdat.end]


def _sidx_fields(data: bytes) -> tuple[int, int, int, list[int]]:
    """(version, earliest_presentation_time, first_offset, referenced sizes)."""
    sidx = _one(data, "sidx")
    version = _version(data, sidx)
    at = sidx.payload + 12
    if version == 1:
        earliest, first = struct.unpack_from(">QQ", data, at)
        at += 16
    else:
        earliest, first = struct.unpack_from(">II", data, at)
        at += 8
    (count,) = struct.unpack_from(">H", data, at + 2)
    sizes = [struct.unpack_from(">I", data, at + 4 + 12 * i)[0] & 0x7FFFFFFF
             for i in range(count)]
    return version, earliest, first, sizes


def _data_offsets(data: bytes) -> list[int]:
    return [struct.unpack_from(">i", data, trun.payload + 8)[0]
            for trun in fmp4.find(data, "moof", "traf", "trun")]


def _sequence(data: bytes) -> int:
    mfhd = _one(data, "moof", "mfhd")
    value: int = struct.unpack_from(">I", data, mfhd.payload + 4)[0]
    return value


# --- what ffmpeg writes ----------------------------------------------------------------------


def test_what_the_dash_muxer_writes(chunks: Chunks) -> None:
    init = chunks.init()
    assert _types(init)[:2] == ["ftyp", "moov"]
    assert fmp4.track_timescales(init) == {1: 12288}  # 24 fps: 512 ticks a frame
    assert fmp4.default_sample_durations(init) == {1: 0}  # trex has none: tfhd does
    # B-frames: the edit list skips the composition delay of the first frames
    elst = _one(init, "moov", "trak", "edts", "elst")
    assert struct.unpack_from(">I", init, elst.payload + 12)[0] > 0  # media_time
    # every chunk's init segment is the same bytes: one init serves the joined rung
    for k in range(len(chunks.dirs)):
        assert (chunks.dirs[k] / "init-0.m4s").read_bytes() == init
    for k in range(len(chunks.dirs)):
        for n, path in enumerate(chunks.segments(k)):
            data = path.read_bytes()
            assert _types(data) == ["styp", "sidx", "moof", "mdat"]
            assert _types(data, _one(data, "moof")) == ["mfhd", "traf"]
            traf = _one(data, "moof", "traf")
            assert _types(data, traf) == ["tfhd", "tfdt", "trun"]
            assert _version(data, _one(data, "moof", "traf", "tfdt")) == 1
            assert _version(data, _one(data, "sidx")) == 1
            assert _sequence(data) == n + 1
            # chunk-relative times: segment n starts at n * 4 s
            assert fmp4.segment_timing(data) == (n * 4 * 12288, 4 * 12288)


# --- retiming real segments ------------------------------------------------------------------


def _time_fields(data: bytes) -> set[int]:
    """Byte positions of the fields retiming may change: tfdt time, sidx time, mfhd number."""
    tfdt = _one(data, "moof", "traf", "tfdt")
    sidx = _one(data, "sidx")
    mfhd = _one(data, "moof", "mfhd")
    return (set(range(tfdt.payload + 4, tfdt.end)) | set(range(sidx.payload + 12,
                                                               sidx.payload + 20))
            | set(range(mfhd.payload + 4, mfhd.payload + 8)))


def test_retime_shifts_the_times_and_nothing_else(chunks: Chunks) -> None:
    offset = CHUNK_SECONDS * chunks.timescale
    for n, path in enumerate(chunks.segments(1)):
        data = path.read_bytes()
        moved = fmp4.retime_segment(data, offset, sequence_offset=2)
        assert len(moved) == len(data)
        start, duration = fmp4.segment_timing(data)
        assert fmp4.segment_timing(moved) == (start + offset, duration)
        assert _sequence(moved) == n + 3
        assert _sidx_fields(moved)[1] == _sidx_fields(data)[1] + offset
        changed = {i for i in range(len(data)) if data[i] != moved[i]}
        assert changed and changed <= _time_fields(data)
        assert fmp4.retime_segment(data, 0) == data


def _with_v0_tfdt(data: bytes) -> bytes:
    """The same segment with its tfdt written as version 0 (4 bytes shorter, offsets fixed)."""
    out = []
    for box in fmp4.boxes(data):
        if box.type == "moof":
            parts = []
            for child in fmp4.children(data, box):
                if child.type != "traf":
                    parts.append(data[child.start:child.end])
                    continue
                traf_parts = []
                for leaf in fmp4.children(data, child):
                    body = data[leaf.payload:leaf.end]
                    if leaf.type == "tfdt":
                        (time,) = struct.unpack_from(">Q", body, 4)
                        body = struct.pack(">II", 0, time)
                    elif leaf.type == "trun":
                        (offset,) = struct.unpack_from(">i", body, 8)
                        body = body[:8] + struct.pack(">i", offset - 4) + body[12:]
                    traf_parts.append(_box(leaf.type, body))
                parts.append(_box("traf", b"".join(traf_parts)))
            out.append(_box("moof", b"".join(parts)))
        elif box.type == "sidx":
            sidx = bytearray(data[box.payload:box.end])
            word = struct.unpack_from(">I", sidx, 32)[0]
            struct.pack_into(">I", sidx, 32, word - 4)  # the one reference: moof + mdat
            out.append(_box("sidx", bytes(sidx)))
        else:
            out.append(data[box.start:box.end])
    return b"".join(out)


def test_a_version0_tfdt_that_overflows_becomes_version1(chunks: Chunks) -> None:
    original = chunks.segments(1)[1].read_bytes()
    small = _with_v0_tfdt(original)
    assert len(small) == len(original) - 4
    assert _version(small, _one(small, "moof", "traf", "tfdt")) == 0
    assert fmp4.segment_timing(small) == fmp4.segment_timing(original)
    # a small offset keeps version 0 and the size
    kept = fmp4.retime_segment(small, 1000)
    assert len(kept) == len(small) and fmp4.segment_timing(kept)[0] == 49152 + 1000
    # past 32 bits: rewritten as version 1, exactly as if ffmpeg had written version 1
    huge = 2**33 + 7
    grown = fmp4.retime_segment(small, huge, sequence_offset=5)
    assert grown == fmp4.retime_segment(original, huge, sequence_offset=5)
    assert _version(grown, _one(grown, "moof", "traf", "tfdt")) == 1
    assert fmp4.segment_timing(grown) == (49152 + huge, 49152)
    moof, mdat = _one(grown, "moof"), _one(grown, "mdat")
    assert moof.size == _one(small, "moof").size + 4
    assert [moof.start + o for o in _data_offsets(grown)] == [mdat.payload]
    assert _sidx_fields(grown)[3] == [moof.size + mdat.size]
    assert _mdat_payload(grown) == _mdat_payload(small)


def test_joined_chunks_decode_as_one_stream(chunks: Chunks, tmp_path: Path) -> None:
    """init + every retimed segment of both chunks, in one file: ffmpeg decodes every frame
    of both chunks with pts one frame apart everywhere, the seam included."""
    parts = [chunks.init()]
    separate: list[str] = []
    for k in range(len(chunks.dirs)):
        segments = chunks.segments(k)
        alone = tmp_path / f"alone{k}.mp4"
        alone.write_bytes(chunks.init() + b"".join(p.read_bytes() for p in segments))
        separate += _frame_hashes(alone)[1]
        offset = k * CHUNK_SECONDS * chunks.timescale
        parts += [fmp4.retime_segment(p.read_bytes(), offset, k * len(segments))
                  for p in segments]
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(b"".join(parts))
    pts, hashes = _frame_hashes(joined)
    frames = len(chunks.dirs) * CHUNK_SECONDS * 24
    assert len(pts) == frames
    assert [b - a for a, b in itertools.pairwise(pts)] == [1] * (frames - 1)
    assert hashes == separate  # the same pictures, in the same order
    # and showinfo sees the seam at exactly 8 s
    info = run_ffmpeg("-i", str(joined), "-vf", "showinfo", "-f", "null", "-")
    times = [float(t) for t in re.findall(r"pts_time:([\d.]+)", info)]
    assert times[192] == pytest.approx(8.0) and times[191] == pytest.approx(8.0 - 1 / 24)


def _frame_hashes(path: Path) -> tuple[list[int], list[str]]:
    """(pts in frames, md5) of every decoded frame, from ffmpeg's framemd5."""
    argv = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
            "-map", "0:v:0", "-f", "framemd5", "-"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
    rows = [line.split(",") for line in done.stdout.splitlines() if not line.startswith("#")]
    return [int(row[2]) for row in rows], [row[5].strip() for row in rows]


# --- synthetic segments: the rarer layouts ---------------------------------------------------


def _box(kind: str, payload: bytes, *, large: bool = False) -> bytes:
    if large:
        return struct.pack(">I4sQ", 1, kind.encode(), len(payload) + 16) + payload
    return struct.pack(">I4s", len(payload) + 8, kind.encode()) + payload


def _full(kind: str, version: int, flags: int, body: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + body)


SAMPLES = (b"A" * 10, b"B" * 20, b"C" * 5)


def _mdat(payload: bytes, form: str) -> bytes:
    if form == "to_end":
        return struct.pack(">I4s", 0, b"mdat") + payload
    return _box("mdat", payload, large=form == "large")


def _synthetic(time: int, time2: int, mdat: str = "large") -> bytes:
    """styp, sidx v0, prft v0, moof (two trafs, tfdt v0), mdat (64-bit size by default)."""

    def moof(offset1: int, offset2: int) -> bytes:
        traf1 = (_full("tfhd", 0, 0x020008, struct.pack(">II", 1, 1000))
                 + _full("tfdt", 0, 0, struct.pack(">I", time))
                 + _full("trun", 0, 0x000201, struct.pack(">Ii", 2, offset1)
                         + struct.pack(">II", 10, 20)))
        traf2 = (_full("tfhd", 0, 0x020000, struct.pack(">I", 2))
                 + _full("tfdt", 0, 0, struct.pack(">I", time2))
                 + _full("trun", 0, 0x000301, struct.pack(">Ii", 1, offset2)
                         + struct.pack(">II", 777, 5)))
        return _box("moof", _full("mfhd", 0, 0, struct.pack(">I", 1))
                    + _box("traf", traf1) + _box("traf", traf2))

    size = len(moof(0, 0))
    header = 16 if mdat == "large" else 8
    fragment = moof(size + header, size + header + 30) + _mdat(b"".join(SAMPLES), mdat)
    prft = _full("prft", 0, 0, struct.pack(">IQI", 1, 0x1122334455667788, time))
    sidx = _full("sidx", 0, 0, struct.pack(">IIIIHH", 1, 1000, time, len(prft), 0, 1)
                 + struct.pack(">III", len(fragment), 2000, 0x90000000))
    return _box("styp", b"msdh\0\0\0\0msdhmsix") + sidx + prft + fragment


def test_growth_in_sidx_prft_and_two_trafs_keeps_every_offset_right() -> None:
    data = _synthetic(0xFFFFFF00, 5)
    assert fmp4.segment_timing(data) == (0xFFFFFF00, 2000)  # tfhd default duration
    assert fmp4.segment_timing(data, track_id=2) == (5, 777)  # trun durations
    offset = 0x200
    moved = fmp4.retime_segment(data, offset, sequence_offset=9)
    assert _types(moved) == _types(data)
    assert len(moved) == len(data) + 8 + 4 + 4  # sidx, prft, one tfdt (the other fits)
    tfdts = list(fmp4.find(moved, "moof", "traf", "tfdt"))
    assert [_version(moved, b) for b in tfdts] == [1, 0]
    assert fmp4.segment_timing(moved) == (0xFFFFFF00 + offset, 2000)
    assert fmp4.segment_timing(moved, track_id=2) == (5 + offset, 777)
    moof, mdat = _one(moved, "moof"), _one(moved, "mdat")
    assert mdat.large and _mdat_payload(moved) == b"".join(SAMPLES)
    assert [moof.start + o for o in _data_offsets(moved)] == [mdat.payload, mdat.payload + 30]
    version, earliest, first, sizes = _sidx_fields(moved)
    prft = _one(moved, "prft")
    assert (version, earliest) == (1, 0xFFFFFF00 + offset)
    assert first == prft.size == 32 and sizes == [moof.size + mdat.size]
    assert _version(moved, prft) == 1
    assert struct.unpack_from(">Q", moved, prft.payload + 16)[0] == 0xFFFFFF00 + offset
    assert moved[prft.payload + 8:prft.payload + 16] == bytes.fromhex("1122334455667788")
    assert _sequence(moved) == 10
    # back again: the times return, the boxes stay version 1
    back = fmp4.retime_segment(moved, -offset)
    assert fmp4.segment_timing(back) == fmp4.segment_timing(data)
    assert len(back) == len(moved)


def test_a_box_running_to_the_end_is_kept() -> None:
    open_ended = _synthetic(100, 100, mdat="to_end")
    assert fmp4.retime_segment(open_ended, 0) == open_ended
    moved = fmp4.retime_segment(open_ended, 2**32)
    assert len(moved) == len(open_ended) + 8 + 4 + 8
    moof, mdat = _one(moved, "moof"), _one(moved, "mdat")
    assert mdat.to_end and mdat.end == len(moved) and moved[mdat.start:mdat.start + 4] == bytes(4)
    assert _mdat_payload(moved) == b"".join(SAMPLES)
    assert [moof.start + o for o in _data_offsets(moved)] == [mdat.payload, mdat.payload + 30]
    assert _sidx_fields(moved)[3] == [moof.size + mdat.size]


def test_trex_durations_are_the_last_fallback() -> None:
    trun = _full("trun", 0, 0x000201, struct.pack(">Ii", 1, 0) + struct.pack(">I", 5))
    traf = _box("traf", _full("tfhd", 0, 0x020000, struct.pack(">I", 1))
                + _full("tfdt", 1, 0, struct.pack(">Q", 42)) + trun)
    data = _box("moof", _full("mfhd", 0, 0, struct.pack(">I", 1)) + traf)
    with pytest.raises(InvalidSegment, match="no sample durations"):
        fmp4.segment_timing(data)
    assert fmp4.segment_timing(data, default_duration=1024) == (42, 1024)


def test_timescales_of_version1_headers() -> None:
    tkhd = _full("tkhd", 1, 3, struct.pack(">QQI", 0, 0, 7) + bytes(80))
    mdhd = _full("mdhd", 1, 0, struct.pack(">QQIQ", 0, 0, 90000, 0) + bytes(4))
    trak = _box("trak", tkhd + _box("mdia", mdhd))
    init = _box("ftyp", b"iso6\0\0\0\0") + _box("moov", trak, large=True)
    assert fmp4.track_timescales(init) == {7: 90000}


@pytest.mark.parametrize(("data", "message"), [
    (b"\0\0\0\x10moof\0\0", "truncated"),
    (b"\0\0\0\x04free", "has size 4"),
    (b"\0\0\0\x01mdat\0\0\0", "largesize"),
    (b"\0\0\0\x01mdat\0\0\0\0\0\0\0\x08", "has size 8"),
    (b"\0\0\0", "truncated box header"),
    (b"\0\0\0\x08free", "no moof"),
])
def test_malformed_segments_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidSegment, match=message):
        fmp4.segment_timing(data)
    assert issubclass(InvalidSegment, ValueError)


def test_malformed_init_segments_are_refused() -> None:
    with pytest.raises(InvalidSegment, match="no moov"):
        fmp4.track_timescales(_box("ftyp", b"iso6"))
    short = _box("moov", _box("trak", _full("tkhd", 0, 0, b"") + _box("mdia", _full(
        "mdhd", 0, 0, b""))))
    with pytest.raises(InvalidSegment, match="too short"):
        fmp4.track_timescales(short)


def test_times_out_of_range_are_refused() -> None:
    data = _synthetic(10, 10)
    with pytest.raises(ValueError, match="out of range"):
        fmp4.retime_segment(data, -11)
    with pytest.raises(ValueError, match="sequence"):
        fmp4.retime_segment(data, 0, sequence_offset=2**32)
