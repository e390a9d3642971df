"""Generated posters and the poster rule, without any store: the SVG is well-formed whatever
the name holds, shows the name and year readably, takes its colours from the genres and is
the same every time for a title; imported art beats a title's own frame, which beats a
generated poster."""

from __future__ import annotations

import colorsys
import xml.etree.ElementTree as ET

import pytest

from chalicelib.catalogue.titles.poster_palette import (
    GENRE_HUES,
    HUE_JITTER,
    MIN_CONTRAST,
    palette,
)
from chalicelib.catalogue.titles.poster_svg import MAX_LINES, NAME_SIZES, layout_name, poster_svg
from chalicelib.catalogue.titles.posters import parse_poster_name, poster_url
from chalicelib.platform.colours import contrast

SVG = "{http://www.w3.org/2000/svg}"
TMDB = "https://image.tmdb.org/t/p/w342"


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, the thing under test)


def name_lines(root: ET.Element) -> list[str]:
    """The name's lines: the tspans of the one text element that has them."""
    return [t.text or "" for t in root.iter(f"{SVG}tspan")]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def hue_of(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def hue_distance(a: float, b: float) -> float:
    return min(abs(a - b), 360 - abs(a - b))


def test_the_poster_is_a_2_by_3_svg_with_the_name_and_year() -> None:
    root = parsed(poster_svg("wd-tt0068646", "The Godfather", 1972, ["Crime", "Drama"]))
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "342", "513", "0 0 342 513")
    assert " ".join(name_lines(root)) == "The Godfather"
    assert "1972" in texts(root)
    assert "CRIME \u00b7 DRAMA" in texts(root)
    assert root.get("aria-label") == "The Godfather (1972)"


def test_markup_in_a_name_is_text_never_elements() -> None:
    name = '</text><script>alert(1)</script><text a="b" & \'c\''
    svg = poster_svg("wd-x", name, None, ['<img onerror="x">'])
    root = parsed(svg)
    assert not [e for e in root.iter() if e.tag.endswith(("script", "img"))]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "".join(name_lines(root)).replace(" ", "") == name.replace(" ", "")
    assert all(not e.tag.endswith("style") and "style" not in e.attrib for e in root.iter())


def test_characters_xml_cannot_hold_are_dropped_not_fatal() -> None:
    root = parsed(poster_svg("wd-x", "Bad\x00\x1b Name\ud800\uffff", 2001, ["Dra\x07ma"]))
    assert name_lines(root) == ["Bad Name"]
    assert "DRAMA" in texts(root)


def test_a_long_name_gets_a_smaller_size_then_an_ellipsis() -> None:
    short = layout_name("Up")
    assert short.font_size == NAME_SIZES[0] and short.lines == ("Up",)
    medium = layout_name("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb")
    assert medium.font_size < NAME_SIZES[0] and len(medium.lines) <= MAX_LINES
    assert " ".join(medium.lines).endswith("Love the Bomb")  # it fits: nothing cut
    endless = layout_name(" ".join(["Extraordinarily"] * 30))
    assert endless.font_size == NAME_SIZES[-1] and len(endless.lines) == MAX_LINES
    assert endless.lines[-1].endswith("\u2026")
    one_word = layout_name("Supercalifragilisticexpialidocious" * 4)
    assert len(one_word.lines) == MAX_LINES and one_word.lines[-1].endswith("\u2026")
    for layout in (short, medium, endless, one_word):  # every line fits the width
        assert all(len(line) * layout.font_size * 0.6 <= 342 - 2 * 24 for line in layout.lines)


def test_an_empty_name_and_no_year_still_make_a_poster() -> None:
    root = parsed(poster_svg("wd-empty", "   ", None, []))
    assert name_lines(root) == ["Untitled"]
    assert not any(t.isdigit() for t in texts(root))


def test_the_same_title_always_gets_the_same_poster() -> None:
    args = ("wd-tt0111161", "The Shawshank Redemption", 1994, ["Drama"])
    assert poster_svg(*args) == poster_svg(*args)


def test_the_palette_follows_the_genre_and_varies_a_little_per_title() -> None:
    comedy = palette("wd-a", ["Comedy"])
    crime = palette("wd-a", ["Crime"])
    assert comedy != crime
    assert hue_distance(hue_of(comedy.accent), hue_of(crime.accent)) > 90
    dramas = [palette(f"wd-{n}", ["Drama"]) for n in range(12)]
    assert len({p.start for p in dramas}) == 12  # no two dramas alike
    for drama in dramas:  # ...but all in drama's family
        assert hue_distance(hue_of(drama.accent), GENRE_HUES["drama"]) <= HUE_JITTER + 2
    svg_comedy = poster_svg("wd-a", "Same", 2000, ["Comedy"])
    assert svg_comedy != poster_svg("wd-a", "Same", 2000, ["Horror"])
    assert comedy.start in svg_comedy


@pytest.mark.parametrize("genre", [*GENRE_HUES, "Unheard-of Genre", ""])
def test_text_keeps_its_contrast_on_every_genres_colours(genre: str) -> None:
    for n in range(20):
        colours = palette(f"t-{n}", [genre, "Comedy"] if n % 2 else [genre])
        assert contrast(colours.text, colours.start) >= MIN_CONTRAST
        assert contrast(colours.text, colours.end) >= MIN_CONTRAST


def test_imported_art_then_the_own_frame_then_a_generated_poster() -> None:
    assert poster_url("/abc.jpg", TMDB, "movie-1", playable=True) == f"{TMDB}/abc.jpg"
    assert poster_url("abc.jpg", TMDB, "movie-1") == f"{TMDB}/abc.jpg"
    assert poster_url("https://cdn.example/p.jpg", TMDB, "movie-1") == (
        "https://cdn.example/p.jpg")
    assert poster_url(None, TMDB, "new-00ff", playable=True) == "/posters/new-00ff.jpg"
    assert poster_url("", TMDB, "wd-tt0111161") == "/posters/wd-tt0111161.svg"
    assert poster_url(None, TMDB, "a/b?c") == "/posters/a%2Fb%3Fc.svg"
    assert poster_url("/posters/movie-1.jpg", TMDB, "movie-1") == "/posters/movie-1.jpg"


@pytest.mark.parametrize(("name", "expected"), [
    ("wd-tt0111161.svg", ("wd-tt0111161", "svg")), ("new-00ff.jpg", ("new-00ff", "jpg")),
    ("wd-tt0111161.png", None), ("wd-tt0111161", None), (".svg", None),
    ("../etc.svg", None), ("a b.svg", None), ("x" * 65 + ".svg", None),
    ("placeholder.svg.svg", None)])
def test_poster_names(name: str, expected: tuple[str, str] | None) -> None:
    assert parse_poster_name(name) == expected
