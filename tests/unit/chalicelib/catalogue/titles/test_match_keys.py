"""Match keys in process: the writer keeps them in step with the titles, and readers trust
only titles that still carry a key."""

from __future__ import annotations

from chalicelib.catalogue.titles import match_keys
from chalicelib.catalogue.titles.match_keys import imdb_key, name_key, titles_by_key
from chalicelib.catalogue.titles.models import MatchKeyModel
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.catalogue.titles.text import title_year_key
from chalicelib.services import Services
from localcloud.isolation import unique


def film(title_id: str, name: str, year: int | None, imdb_id: str | None = None) -> TitleRecord:
    return TitleRecord(id=title_id, kind="film", name=name, source="generated", year=year,
                       imdb_id=imdb_id)


def imdb_id() -> str:
    return f"tt{int(unique(''), 16) % 10**9:09d}"


def held(key: str) -> set[str]:
    try:
        return set(MatchKeyModel.get(key, consistent_read=True).title_ids or ())
    except MatchKeyModel.DoesNotExist:
        return set()


def test_a_title_is_found_by_its_imdb_id_and_by_its_folded_name_and_year(
        in_process: Services) -> None:
    name, ident = f"Amélie {unique('')}", imdb_id()
    title_id = unique("mk-")
    in_process.catalogue_writer.upsert([film(title_id, name, 2001, ident)])
    by_id, by_name = imdb_key(ident), name_key(title_year_key(name.upper(), 2001))
    found = titles_by_key([by_id, by_name, name_key(title_year_key(name, 2002))])
    assert set(found) == {by_id, by_name}  # another year is another key
    assert [t.id for t in found[by_id]] == [t.id for t in found[by_name]] == [title_id]


def test_a_renamed_title_moves_to_its_new_keys(in_process: Services) -> None:
    title_id, old_name, new_name = unique("mk-"), unique("First Cut "), unique("Final Cut ")
    old_id, new_id = imdb_id(), imdb_id()
    in_process.catalogue_writer.upsert([film(title_id, old_name, 1990, old_id)])
    in_process.catalogue_writer.upsert([film(title_id, new_name, 1991, new_id)])
    assert held(imdb_key(old_id)) == held(name_key(title_year_key(old_name, 1990))) == set()
    assert held(imdb_key(new_id)) == held(name_key(title_year_key(new_name, 1991))) == {title_id}


def test_an_id_left_on_a_key_the_title_no_longer_carries_is_ignored(
        in_process: Services) -> None:
    """What a writer that crashed between adding keys and writing the title leaves behind."""
    title_id, name = unique("mk-"), unique("Steady ")
    in_process.catalogue_writer.upsert([film(title_id, name, 1980)])
    stray = imdb_key(imdb_id())
    match_keys.add(title_id, [stray])
    assert held(stray) == {title_id}
    assert titles_by_key([stray]) == {}
    assert [t.id for t in titles_by_key([name_key(title_year_key(name, 1980))])[
        name_key(title_year_key(name, 1980))]] == [title_id]


def test_titles_sharing_a_name_and_year_are_all_candidates(in_process: Services) -> None:
    name = unique("Remake ")
    ids = sorted(unique("mk-") for _ in range(3))
    in_process.catalogue_writer.upsert([film(i, name, 2010) for i in ids])
    key = name_key(title_year_key(name, 2010))
    assert sorted(t.id for t in titles_by_key([key])[key]) == ids
