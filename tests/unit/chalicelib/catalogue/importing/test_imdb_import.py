"""A user's IMDb list in process: rows matched by IMDb id, else by title and year, recorded as
watched and rated, the same file twice giving the same records, and the row cap."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.catalogue.importing.imdb_csv import MAX_ROWS, parse
from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique

HEADER = "Const,Your Rating,Date Rated,Title,Year"


def row(const: str, title: str, year: int | str = "", rating: int | str = "",
        rated: str = "") -> str:
    return f'{const},{rating},{rated},"{title}",{year}'


def imdb_id() -> str:
    return f"tt{int(unique(''), 16) % 10**9:09d}"


def film(name: str, year: int | None, *, ident: str | None = None, popularity: float = 1.0,
         countries: tuple[str, ...] = ()) -> TitleRecord:
    return TitleRecord(id=unique("imdb-"), kind="film", name=name, source="generated",
                       year=year, imdb_id=ident, popularity=popularity, countries=countries,
                       rating=7.0)


def records_of(user_id: str) -> dict[str, UserTitleModel]:
    return {r.title_id: r for r in UserTitleModel.query(user_id, consistent_read=True)}


def test_rows_match_by_id_then_by_title_and_year_and_are_recorded(in_process: Services) -> None:
    boat_id = imdb_id()
    boat = film(unique("Das Boot "), 1981, ident=boat_id, countries=("DE",))
    no_id = film(unique("Shawshank "), 1994)  # the catalogue has no IMDb id for it
    in_process.catalogue_writer.upsert([boat, no_id])
    announced: list[tuple[str, list[str]]] = []
    importer = in_process.imdb_import
    importer.on_recorded = lambda user, matches: announced.append(
        (user, [m.title.id for m in matches if m.title is not None]))
    nobody = imdb_id()
    rows = parse("\n".join([
        HEADER,
        row(boat_id, "The Boat", 1981, 9, "2024-05-01"),  # IMDb's English title: the id decides
        row(imdb_id(), no_id.name.upper(), 1994, 10),  # an id the catalogue lacks: the name
        row(nobody, "A Film Nobody Has", 2003),
    ]))
    user = unique("user-")

    outcome = importer.run(user, rows)
    assert outcome["counts"] == {"rows": 3, "matched": 2, "unmatched": 1}
    by_title = {m["id"]: m for m in outcome["matched"]}
    assert by_title[boat.id] == {"countrycode": "DE", "name": boat.name, "year": 1981,
                                 "imdb_id": boat_id, "id": boat.id, "personal_rating": 9,
                                 "rating": 7.0}
    assert by_title[no_id.id]["imdb_id"] == rows[1].imdb_id  # the row's, as the title has none
    assert outcome["unmatched"] == [{"name": "A Film Nobody Has", "year": 2003,
                                     "imdb_id": nobody}]
    assert announced == [(user, [boat.id, no_id.id])]

    stored = records_of(user)
    assert set(stored) == {boat.id, no_id.id}
    rated = stored[boat.id]
    assert (rated.watched, rated.rating, rated.source) == (True, 9, "imdb-import")
    assert rated.rated_at == rated.watched_at == "2024-05-01T00:00:00.000Z"
    undated = stored[no_id.id]
    assert undated.rating == 10 and undated.rated_at == undated.watched_at  # stamped now

    again = importer.run(user, rows)
    assert again["counts"] == outcome["counts"]
    assert set(records_of(user)) == {boat.id, no_id.id}


def test_the_id_wins_and_a_name_picks_the_most_popular_title(in_process: Services) -> None:
    name = unique("Twins ")
    popular, obscure = film(name, 1988, popularity=80), film(name, 1988, popularity=2)
    elsewhere_id = imdb_id()
    elsewhere = film(unique("Other "), 1970, ident=elsewhere_id)
    in_process.catalogue_writer.upsert([popular, obscure, elsewhere])

    matches = in_process.imdb_import.match(parse("\n".join([
        HEADER,
        row(imdb_id(), name, 1988),  # two titles share the name and year
        row(elsewhere_id, name, 1988),  # its id names another title: the id wins
        row(imdb_id(), name),  # no year: a name alone matches nothing
        row(imdb_id(), name, 1989),
    ])))
    assert [m.title.id if m.title else None for m in matches] == [
        popular.id, elsewhere.id, None, None]


def test_a_title_listed_twice_is_recorded_once_with_the_later_row(in_process: Services) -> None:
    title = film(unique("Rewatched "), 2005, ident=imdb_id())
    in_process.catalogue_writer.upsert([title])
    assert title.imdb_id is not None
    user = unique("user-")
    outcome = in_process.imdb_import.run(user, parse("\n".join([
        HEADER, row(title.imdb_id, title.name, 2005, 6, "2020-01-01"),
        row(title.imdb_id, title.name, 2005, 8, "2023-06-30")])))
    assert outcome["counts"] == {"rows": 2, "matched": 2, "unmatched": 0}
    (stored,) = records_of(user).values()
    assert (stored.rating, stored.rated_at) == (8, "2023-06-30T00:00:00.000Z")


def test_an_import_keeps_the_plays_and_a_newer_thumb_recorded_here(
        in_process: Services) -> None:
    kept, played = (film(unique("Mine "), 2001, ident=imdb_id()) for _ in range(2))
    in_process.catalogue_writer.upsert([kept, played])
    user = unique("user-")
    in_process.ratings.set(user, kept.id, "down")  # thumbed down here, today
    UserTitleModel(user, played.id).update(actions=[UserTitleModel.play_count.set(3),
                                                    UserTitleModel.position_s.set(42.0)])
    in_process.imdb_import.run(user, parse("\n".join([
        HEADER, row(str(kept.imdb_id), kept.name, 2001, 9, "2020-01-01"),
        row(str(played.imdb_id), played.name, 2001, 8, "2020-01-01")])))
    stored = records_of(user)
    assert stored[kept.id].rating == 1 and stored[kept.id].watched  # the later thumb stays
    assert (stored[played.id].play_count, stored[played.id].position_s) == (3, 42.0)
    assert (stored[played.id].rating, stored[played.id].source) == (8, "imdb-import")


def test_a_list_at_the_row_cap_costs_a_bounded_number_of_requests(
        in_process: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.connection.base import Connection

    known = [film(unique("Capped "), 2000, ident=imdb_id()) for _ in range(30)]
    in_process.catalogue_writer.upsert(known)
    lines = [row(str(t.imdb_id), t.name, 2000, 7) for t in known]
    lines += [row(f"tt{9_000_000_000 + n}", f"Unknown {n}", 1900 + n % 200)
              for n in range(MAX_ROWS - len(known))]
    rows = parse("\n".join([HEADER, *lines]))
    assert len(rows) == MAX_ROWS
    operations: list[str] = []
    dispatch = Connection.dispatch

    def counting(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        operations.append(operation)
        return dispatch(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    importer = in_process.imdb_import
    importer.on_recorded = None
    outcome = importer.run(unique("user-"), rows)

    assert outcome["counts"] == {"rows": MAX_ROWS, "matched": 30, "unmatched": MAX_ROWS - 30}
    # every row's two keys, 100 a call; then the 30 candidates; then the 30 records, each
    # updated in place (a whole-item write would replace the viewer's plays and thumbs)
    assert operations.count("BatchGetItem") == 2 * MAX_ROWS // 100 + 1
    assert operations.count("UpdateItem") == 30
    assert set(operations) == {"BatchGetItem", "UpdateItem"}


def test_one_row_over_the_cap_is_refused_before_anything_is_read() -> None:
    from chalicelib.catalogue.importing.imdb_upload import parse_imdb_csv

    text = "\n".join(["Const,Title", *(f"tt{8_000_000 + n},X" for n in range(MAX_ROWS + 1))])
    request = SimpleNamespace(raw_body=text.encode(), headers={"content-type": "text/csv"})
    with pytest.raises(AppError) as refused:
        parse_imdb_csv(request, 10 * len(text))  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (413, "imdb_too_many_rows")
    assert str(MAX_ROWS) in refused.value.message.replace(",", "")

