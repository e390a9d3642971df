"""Fragmented MP4 (ISO BMFF) boxes on bytes: timescales, segment timing and retiming.

A chunk of a title is encoded on its own, so its DASH segments come out numbered from 1 and
timed from 0. :func:`retime_segment` moves such a segment to its place in the title: it adds
an offset to every ``tfdt`` base media decode time (and to ``sidx``/``prft`` times) and to the
``mfhd`` sequence number, leaving the samples alone. Only a version-0 time that no longer fits
in 32 bits changes a box's size: that box is rewritten as version 1 and every size and offset
that depends on it (enclosing boxes, ``trun`` data offsets, ``sidx`` references) follows.

What ffmpeg's dash muxer writes (``dash_segment_type mp4``): ``init-*.m4s`` = ftyp, moov
(mvhd, trak with tkhd, edts/elst, mdia/mdhd, mvex/trex), udta; each media segment = styp,
sidx (version 1), moof (mfhd, traf with tfhd default-base-is-moof, tfdt version 1, trun), mdat.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

UINT32_MAX = 0xFFFFFFFF
UINT64_MAX = 0xFFFFFFFFFFFFFFFF

# tfhd flags
_BASE_DATA_OFFSET = 0x000001
_SAMPLE_DESCRIPTION_INDEX = 0x000002
_DEFAULT_DURATION = 0x000008
_DEFAULT_SIZE = 0x000010
_DEFAULT_FLAGS = 0x000020
_DURATION_IS_EMPTY = 0x010000
_DEFAULT_BASE_IS_MOOF = 0x020000
# trun flags
_DATA_OFFSET = 0x000001
_FIRST_SAMPLE_FLAGS = 0x000004
_SAMPLE_DURATION = 0x000100
_SAMPLE_SIZE = 0x000200
_SAMPLE_FLAGS = 0x000400
_SAMPLE_CTO = 0x000800


class InvalidSegment(ValueError):
    """The bytes are not the ISO BMFF this module can read or rewrite."""


@dataclass(frozen=True)
class Box:
    """One box of a byte string: ``data[start:end]``, its payload from ``payload``."""

    type: str
    start: int
    payload: int  # offset of the first byte after the header
    end: int
    large: bool = False  # the header used a 64-bit largesize
    to_end: bool = False  # size 0: the box runs to the end of its container

    @property
    def size(self) -> int:
        return self.end - self.start


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[Box]:
    """The boxes laid end to end in ``data[start:end]`` (one level, not their children)."""
    stop = len(data) if end is None else end
    found: list[Box] = []
    position = start
    while position < stop:
        if stop - position < 8:
            raise InvalidSegment(f"a truncated box header at byte {position}")
        size, raw_type = struct.unpack_from(">I4s", data, position)
        box_type = raw_type.decode("latin-1")
        header = 8
        large = to_end = False
        if size == 1:
            if stop - position < 16:
                raise InvalidSegment(f"a truncated largesize header at byte {position}")
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
            large = True
        elif size == 0:
            size = stop - position
            to_end = True
        if size < header:
            raise InvalidSegment(f"box {box_type!r} at byte {position} has size {size}")
        if position + size > stop:
            raise InvalidSegment(f"box {box_type!r} at byte {position} is truncated: "
                                 f"{size} bytes declared, {stop - position} left")
        found.append(Box(box_type, position, position + header, position + size, large, to_end))
        position += size
    return found


def children(data: bytes, box: Box) -> list[Box]:
    return boxes(data, box.payload, box.end)


def find(data: bytes, *path: str, within: Box | None = None) -> Iterator[Box]:
    """Every box at ``path`` (e.g. ``"moov", "trak"``) below ``within`` (or the top level)."""
    level = boxes(data) if within is None else children(data, within)
    head, *rest = path
    for box in level:
        if box.type == head:
            if rest:
                yield from find(data, *rest, within=box)
            else:
                yield box


def _first(data: bytes, *path: str, within: Box | None = None) -> Box | None:
    return next(find(data, *path, within=within), None)


def _require(data: bytes, box: Box, length: int) -> None:
    if box.end - box.payload < length:
        raise InvalidSegment(f"box {box.type!r} at byte {box.start} is too short")


def _full_box(data: bytes, box: Box) -> tuple[int, int]:
    """(version, flags) of a full box."""
    _require(data, box, 4)
    word: int = struct.unpack_from(">I", data, box.payload)[0]
    return word >> 24, word & 0xFFFFFF


# --- the init segment ------------------------------------------------------------------------


def track_timescales(init: bytes) -> dict[int, int]:
    """track_ID -> mdhd timescale for every track of an init segment's moov."""
    if _first(init, "moov") is None:
        raise InvalidSegment("the init segment has no moov box")
    scales: dict[int, int] = {}
    for trak in find(init, "moov", "trak"):
        tkhd = _first(init, "tkhd", within=trak)
        mdhd = _first(init, "mdia", "mdhd", within=trak)
        if tkhd is None or mdhd is None:
            raise InvalidSegment("a trak without tkhd or mdia/mdhd")
        tkhd_version, _ = _full_box(init, tkhd)
        id_at = 4 + (16 if tkhd_version == 1 else 8)
        _require(init, tkhd, id_at + 4)
        mdhd_version, _ = _full_box(init, mdhd)
        scale_at = 4 + (16 if mdhd_version == 1 else 8)
        _require(init, mdhd, scale_at + 4)
        track_id: int = struct.unpack_from(">I", init, tkhd.payload + id_at)[0]
        timescale: int = struct.unpack_from(">I", init, mdhd.payload + scale_at)[0]
        if timescale == 0:
            raise InvalidSegment(f"track {track_id} has timescale 0")
        scales[track_id] = timescale
    return scales


def default_sample_durations(init: bytes) -> dict[int, int]:
    """track_ID -> trex default_sample_duration: the fallback when trun and tfhd have none."""
    durations: dict[int, int] = {}
    for trex in find(init, "moov", "mvex", "trex"):
        _require(init, trex, 24)
        track_id, _, duration = struct.unpack_from(">III", init, trex.payload + 4)
        durations[track_id] = duration
    return durations


# --- timing of a media segment ---------------------------------------------------------------


@dataclass(frozen=True)
class _Tfhd:
    track_id: int
    flags: int
    base_data_offset: int | None
    default_duration: int | None
    base_offset_at: int  # byte offset of base_data_offset within data (when present)


def _tfhd(data: bytes, box: Box) -> _Tfhd:
    _, flags = _full_box(data, box)
    _require(data, box, 8)
    (track_id,) = struct.unpack_from(">I", data, box.payload + 4)
    at = box.payload + 8
    base: int | None = None
    base_at = at
    if flags & _BASE_DATA_OFFSET:
        _require(data, box, at + 8 - box.payload)
        (base,) = struct.unpack_from(">Q", data, at)
        at += 8
    if flags & _SAMPLE_DESCRIPTION_INDEX:
        at += 4
    default: int | None = None
    if flags & _DEFAULT_DURATION:
        _require(data, box, at + 4 - box.payload)
        (default,) = struct.unpack_from(">I", data, at)
    return _Tfhd(track_id, flags, base, default, base_at)


def _tfdt(data: bytes, box: Box) -> int:
    version, _ = _full_box(data, box)
    if version == 1:
        _require(data, box, 12)
        time: int = struct.unpack_from(">Q", data, box.payload + 4)[0]
    else:
        _require(data, box, 8)
        time = struct.unpack_from(">I", data, box.payload + 4)[0]
    return time


def _trun_duration(data: bytes, trun: Box, default: int | None) -> int:
    """Sum of the run's sample durations."""
    _, flags = _full_box(data, trun)
    _require(data, trun, 8)
    count: int = struct.unpack_from(">I", data, trun.payload + 4)[0]
    at = trun.payload + 8 + (4 if flags & _DATA_OFFSET else 0)
    at += 4 if flags & _FIRST_SAMPLE_FLAGS else 0
    per_sample = [f for f in (_SAMPLE_DURATION, _SAMPLE_SIZE, _SAMPLE_FLAGS, _SAMPLE_CTO)
                  if flags & f]
    stride = 4 * len(per_sample)
    if at + stride * count > trun.end:
        raise InvalidSegment(f"trun at byte {trun.start} is shorter than its {count} samples")
    if flags & _SAMPLE_DURATION:
        return sum(int(struct.unpack_from(">I", data, at + i * stride)[0]) for i in range(count))
    if count and default is None:
        raise InvalidSegment("no sample durations: not in trun, tfhd, nor given from trex")
    return count * (default or 0)


def segment_timing(data: bytes, default_duration: int | None = None, *,
                   track_id: int | None = None) -> tuple[int, int]:
    """(first tfdt, ticks from it to the end of the last sample) of a media segment.

    Durations come from trun, else tfhd, else ``default_duration`` (the init segment's trex,
    see :func:`default_sample_durations`). Only the fragments of ``track_id`` count (default:
    the track of the first traf).
    """
    start: int | None = None
    end = 0
    for traf in find(data, "moof", "traf"):
        tfhd_box = _first(data, "tfhd", within=traf)
        if tfhd_box is None:
            raise InvalidSegment(f"traf at byte {traf.start} has no tfhd")
        tfhd = _tfhd(data, tfhd_box)
        if track_id is None:
            track_id = tfhd.track_id
        if tfhd.track_id != track_id:
            continue
        tfdt_box = _first(data, "tfdt", within=traf)
        if tfdt_box is None:
            raise InvalidSegment(f"traf at byte {traf.start} has no tfdt")
        base = _tfdt(data, tfdt_box)
        default = tfhd.default_duration if tfhd.default_duration is not None else default_duration
        length = 0
        if not tfhd.flags & _DURATION_IS_EMPTY:
            length = sum(_trun_duration(data, trun, default)
                         for trun in find(data, "trun", within=traf))
        start = base if start is None else start
        end = max(end, base + length)
    if start is None:
        raise InvalidSegment("the segment has no moof/traf")
    return start, end - start


# --- retiming --------------------------------------------------------------------------------


def _header(box_type: str, size: int, large: bool, to_end: bool) -> bytes:
    name = box_type.encode("latin-1")
    if to_end:
        return struct.pack(">I4s", 0, name)
    if large or size > UINT32_MAX:
        return struct.pack(">I4sQ", 1, name, size + 16)
    return struct.pack(">I4s", size + 8, name)


def _rebox(box: Box, payload: bytes) -> bytes:
    """``box`` with a new payload, keeping its header's form."""
    return _header(box.type, len(payload), box.large, box.to_end) + payload


def _shift(value: int, offset: int, what: str) -> int:
    shifted = value + offset
    if shifted < 0 or shifted > UINT64_MAX:
        raise ValueError(f"{what} {value} + {offset} is out of range")
    return shifted


class _Layout:
    """Maps byte positions of the original segment to the rewritten one (top-level boxes)."""

    def __init__(self, top: list[Box], growth: list[int]) -> None:
        self._rows: list[tuple[Box, int]] = []  # (box, new start)
        new_start = 0
        for box, grown in zip(top, growth, strict=True):
            self._rows.append((box, new_start))
            new_start += box.size + grown
        self._growth = growth
        self.old_length = top[-1].end if top else 0
        self.new_length = new_start

    def position(self, old: int) -> int:
        if not any(self._growth):
            return old
        if old == self.old_length:
            return self.new_length
        for (box, new_start), grown in zip(self._rows, self._growth, strict=True):
            if old == box.start:
                return new_start
            if box.start < old < box.end:
                if grown:
                    raise InvalidSegment(f"byte {old} is inside box {box.type!r}, which grew")
                return new_start + old - box.start
        raise InvalidSegment(f"byte {old} is outside the segment")

    def start_of(self, box: Box) -> int:
        return self.position(box.start)


def _grows(data: bytes, box: Box, offset: int) -> int:
    """How many bytes the top-level ``box`` gains when retimed by ``offset``."""
    if box.type == "moof":
        grown = 0
        for tfdt in find(data, "traf", "tfdt", within=box):
            if _full_box(data, tfdt)[0] == 0 and _tfdt(data, tfdt) + offset > UINT32_MAX:
                grown += 4
        return grown
    if box.type == "sidx" and _full_box(data, box)[0] == 0:
        _require(data, box, 16)
        (earliest,) = struct.unpack_from(">I", data, box.payload + 12)
        return 8 if earliest + offset > UINT32_MAX else 0
    if box.type == "prft" and _full_box(data, box)[0] == 0:
        _require(data, box, 20)
        (media_time,) = struct.unpack_from(">I", data, box.payload + 16)
        return 4 if media_time + offset > UINT32_MAX else 0
    return 0


def retime_segment(data: bytes, offset: int, sequence_offset: int = 0) -> bytes:
    """``data`` with ``offset`` ticks added to every time and ``sequence_offset`` to mfhd.

    Times: tfdt baseMediaDecodeTime in every moof/traf, sidx earliest_presentation_time, prft
    media_time. They are all taken to be in the track's timescale (one track per segment, as
    the dash muxer writes). Sample data is never touched.
    """
    top = boxes(data)
    growth = [_grows(data, box, offset) for box in top]
    layout = _Layout(top, growth)
    out: list[bytes] = []
    for box in top:
        if box.type == "moof":
            out.append(_retime_moof(data, box, offset, sequence_offset, layout))
        elif box.type == "sidx":
            out.append(_retime_sidx(data, box, offset, layout))
        elif box.type == "prft":
            out.append(_retime_prft(data, box, offset))
        else:
            out.append(data[box.start:box.end])
    result = b"".join(out)
    if len(result) != layout.new_length:
        raise AssertionError("the rewritten segment has an unexpected length")
    return result


def _retime_sidx(data: bytes, box: Box, offset: int, layout: _Layout) -> bytes:
    version, flags = _full_box(data, box)
    _require(data, box, 12 + (16 if version == 1 else 8) + 4)
    reference_id, timescale = struct.unpack_from(">II", data, box.payload + 4)
    at = box.payload + 12
    if version == 1:
        earliest, first_offset = struct.unpack_from(">QQ", data, at)
        at += 16
    else:
        earliest, first_offset = struct.unpack_from(">II", data, at)
        at += 8
    reserved, count = struct.unpack_from(">HH", data, at)
    at += 4
    if at + 12 * count > box.end:
        raise InvalidSegment(f"sidx at byte {box.start} is shorter than its {count} references")
    earliest = _shift(earliest, offset, "sidx earliest_presentation_time")
    new_version = 1 if version == 1 or earliest > UINT32_MAX else 0
    # references are counted from the first byte after the sidx (its anchor)
    referenced = box.end + first_offset
    new_first_offset = layout.position(referenced) - layout.position(box.end)
    references = bytearray()
    for index in range(count):
        word, duration, sap = struct.unpack_from(">III", data, at + 12 * index)
        size = word & 0x7FFFFFFF
        new_size = layout.position(referenced + size) - layout.position(referenced)
        if new_size > 0x7FFFFFFF:
            raise InvalidSegment("a sidx reference no longer fits in 31 bits")
        references += struct.pack(">III", (word & 0x80000000) | new_size, duration, sap)
        referenced += size
    payload = struct.pack(">II", (new_version << 24) | flags, reference_id) + struct.pack(
        ">I", timescale)
    if new_version == 1:
        payload += struct.pack(">QQ", earliest, new_first_offset)
    else:
        payload += struct.pack(">II", earliest, new_first_offset)
    payload += struct.pack(">HH", reserved, count) + bytes(references)
    payload += data[at + 12 * count:box.end]
    return _rebox(box, payload)


def _retime_prft(data: bytes, box: Box, offset: int) -> bytes:
    version, flags = _full_box(data, box)
    _require(data, box, 16 + (8 if version == 1 else 4))
    head = data[box.payload + 4:box.payload + 16]  # reference_track_ID + NTP timestamp
    if version == 1:
        (media_time,) = struct.unpack_from(">Q", data, box.payload + 16)
        rest = data[box.payload + 24:box.end]
    else:
        (media_time,) = struct.unpack_from(">I", data, box.payload + 16)
        rest = data[box.payload + 20:box.end]
    media_time = _shift(media_time, offset, "prft media_time")
    if version == 1 or media_time > UINT32_MAX:
        body = struct.pack(">I", (1 << 24) | flags) + head + struct.pack(">Q", media_time)
    else:
        body = struct.pack(">I", flags) + head + struct.pack(">I", media_time)
    return _rebox(box, body + rest)


def _retime_moof(data: bytes, moof: Box, offset: int, sequence_offset: int,
                 layout: _Layout) -> bytes:
    new_moof_start = layout.start_of(moof)
    moved = layout.new_length != layout.old_length
    parts: list[bytes] = []
    first_traf = True
    for child in children(data, moof):
        if child.type == "mfhd":
            parts.append(_retime_mfhd(data, child, sequence_offset))
        elif child.type == "traf":
            parts.append(_retime_traf(data, child, offset, moof, new_moof_start, layout,
                                      moof_relative_if_implicit=first_traf, grew=moved))
            first_traf = False
        else:
            parts.append(data[child.start:child.end])
    return _rebox(moof, b"".join(parts))


def _retime_mfhd(data: bytes, box: Box, sequence_offset: int) -> bytes:
    _require(data, box, 8)
    (sequence,) = struct.unpack_from(">I", data, box.payload + 4)
    sequence += sequence_offset
    if not 0 <= sequence <= UINT32_MAX:
        raise ValueError(f"mfhd sequence number {sequence} is out of range")
    return _rebox(box, data[box.payload:box.payload + 4] + struct.pack(">I", sequence)
                  + data[box.payload + 8:box.end])


def _retime_traf(data: bytes, traf: Box, offset: int, moof: Box, new_moof_start: int,
                 layout: _Layout, *, moof_relative_if_implicit: bool, grew: bool) -> bytes:
    """The traf with its tfdt shifted and its data offsets following any growth of the moof.

    trun data offsets count from the moof's first byte (default-base-is-moof, or the first
    traf with no base flags), or from tfhd's explicit base_data_offset (positions in the
    segment, mapped through the layout); a later traf with no base flags continues from the
    previous traf's data and needs no change.
    """
    tfhd_box = _first(data, "tfhd", within=traf)
    if tfhd_box is None:
        raise InvalidSegment(f"traf at byte {traf.start} has no tfhd")
    tfhd = _tfhd(data, tfhd_box)
    explicit = tfhd.base_data_offset is not None
    moof_relative = not explicit and (bool(tfhd.flags & _DEFAULT_BASE_IS_MOOF)
                                      or moof_relative_if_implicit)
    parts: list[bytes] = []
    for child in children(data, traf):
        if child.type == "tfdt":
            parts.append(_retime_tfdt(data, child, offset))
        elif child.type == "tfhd" and explicit and grew:
            assert tfhd.base_data_offset is not None
            new_base = layout.position(tfhd.base_data_offset)
            body = bytearray(data[child.payload:child.end])
            struct.pack_into(">Q", body, tfhd.base_offset_at - child.payload, new_base)
            parts.append(_rebox(child, bytes(body)))
        elif child.type == "trun" and moof_relative and grew:
            parts.append(_relocate_trun(data, child, moof, new_moof_start, layout))
        elif child.type == "saio" and grew:
            raise InvalidSegment("cannot relocate a saio box (encrypted fragments)")
        else:
            parts.append(data[child.start:child.end])
    return _rebox(traf, b"".join(parts))


def _retime_tfdt(data: bytes, box: Box, offset: int) -> bytes:
    version, flags = _full_box(data, box)
    time = _shift(_tfdt(data, box), offset, "tfdt baseMediaDecodeTime")
    rest = data[box.payload + (12 if version == 1 else 8):box.end]
    if version == 1 or time > UINT32_MAX:
        return _rebox(box, struct.pack(">IQ", (1 << 24) | flags, time) + rest)
    return _rebox(box, struct.pack(">II", flags, time) + rest)


def _relocate_trun(data: bytes, trun: Box, moof: Box, new_moof_start: int,
                   layout: _Layout) -> bytes:
    _, flags = _full_box(data, trun)
    if not flags & _DATA_OFFSET:
        raise InvalidSegment("a trun without data_offset cannot follow its moof's growth")
    _require(data, trun, 12)
    (data_offset,) = struct.unpack_from(">i", data, trun.payload + 8)
    new_offset = layout.position(moof.start + data_offset) - new_moof_start
    if not -(2**31) <= new_offset < 2**31:
        raise InvalidSegment("a trun data_offset no longer fits in 32 bits")
    body = bytearray(data[trun.payload:trun.end])
    struct.pack_into(">i", body, 8, new_offset)
    return _rebox(trun, bytes(body))
