"""TMDB details payloads (as `TmdbClient.movie` / `.series` return them) -> `TitleRecord`.

Nulls are tolerated wherever TMDB sends them (an empty or null date is no date, a null list is
empty); a missing id or title, or a value of the wrong type, raises `MappingError` naming the
field, so the import can record why a title was skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec

from chalicelib.catalogue.titles.records import (
    Episode,
    Kind,
    Person,
    Season,
    TitleRecord,
    movie_id,
    series_id,
)

#: Actors kept per title, by billing order.
MAX_ACTORS = 15
WRITER_JOBS = frozenset({"Screenplay", "Writer"})
_IMDB_ID = re.compile(r"tt\d+")
_YEAR = re.compile(r"(\d{4})-\d{2}-\d{2}")


class MappingError(ValueError):
    """The payload cannot become a `TitleRecord`; the message says which field and why."""


# -- typed access ------------------------------------------------------------------------------
def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _wrong(where: str, expected: str, value: Any) -> MappingError:
    return MappingError(f"{where} must be {expected}, got {_describe(value)}")


def _str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _wrong(f"{where}{key}", "a string", value)
    return value


def _int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _wrong(f"{where}{key}", "an integer", value)
    return value


def _float(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(f"{where}{key}", "a number", value)
    return float(value)


def _dict(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(f"{where}{key}", "an object", value)
    return value


def _items(obj: dict[str, Any], key: str, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """(path, entry) for each object in the list `obj[key]`."""
    value = obj.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        raise _wrong(f"{where}{key}", "a list", value)
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise _wrong(f"{where}{key}[{index}]", "an object", entry)
        yield f"{where}{key}[{index}].", entry


def _strings(obj: dict[str, Any], key: str, where: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _wrong(f"{where}{key}", "a list of strings", value)
    return value


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# -- fields ------------------------------------------------------------------------------------
def _year(value: str | None) -> int | None:
    match = _YEAR.fullmatch(value.strip()) if value else None
    return int(match.group(1)) if match else None


def _day(value: str | None) -> str | None:
    return value if value and _YEAR.fullmatch(value) else None


def _genres(payload: dict[str, Any]) -> tuple[str, ...]:
    return _unique((_str(genre, "name", path) or "").strip()
                   for path, genre in _items(payload, "genres", ""))


def _production_countries(payload: dict[str, Any]) -> list[str]:
    return [_str(country, "iso_3166_1", path) or ""
            for path, country in _items(payload, "production_countries", "")]


def _countries(codes: Iterable[str]) -> tuple[str, ...]:
    return _unique(code.strip().upper() for code in codes)


def _imdb_id(payload: dict[str, Any]) -> str | None:
    external = _dict(payload, "external_ids", "")
    for candidate in (_str(payload, "imdb_id", ""), _str(external, "imdb_id", "external_ids.")):
        if candidate and _IMDB_ID.fullmatch(candidate.strip()):
            return candidate.strip()
    return None


def _person(entry: dict[str, Any], path: str, role: str, *,
            character: str | None = None) -> Person | None:
    name = (_str(entry, "name", path) or "").strip()
    if not name:
        return None
    return Person(name=name, role=role, character=character,
                  tmdb_id=_int(entry, "id", path))


def _distinct(people: Iterable[Person | None]) -> list[Person]:
    """People in order, once per (person, role): TMDB lists a double role or a co-writer twice."""
    seen: set[tuple[int | str, str]] = set()
    kept: list[Person] = []
    for person in people:
        if person is None:
            continue
        key = (person.tmdb_id if person.tmdb_id is not None else person.name, person.role)
        if key not in seen:
            seen.add(key)
            kept.append(person)
    return kept


def _actors(credits: dict[str, Any]) -> list[Person]:
    """The top billed actors; `order` becomes their rank (entries without one go last)."""
    billed: list[tuple[tuple[bool, int, int], Person | None]] = []
    for index, (path, entry) in enumerate(_items(credits, "cast", "credits.")):
        order = _int(entry, "order", path)
        character = (_str(entry, "character", path) or "").strip() or None
        billed.append(((order is None, order or 0, index),
                       _person(entry, path, "actor", character=character)))
    billed.sort(key=lambda item: item[0])
    top = _distinct(actor for _, actor in billed)[:MAX_ACTORS]
    return [msgspec.structs.replace(actor, order=rank) for rank, actor in enumerate(top)]


def _people(payload: dict[str, Any]) -> tuple[Person, ...]:
    credits = _dict(payload, "credits", "")
    people = [_person(entry, path, "creator") for path, entry in _items(payload, "created_by", "")]
    for path, entry in _items(credits, "crew", "credits."):
        job, department = _str(entry, "job", path), _str(entry, "department", path)
        if job == "Director":
            people.append(_person(entry, path, "director"))
        elif department == "Writing" and job in WRITER_JOBS:
            people.append(_person(entry, path, "writer"))
    return tuple(_distinct(people) + _actors(credits))


def _episodes(season: dict[str, Any], where: str) -> tuple[Episode, ...]:
    episodes: dict[int, Episode] = {}
    for path, entry in _items(season, "episodes", where):
        number = _int(entry, "episode_number", path)
        if number is None:
            continue
        runtime = _int(entry, "runtime", path)
        episodes[number] = Episode(
            number=number, name=(_str(entry, "name", path) or "").strip() or f"Episode {number}",
            overview=_str(entry, "overview", path) or "", runtime=runtime or None,
            air_date=_day(_str(entry, "air_date", path)))
    return tuple(episodes[n] for n in sorted(episodes))


def _seasons(payload: dict[str, Any]) -> tuple[Season, ...]:
    seasons: dict[int, Season] = {}
    for path, entry in _items(payload, "seasons", ""):
        number = _int(entry, "season_number", path)
        if number is None:
            continue
        episodes = _episodes(entry, path)
        count = _int(entry, "episode_count", path)
        seasons[number] = Season(
            number=number, name=(_str(entry, "name", path) or "").strip() or f"Season {number}",
            air_date=_day(_str(entry, "air_date", path)),
            episode_count=count if count is not None else len(episodes), episodes=episodes)
    return tuple(seasons[n] for n in sorted(seasons))


def _common(payload: Any, kind: Kind, title_key: str,
            original_key: str) -> tuple[int, dict[str, Any]]:
    label = "movie" if kind == "film" else "series"
    if not isinstance(payload, dict):
        raise MappingError(f"{label} payload must be an object, got {_describe(payload)}")
    tmdb_id = _int(payload, "id", "")
    if tmdb_id is None or tmdb_id <= 0:
        raise MappingError(f"{label} payload has no valid id (got {_describe(payload.get('id'))})")
    name = (_str(payload, title_key, "") or _str(payload, original_key, "") or "").strip()
    if not name:
        raise MappingError(f"{label} {tmdb_id} has no {title_key}")
    votes = _int(payload, "vote_count", "") or 0
    fields: dict[str, Any] = {
        "name": name, "kind": kind, "source": "tmdb", "tmdb_id": tmdb_id,
        "original_name": (_str(payload, original_key, "") or "").strip(),
        "overview": _str(payload, "overview", "") or "",
        "genres": _genres(payload), "people": _people(payload),
        "rating": _float(payload, "vote_average", "") if votes > 0 else None,
        "votes": votes, "popularity": _float(payload, "popularity", "") or 0.0,
        "poster_path": _str(payload, "poster_path", "") or None,
        "imdb_id": _imdb_id(payload),
    }
    return tmdb_id, fields


# -- public ------------------------------------------------------------------------------------
def movie_record(payload: dict[str, Any]) -> TitleRecord:
    tmdb_id, fields = _common(payload, "film", "title", "original_title")
    runtime = _int(payload, "runtime", "")
    return TitleRecord(
        id=movie_id(tmdb_id), year=_year(_str(payload, "release_date", "")),
        countries=_countries(_production_countries(payload)), runtime=runtime or None, **fields)


def series_record(payload: dict[str, Any]) -> TitleRecord:
    tmdb_id, fields = _common(payload, "series", "name", "original_name")
    run_times = payload.get("episode_run_time")
    if run_times is not None and (not isinstance(run_times, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in run_times)):
        raise _wrong("episode_run_time", "a list of integers", run_times)
    origin = _strings(payload, "origin_country", "")
    return TitleRecord(
        id=series_id(tmdb_id), year=_year(_str(payload, "first_air_date", "")),
        countries=_countries(origin or _production_countries(payload)),
        runtime=(run_times[0] or None) if run_times else None, seasons=_seasons(payload),
        **fields)
