"""The browse page: genre and country are lists of the catalogue's own, filters keep their
case-insensitive meaning, and a title that can be played wears the "Available" badge."""

from __future__ import annotations

import re
from typing import cast

from chalicelib.catalogue.titles.browse import CatalogueReader
from chalicelib.catalogue.titles.choices import FacetCounts
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.services import Services
from chalicelib.web.pages import Pages, PageServices
from chalicelib.web.render import page
from localcloud.isolation import unique


class Catalogue:
    def __init__(self, catalogue: CatalogueReader) -> None:
        self.catalogue = catalogue


def browse_html(in_process: Services, counts: FacetCounts, **query: str) -> str:
    reader = CatalogueReader(in_process.settings.image_base_url, lambda: counts)
    pages = Pages(cast(PageServices, Catalogue(reader)))
    context = pages.browse(query.get("type"), query.get("genre"), query.get("year"),
                           query.get("country"), query.get("cursor"), query.get("available"))
    return str(page("browse.html", None, **context).body)


def cards(html: str) -> dict[str, str]:
    """Each card's title id and its markup."""
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<li class="card">\s*<a href="/titles/([^"]+)">.*?</li>', html, re.S)}


def test_the_page_lists_the_catalogues_choices_and_badges_what_can_be_played(
        in_process: Services) -> None:
    genre = unique("Badge-")
    playable, silent = (TitleRecord(id=unique("p-"), kind="film", name=name,
                                    source="generated", year=1878, genres=(genre,),
                                    countries=("FR",), popularity=pop)
                        for name, pop in (("Plays Now", 2.0), ("Not Yet", 1.0)))
    in_process.catalogue_writer.upsert([playable, silent])
    assert attach_asset(playable.id, {"asset_id": unique("a-"), "manifest": "m.mpd"})
    counts = FacetCounts(genres={genre.lower(): {genre: 2}, "drama": {"Drama": 7}},
                         countries={"FR": 2, "JP": 1}, years={1878: 2}, kinds={"film": 2},
                         playable=1, titles=2, computed_at="2026-12-05T00:00:00Z")

    html = browse_html(in_process, counts, genre=genre.lower(), year="1878")
    found = cards(html)
    assert list(found) == [playable.id, silent.id]
    assert 'class="badge available">Available<' in found[playable.id]
    assert "badge" not in found[silent.id]
    # genre and country are selects of the catalogue's own values, with counts
    assert '<select name="genre">' in html and '<select name="country">' in html
    assert f'<option value="{genre}" selected>{genre} (2)</option>' in html
    assert '<option value="Drama" >Drama (7)</option>' in html
    assert '<option value="FR" >France (2)</option>' in html
    assert '<option value="JP" >Japan (1)</option>' in html
    assert "No titles match" not in html and ">More<" not in html

    available = browse_html(in_process, counts, genre=genre, available="1")
    assert list(cards(available)) == [playable.id]
    assert 'name="available" value="1" checked' in available

    # a country the counts do not know yet stays selected rather than vanishing
    html = browse_html(in_process, FacetCounts(), genre=genre, country="nr")
    assert '<option value="NR" selected>Nauru</option>' in html
    assert "No titles match these filters." in html
