"""Subtitles to WebVTT: uploaded ``.srt``/``.vtt`` files (pure Python) and text subtitle
streams embedded in the source (one ffmpeg call), plus language codes from file names.

A converted file is plain UTF-8 WebVTT with ``\\n`` line ends: a ``WEBVTT`` header, then one
block per cue. SRT's ``00:00:01,000`` becomes ``00:00:01.000``; its cue numbers, ``<font>``
tags and ``{\\an8}``-style override codes are dropped, ``<i>``/``<b>``/``<u>`` are kept, and
``&``/``<`` are escaped as WebVTT requires. A file that is not subtitles raises
:class:`InvalidSubtitles` with a short reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg  # ffmpeg-python

from encoder_lambda.media.binaries import Tools, find_tools, run_tool
from encoder_lambda.media.probe import SourceInfo

MAX_SUBTITLE_BYTES = 10 * 1024 * 1024
EXTRACT_TIMEOUT_S = 600.0

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
_TIMING_RE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?P<settings>.*)$")
_HEADER_RE = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_ALLOWED_TAG_RE = re.compile(r"</?(?:i|b|u)>", re.IGNORECASE)
_DROPPED_TAG_RE = re.compile(r"</?font[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_SRT_COORDINATES_RE = re.compile(r"\s*X1:\d+\s+X2:\d+\s+Y1:\d+\s+Y2:\d+\s*$", re.IGNORECASE)

#: ISO 639-2 (terminology and bibliographic) codes of the languages that have an ISO 639-1
#: code, each written as 3+2 letters: "engen" maps "eng" to "en".
_ISO639_PAIRS = (
    "aaraa abkab afraf akaak albsq amham araar argan armhy asmas avaav aveae aymay azeaz bakba "
    "bambm baqeu belbe benbn bisbi bodbo bosbs brebr bulbg burmy catca cescs chach chece chizh "
    "chucu chvcv corkw cosco crecr cymcy czecs danda deude divdv dutnl dzodz ellel engen epoeo "
    "estet euseu eweee faofo fasfa fijfj finfi frafr frefr fryfy fulff geoka gerde glagd glega "
    "glggl glvgv greel grngn gujgu hatht hauha hbssh hebhe herhz hinhi hmoho hrvhr hunhu hyehy "
    "iboig iceis idoio iiiii ikuiu ileie inaia indid ipkik islis itait javjv jpnja kalkl kankn "
    "kasks katka kaukr kazkk khmkm kikki kinrw kirky komkv konkg korko kuakj kurku laolo latla "
    "lavlv limli linln litlt ltzlb lublu luglg macmk mahmh malml maomi marmr mayms mkdmk mlgmg "
    "mltmt monmn mrimi msams myamy nauna navnv nblnr ndend ndong nepne nldnl nnonn nobnb norno "
    "nyany ocioc ojioj orior ormom ossos panpa perfa plipi polpl porpt pusps quequ rohrm ronro "
    "rumro runrn rusru sagsg sansa sinsi slksk slosk slvsl smese smosm snasn sndsd somso sotst "
    "spaes sqisq srdsc srpsr sswss sunsu swasw swesv tahty tamta tattt telte tgktg tgltl thath "
    "tibbo tirti tonto tsntn tsots tuktk turtr twitw uigug ukruk urdur uzbuz venve vievi volvo "
    "welcy wlnwa wolwo xhoxh yidyi yoryo zhaza zhozh zulzu"
)
_ALPHA3 = {pair[:3]: pair[3:] for pair in _ISO639_PAIRS.split()}
_ALPHA2 = frozenset(_ALPHA3.values())
#: Languages without a 2-letter code that still turn up in subtitle names and tags.
_EXTRA_ALPHA3 = frozenset({"fil", "yue", "cmn", "haw", "ast", "ckb", "sgn"})
#: Name parts that flag a subtitle variant rather than name its language.
_FLAGS = frozenset({"forced", "sdh", "cc", "hi", "default", "full", "signs", "songs", "sub",
                    "subs", "subtitles"})


class InvalidSubtitles(ValueError):
    """The upload is not usable subtitles; ``reason`` is a short human sentence."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ExtractedSubtitle:
    path: Path
    stream_index: int
    language: str | None  # normalised ("fr" for a stream tagged "fra")
    codec: str
    title: str | None


@dataclass
class _Cue:
    start: float
    end: float
    settings: str
    lines: list[str]


# --- conversion ------------------------------------------------------------------------------


def to_webvtt(data: bytes | str) -> str:
    """WebVTT text from an uploaded ``.srt`` or ``.vtt`` (detected by the WEBVTT header)."""
    text = decode(data) if isinstance(data, bytes) else _normalise_newlines(data)
    first = text.lstrip("\n").split("\n", 1)[0]
    if first.startswith("WEBVTT"):
        return normalise_vtt(text)
    return srt_to_vtt(text)


def convert_file(src: str | Path, dest: str | Path) -> Path:
    """Write ``src`` (.srt or .vtt) as WebVTT to ``dest``."""
    source = Path(src)
    if source.stat().st_size > MAX_SUBTITLE_BYTES:
        raise InvalidSubtitles("The subtitle file is too large.")
    out = Path(dest)
    out.write_text(to_webvtt(source.read_bytes()), encoding="utf-8")
    return out


def decode(data: bytes) -> str:
    """Text of an uploaded subtitle file: UTF-8 (BOM or not), UTF-16 with a BOM, else
    Windows-1252; newlines made ``\\n``."""
    if len(data) > MAX_SUBTITLE_BYTES:
        raise InvalidSubtitles("The subtitle file is too large.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise InvalidSubtitles("The file is not a text subtitle file.")
    return _normalise_newlines(text)


def srt_to_vtt(text: str) -> str:
    """WebVTT from SubRip text; :class:`InvalidSubtitles` if it holds no valid cue."""
    cues: list[_Cue] = []
    for block_start, lines in _blocks(_normalise_newlines(text)):
        timing_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_at is None:
            if cues:  # a blank line inside a cue's text: keep the text with its cue
                cues[-1].lines += lines
                continue
            raise InvalidSubtitles(
                f"Line {block_start} is not a subtitle timing (expected "
                "'00:00:01,000 --> 00:00:02,000')."
            )
        cue = _parse_timing(lines[timing_at], block_start + timing_at)
        cue.settings = ""  # SRT's X1/X2/Y1/Y2 coordinates have no WebVTT meaning
        cue.lines = lines[timing_at + 1:]
        cues.append(cue)
    if not any(cue.lines for cue in cues):
        raise InvalidSubtitles("No subtitles were found in the file.")
    out = ["WEBVTT", ""]
    for cue in cues:
        if not cue.lines:
            continue
        out.append(f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}")
        out += [_clean_text(line) for line in cue.lines]
        out.append("")
    return "\n".join(out)


def normalise_vtt(text: str) -> str:
    """Validated WebVTT with ``\\n`` line ends; NOTE/STYLE/REGION blocks kept as they are."""
    text = _normalise_newlines(text).lstrip("\n")
    lines = text.split("\n")
    if not _HEADER_RE.match(lines[0]):
        raise InvalidSubtitles("The file does not start with a WEBVTT header.")
    cues = 0
    for number, line in enumerate(lines, start=1):
        if "-->" in line:
            cue = _parse_timing(line, number)
            if cue.end < cue.start:
                raise InvalidSubtitles(f"The cue at line {number} ends before it starts.")
            cues += 1
    if not cues:
        raise InvalidSubtitles("No subtitles were found in the file.")
    return text.rstrip("\n") + "\n"


def count_cues(vtt: str) -> int:
    return sum(1 for line in vtt.split("\n") if "-->" in line and _TIMING_RE.match(line))


# --- embedded streams ------------------------------------------------------------------------


def extract(
    src: str | Path, out_dir: str | Path, info: SourceInfo, tools: Tools | None = None
) -> list[ExtractedSubtitle]:
    """Write every text subtitle stream of ``src`` as ``subtitles-<index>.vtt`` in one ffmpeg
    call. Bitmap subtitles (PGS, DVD) cannot become text and are left out, as are streams
    with no cue."""
    streams = [s for s in info.subtitles if s.is_text]
    if not streams:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = ffmpeg.input(str(src))
    outputs: list[Any] = []
    for stream in streams:
        target = out / f"subtitles-{stream.index}.vtt"
        outputs.append(
            ffmpeg.output(source[str(stream.index)], str(target), **{"c:s": "webvtt",
                                                                     "f": "webvtt"})
        )
    exe = (tools or find_tools()).ffmpeg
    argv: list[str] = (
        ffmpeg.merge_outputs(*outputs)
        .global_args("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error")
        .compile(cmd=exe, overwrite_output=True)
    )
    run_tool(argv, timeout_s=EXTRACT_TIMEOUT_S)
    extracted = []
    for stream in streams:
        target = out / f"subtitles-{stream.index}.vtt"
        try:
            target.write_text(normalise_vtt(target.read_text(encoding="utf-8")),
                              encoding="utf-8")
        except (InvalidSubtitles, FileNotFoundError):
            target.unlink(missing_ok=True)
            continue
        extracted.append(ExtractedSubtitle(target, stream.index,
                                           normalize_language(stream.language),
                                           stream.codec, stream.title))
    return extracted


# --- languages -------------------------------------------------------------------------------


def normalize_language(tag: str | None) -> str | None:
    """BCP-47-style tag from a 2/3-letter code, optionally with a region or script.

    ``"eng"`` -> ``"en"``, ``"fre"`` -> ``"fr"``, ``"pt_br"`` -> ``"pt-BR"``, ``"zh-hant"``
    -> ``"zh-Hant"``; ``"und"``, words and unknown codes -> None.
    """
    if not tag:
        return None
    parts = re.split(r"[-_]", tag.strip())
    primary = parts[0].lower()
    if len(primary) == 2 and primary in _ALPHA2:
        language = primary
    elif len(primary) == 3 and primary in _ALPHA3:
        language = _ALPHA3[primary]
    elif len(primary) == 3 and primary in _EXTRA_ALPHA3:
        language = primary
    else:
        return None
    subtags = [language]
    for part in parts[1:]:
        if re.fullmatch(r"[A-Za-z]{2}|\d{3}", part):
            subtags.append(part.upper())
        elif re.fullmatch(r"[A-Za-z]{4}", part):
            subtags.append(part.title())
        else:
            return None
    return "-".join(subtags)


def language_from_name(name: str) -> str | None:
    """The language a subtitle file's name declares: ``film.en.srt`` -> ``"en"``,
    ``film.pt-BR.forced.vtt`` -> ``"pt-BR"``, ``film.eng.srt`` -> ``"en"``; else None."""
    stem = Path(name).name
    parts = stem.split(".")
    if len(parts) > 1 and parts[-1].lower() in ("srt", "vtt", "webvtt", "sub", "txt"):
        parts = parts[:-1]
    candidates = parts[1:]  # never the title itself ("en.srt" is a film called "en")
    for position in range(len(candidates) - 1, -1, -1):
        part = candidates[position]
        lowered = part.lower()
        language = normalize_language(part)
        if lowered in _FLAGS:
            # "hi" is Hindi on its own ("film.hi.srt") but "hearing impaired" after a language.
            earlier = candidates[position - 1] if position else None
            if language and (earlier is None or normalize_language(earlier) is None):
                return language
            continue
        return language
    return None


# --- helpers ---------------------------------------------------------------------------------


def _normalise_newlines(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the (1-based) number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _parse_timing(line: str, line_no: int) -> _Cue:
    found = _TIMING_RE.match(line)
    if not found:
        raise InvalidSubtitles(f"Line {line_no} is not a valid time range: {line.strip()[:60]!r}.")
    groups = found.groups()
    start, end = _seconds(groups[0:4]), _seconds(groups[4:8])
    settings = _SRT_COORDINATES_RE.sub("", found["settings"]).strip()
    if end < start:
        raise InvalidSubtitles(f"The cue at line {line_no} ends before it starts.")
    return _Cue(start, end, settings, [])


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes_text, seconds_text, millis = parts
    minutes, seconds = int(minutes_text or 0), int(seconds_text or 0)
    if minutes > 59 or seconds > 59:
        raise InvalidSubtitles("A subtitle time has minutes or seconds above 59.")
    fraction = int(millis.ljust(3, "0")) / 1000 if millis else 0.0
    return int(hours or 0) * 3600 + minutes * 60 + seconds + fraction


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _clean_text(line: str) -> str:
    """One line of SRT cue text as WebVTT cue text."""
    line = _DROPPED_TAG_RE.sub("", line)
    pieces = []
    position = 0
    for tag in _ALLOWED_TAG_RE.finditer(line):
        pieces.append(_escape(line[position:tag.start()]))
        pieces.append(tag.group(0).lower())
        position = tag.end()
    pieces.append(_escape(line[position:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    out = []
    position = 0
    for entity in _ENTITY_RE.finditer(text):
        out.append(text[position:entity.start()].replace("&", "&amp;"))
        out.append(entity.group(0))
        position = entity.end()
    out.append(text[position:].replace("&", "&amp;"))
    return "".join(out).replace("<", "&lt;").replace(">", "&gt;")
