"""Graph updates as messages: what other domains tell the recommendation graph.

Every row carries absolute values (a watch's count and latest time, a rating), never
increments, so applying a message twice, or two messages out of order, ends in the same
graph: the sync keeps the larger count and the later time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from chalicelib.catalogue.titles.models import TitleModel, str_list
from chalicelib.catalogue.titles.text import fold

#: People per title sent to the graph: directors and the top-billed actors.
MAX_ACTORS = 10
GRAPH_ROLES = ("director", "actor")


class PersonRow(msgspec.Struct, frozen=True):
    key: str  # tmdb:<id> or name:<folded name>: one node per person
    name: str
    role: str  # director | actor


class TitleRow(msgspec.Struct, frozen=True):
    id: str
    name: str
    kind: str
    year: int | None = None
    popularity: float = 0.0
    poster_path: str | None = None
    playable: bool = False
    genres: list[str] = []
    people: list[PersonRow] = []


class UserRow(msgspec.Struct, frozen=True):
    id: str
    created_at: str


class WatchRow(msgspec.Struct, frozen=True):
    user: str
    title: str
    count: int  # plays so far (absolute)
    last_at: str  # ISO-8601 UTC of the latest progress
    progress: float  # 0..1 of the title's duration
    completed: bool


class RatingRow(msgspec.Struct, frozen=True):
    user: str
    title: str
    #: The user's own 1..10 (thumbs up 10, down 1); None: the rating was cleared (the edge
    #: stays, without a rating, so an older rating arriving late cannot bring it back).
    rating: float | None
    rated_at: str


class ForgetRow(msgspec.Struct, frozen=True):
    """A viewer (a deleted profile) the graph forgets: its node keeps only a tombstone, so
    a watch or rating queued before the deletion and applied after it is not kept."""

    id: str
    at: str


class TitlesEvent(msgspec.Struct, tag="titles", frozen=True):
    rows: list[TitleRow]


class UsersEvent(msgspec.Struct, tag="users", frozen=True):
    rows: list[UserRow]


class WatchesEvent(msgspec.Struct, tag="watches", frozen=True):
    rows: list[WatchRow]


class RatingsEvent(msgspec.Struct, tag="ratings", frozen=True):
    rows: list[RatingRow]


class ForgetEvent(msgspec.Struct, tag="forget", frozen=True):
    rows: list[ForgetRow]


GraphEvent = TitlesEvent | UsersEvent | WatchesEvent | RatingsEvent | ForgetEvent
EVENT_TYPES: dict[str, type[Any]] = {"titles": TitlesEvent, "users": UsersEvent,
                                     "watches": WatchesEvent, "ratings": RatingsEvent,
                                     "forget": ForgetEvent}
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(GraphEvent)


class BadEvent(ValueError):
    """A message that is not a graph event (it is dropped, not retried)."""


def encode(event: GraphEvent) -> bytes:
    return _ENCODER.encode(event)


def decode(raw: str | bytes) -> GraphEvent:
    try:
        event: GraphEvent = _DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadEvent(str(exc)) from exc
    return event


def person_key(name: str, tmdb_id: int | None) -> str:
    return f"tmdb:{tmdb_id}" if tmdb_id else f"name:{fold(name)}"


def people_rows(people: Iterable[dict[str, Any]]) -> list[PersonRow]:
    """Directors and the top-billed actors, one row per (person, role)."""
    rows: dict[tuple[str, str], PersonRow] = {}
    actors = sorted((p for p in people if p.get("role") == "actor"),
                    key=lambda p: int(p.get("order") or 0))[:MAX_ACTORS]
    directors = [p for p in people if p.get("role") == "director"]
    for person in [*directors, *actors]:
        name = str(person.get("name") or "").strip()
        if not name:
            continue
        key = person_key(name, person.get("tmdb_id"))
        rows[(key, str(person["role"]))] = PersonRow(key, name, str(person["role"]))
    return list(rows.values())


def title_row(title: TitleModel) -> TitleRow:
    return TitleRow(
        id=title.id, name=title.name, kind=title.kind,
        year=int(title.year) if title.year is not None else None,
        popularity=float(title.popularity or 0), poster_path=title.poster_path,
        playable=title.asset is not None, genres=str_list(title.genres),
        people=people_rows(list(title.people or [])))


def chunked(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
