"""Draw a generated poster: a 2:3 SVG with the title's name, year and genres.

The name is wrapped over up to four lines at the largest font size it fits (long names get
a smaller size, then are cut with an ellipsis); the year sits under it. The background is a
gradient in the title's palette (``poster_palette``) with a few soft shapes placed from the
title's id, and a dark band under the text so that it stays readable.

Every piece of text is XML-escaped and stripped of characters XML cannot hold, so the SVG
is well-formed whatever a name contains. Styling is by presentation attributes only (no
``style`` attribute or element, no script, nothing fetched), which the site's CSP allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from chalicelib.catalogue.titles.poster_palette import palette, seed_bytes

WIDTH = 342
HEIGHT = 513
MARGIN = 24
#: Font sizes tried for the name, largest first, and the most lines it may take.
NAME_SIZES = (46, 40, 34, 29, 25)
MAX_LINES = 4
#: A bold sans-serif letter's average width, in ems (a safe over-estimate).
CHAR_EM = 0.6
FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
ELLIPSIS = "\u2026"
#: What XML 1.0 cannot hold: most control characters, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NameLayout:
    lines: tuple[str, ...]
    font_size: int


def clean(text: str) -> str:
    """Text as one line of XML-safe characters (not yet escaped)."""
    return _SPACE.sub(" ", _NOT_XML.sub("", text)).strip()


def _fits(size: int) -> int:
    """How many characters fit on a line at this size."""
    return max(1, int((WIDTH - 2 * MARGIN) / (size * CHAR_EM)))


def wrap(words: Sequence[str], width: int) -> list[str]:
    """Greedy word wrap; a word longer than a line is split across lines."""
    lines: list[str] = []
    line = ""
    for word in words:
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) <= width:
            line = f"{line} {word}"
        elif line:
            lines.append(line)
            line = word
        else:
            line = word
    if line:
        lines.append(line)
    return lines


def layout_name(name: str) -> NameLayout:
    """The name's lines and size: the largest size that fits, else cut with an ellipsis."""
    words = clean(name).split(" ") if clean(name) else ["Untitled"]
    for size in NAME_SIZES:
        lines = wrap(words, _fits(size))
        if len(lines) <= MAX_LINES:
            return NameLayout(tuple(lines), size)
    size = NAME_SIZES[-1]
    width = _fits(size)
    lines = wrap(words, width)[:MAX_LINES]
    last = lines[-1]
    lines[-1] = (last if len(last) < width else last[:width - 1].rstrip()) + ELLIPSIS
    return NameLayout(tuple(lines), size)


def _shapes(seed: bytes, accent: str, accent2: str) -> list[str]:
    """Three soft circles and a diagonal band in the upper part, placed from the seed."""
    shapes = []
    for i, colour in enumerate((accent, accent2, accent)):
        cx = 20 + seed[10 + i] * (WIDTH - 40) // 255
        cy = 30 + seed[13 + i] * 220 // 255
        r = 50 + seed[16 + i] * 90 // 255
        opacity = 0.18 + seed[19 + i] / 255 * 0.22
        shapes.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}" '
                      f'fill-opacity="{opacity:.2f}"/>')
    tilt = 40 + seed[22] * 120 // 255
    shapes.append(f'<path d="M0 {tilt + 60} L{WIDTH} {tilt - 40} L{WIDTH} {tilt + 10} '
                  f'L0 {tilt + 110} Z" fill="{accent2}" fill-opacity="0.16"/>')
    return shapes


def poster_svg(title_id: str, name: str, year: int | None, genres: Sequence[str]) -> str:
    """The poster of a title without artwork, deterministic for its id and fields."""
    colours = palette(title_id, genres)
    seed = seed_bytes(title_id)
    layout = layout_name(name)
    line_height = round(layout.font_size * 1.12)
    year_text = str(year) if year is not None else ""
    bottom = HEIGHT - MARGIN - (34 if year_text else 6)
    first_baseline = bottom - line_height * (len(layout.lines) - 1)
    label = escape(clean(name) or "Untitled") + (f" ({year_text})" if year_text else "")
    genre_line = escape(" \u00b7 ".join(clean(g) for g in genres[:3] if clean(g)).upper()[:40])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        "<defs>",
        '<linearGradient id="bg" x1="0" y1="0" x2="0.35" y2="1">'
        f'<stop offset="0" stop-color="{colours.end}"/>'
        f'<stop offset="1" stop-color="{colours.start}"/></linearGradient>',
        '<linearGradient id="shade" x1="0" y1="0" x2="0" y2="1">'
        '<stop offset="0" stop-color="#000000" stop-opacity="0"/>'
        '<stop offset="0.45" stop-color="#000000" stop-opacity="0.45"/>'
        '<stop offset="1" stop-color="#000000" stop-opacity="0.7"/></linearGradient>',
        '<linearGradient id="top" x1="0" y1="0" x2="0" y2="1">'
        '<stop offset="0" stop-color="#000000" stop-opacity="0.5"/>'
        '<stop offset="1" stop-color="#000000" stop-opacity="0"/></linearGradient>',
        "</defs>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>',
        *_shapes(seed, colours.accent, colours.accent2),
        f'<rect y="{first_baseline - line_height - 40}" width="{WIDTH}" '
        f'height="{HEIGHT - first_baseline + line_height + 40}" fill="url(#shade)"/>',
    ]
    if genre_line:
        parts.append(f'<rect width="{WIDTH}" height="{MARGIN + 48}" fill="url(#top)"/>')
        parts.append(f'<text x="{MARGIN}" y="{MARGIN + 14}" fill="{colours.text}" '
                     f'font-family="{FONTS}" font-size="13" font-weight="600" '
                     f'letter-spacing="1.5">{genre_line}</text>')
    parts.append(f'<text x="{MARGIN}" fill="{colours.text}" font-family="{FONTS}" '
                 f'font-size="{layout.font_size}" font-weight="700">')
    for i, line in enumerate(layout.lines):
        parts.append(f'<tspan x="{MARGIN}" y="{first_baseline + i * line_height}">'
                     f"{escape(line)}</tspan>")
    parts.append("</text>")
    if year_text:
        parts.append(f'<text x="{MARGIN}" y="{HEIGHT - MARGIN}" fill="{colours.muted}" '
                     f'font-family="{FONTS}" font-size="20" font-weight="500">'
                     f"{year_text}</text>")
    parts.append("</svg>")
    return "".join(parts)
