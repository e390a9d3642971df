"""Poster URLs: TMDB's image CDN for TMDB paths, a placeholder when there is no poster."""

from __future__ import annotations

from html import escape

TMDB_IMAGES = "https://image.tmdb.org/t/p/w342"
PLACEHOLDER_PATH = "/posters/placeholder.svg"


def poster_url(poster_path: str | None, base: str = TMDB_IMAGES) -> str:
    if not poster_path:
        return PLACEHOLDER_PATH
    if poster_path.startswith(("https://", "http://", "/media/", "/stream/")):
        return poster_path
    return f"{base}{poster_path if poster_path.startswith('/') else '/' + poster_path}"


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
