"""Which picture stands for a title, and at which address.

The rule, in order:

1. **Imported artwork** (a TMDB poster path, or an absolute URL an import brought): designed
   key art, made to sell the title in a 2:3 frame, so it wins when there is one.
2. **The title's own poster frame**: a title with an encoded stream has a frame taken from
   it by the encoder (10% in); for an uploaded film that is its own art.
   ``/posters/<id>.jpg`` redirects to it (a series: its first playable episode's frame).
3. **A generated poster**: ``/posters/<id>.svg``, drawn from the title's name, year and
   genres (``poster_svg``), stable for a title. Never a grey box.

:func:`poster_url` applies the rule wherever a card, a title page, a search result or a
recommendation is shaped; callers say whether the title is playable (it has a frame).
``/posters/placeholder.svg`` stays for links made before generated posters; nothing made
now points at it.
"""

from __future__ import annotations

import re
from html import escape
from typing import Literal
from urllib.parse import quote

TMDB_IMAGES = "https://image.tmdb.org/t/p/w342"
PLACEHOLDER_PATH = "/posters/placeholder.svg"
POSTERS = "/posters/"
#: Paths served by the app itself, passed through as they are.
LOCAL_PREFIXES = ("/media/", "/stream/", POSTERS)
#: A title id as the catalogue makes them (`movie-603`, `wd-tt0111161`, `new-3fa2...`).
TITLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PosterKind = Literal["svg", "jpg"]


def generated_path(title_id: str) -> str:
    return f"{POSTERS}{quote(title_id, safe='')}.svg"


def frame_path(title_id: str) -> str:
    return f"{POSTERS}{quote(title_id, safe='')}.jpg"


def poster_url(poster_path: str | None, base: str, title_id: str,
               playable: bool = False) -> str:
    """The address of a title's poster: imported art, else its own frame when it has a
    stream (``playable``), else its generated poster."""
    if poster_path:
        if poster_path.startswith(("https://", "http://", *LOCAL_PREFIXES)):
            return poster_path
        return f"{base}{poster_path if poster_path.startswith('/') else '/' + poster_path}"
    return frame_path(title_id) if playable else generated_path(title_id)


def parse_poster_name(name: str) -> tuple[str, PosterKind] | None:
    """``<title id>.svg`` or ``<title id>.jpg`` as (id, kind); None for anything else."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix not in ("svg", "jpg") or not TITLE_ID.match(stem):
        return None
    return stem, "svg" if suffix == "svg" else "jpg"


def placeholder_svg(name: str = "") -> str:
    """A 2:3 poster-shaped SVG, with the title's name when one is given."""
    label = escape(name[:40]) if name else "No poster"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="342" height="513" '
        'viewBox="0 0 342 513" role="img" aria-label="' + label + '">'
        '<rect width="342" height="513" fill="#1f1f24"/>'
        '<rect x="16" y="16" width="310" height="481" fill="none" stroke="#3a3a44" '
        'stroke-width="2"/>'
        '<text x="171" y="256" fill="#b8b8c4" font-family="sans-serif" font-size="22" '
        'text-anchor="middle">' + label + "</text></svg>")
