"""Parsing IMDb's CSV export: good rows, and malformed ones reported by line."""

from __future__ import annotations

import pytest

from chalicelib.catalogue.importing.imdb_csv import CsvProblem, decode, parse

HEADER = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
          "Genres,Num Votes,Release Date,Directors")


def row(const: str = "tt0111161", rating: str = "10", title: str = "The Shawshank Redemption",
        year: str = "1994", rated: str = "2020-01-31") -> str:
    return (f'{const},{rating},{rated},"{title}",https://www.imdb.com/title/{const}/,movie,9.3,'
            f'142,{year},Drama,2900000,1994-09-23,Frank Darabont')


def test_rows_are_parsed_with_their_line_numbers() -> None:
    text = "\n".join([HEADER, row(), row("tt0068646", "", "The Godfather, Part I", "1972", ""),
                      "", row("tt0000001", "7", 'Say ""Hi""', "")]) + "\n"
    rows = parse(text)
    assert [(r.line, r.imdb_id, r.personal_rating, r.year) for r in rows] == [
        (2, "tt0111161", 10, 1994), (3, "tt0068646", None, 1972), (5, "tt0000001", 7, None)]
    assert rows[1].title == "The Godfather, Part I" and rows[1].date_rated is None
    assert rows[2].title == 'Say "Hi"'


def test_a_byte_order_mark_and_crlf_are_accepted() -> None:
    rows = parse(decode(("\ufeff" + HEADER + "\r\n" + row() + "\r\n").encode()))
    assert rows[0].imdb_id == "tt0111161"


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("", 1, "empty"),
    ("Name,Year\nx,1", 1, "Const"),
    (HEADER + "\n" + row() + "\n" + row("nm0000001"), 3, "Const"),
    (HEADER + "\n" + row(rating="11"), 2, "Your Rating"),
    (HEADER + "\n" + row(year="19x4"), 2, "Year"),
    (HEADER + "\n" + row(rated="31/01/2020"), 2, "Date Rated"),
    (HEADER + "\n" + row(title=""), 2, "Title"),
    (HEADER + "\n" + row() + "\ntt1,2,3\n", 3, "expected 13 fields, found 3"),
    (HEADER + "\n" + row() + '\ntt0111161,1,2020-01-01,"unterminated\n', 3, "not valid CSV"),
])
def test_malformed_files_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(CsvProblem) as caught:
        parse(text)
    assert caught.value.line == line
    assert fragment in caught.value.problem


def test_text_that_is_not_utf8_names_its_line() -> None:
    with pytest.raises(CsvProblem) as caught:
        decode(HEADER.encode() + b"\n" + b"tt0111161,10,,Am\xe9lie\n")
    assert caught.value.line == 2


def test_a_list_longer_than_the_row_limit_is_refused_naming_the_limit() -> None:
    from chalicelib.catalogue.importing.imdb_csv import TooManyRows

    text = "\n".join([HEADER, *(row(f"tt{1_000_000 + n}") for n in range(4))])
    assert len(parse(text, max_rows=4)) == 4
    with pytest.raises(TooManyRows) as refused:
        parse(text + "\n" + row("tt2000000"), max_rows=4)
    assert refused.value.limit == 4


@pytest.mark.parametrize(("raw_body", "content_type"), [
    (b'{"csv": "Const,Title\\n\\ud800,x"}', "application/json"),  # JSON's escape of a surrogate
    ("Const,Title\n\ud800,x", "text/csv"),  # a body handed over as text
])
def test_a_lone_surrogate_is_a_400_naming_it(raw_body: str | bytes, content_type: str) -> None:
    from types import SimpleNamespace

    from chalicelib.catalogue.importing.imdb_upload import parse_imdb_csv
    from chalicelib.platform.errors import AppError

    request = SimpleNamespace(raw_body=raw_body, headers={"content-type": content_type})
    with pytest.raises(AppError) as refused:
        parse_imdb_csv(request, 65_536)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (400, "text_not_unicode")
    assert "surrogate" in refused.value.message
