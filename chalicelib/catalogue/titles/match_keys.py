"""Match keys: find many titles by IMDb id or by name and year in a few batched reads.

The ``by-imdb`` and ``by-name-year`` indexes answer one key per query, so matching a list of
N rows cost up to 2N queries. The ``title-match-keys`` table holds, per key, the ids of the
titles carrying it: a list's keys are read 100 per BatchGetItem, then the candidate titles
100 per BatchGetItem. The writer adds a title's id to its keys before writing the title and
removes it from keys the title no longer carries after; an id left behind by a crash in
between is harmless because readers keep only titles that still carry the key.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.catalogue.titles.models import MatchKeyModel, TitleModel

#: At most this many candidates per key are read (the GSI queries' old limits).
MAX_IMDB_CANDIDATES = 5
MAX_NAME_CANDIDATES = 20
#: The title fields an import answer needs (not the people and seasons of a title).
MATCH_ATTRIBUTES = ["id", "name", "name_key", "year", "countries", "imdb_id", "rating",
                    "popularity"]


def imdb_key(imdb_id: str) -> str:
    return f"imdb#{imdb_id}"


def name_key(name_year_key: str) -> str:
    return f"name#{name_year_key}"


def keys_of(imdb_id: str | None, name_year_key: str) -> set[str]:
    """The match keys a title carries."""
    return {name_key(name_year_key), *([imdb_key(imdb_id)] if imdb_id else [])}


def title_keys(title: TitleModel) -> set[str]:
    return keys_of(title.imdb_id, title.name_key)


def add(title_id: str, keys: Iterable[str]) -> None:
    for key in keys:
        MatchKeyModel(key).update(actions=[MatchKeyModel.title_ids.add({title_id})])


def remove(title_id: str, keys: Iterable[str]) -> None:
    for key in keys:
        MatchKeyModel(key).update(actions=[MatchKeyModel.title_ids.delete({title_id})])


def candidates(keys: Iterable[str]) -> dict[str, list[str]]:
    """Title ids per key (sorted, capped), for the keys that have any."""
    found: dict[str, list[str]] = {}
    for item in MatchKeyModel.batch_get(set(keys)):
        cap = MAX_IMDB_CANDIDATES if item.key.startswith("imdb#") else MAX_NAME_CANDIDATES
        found[item.key] = sorted(item.title_ids or ())[:cap]
    return found


def titles_by_key(keys: Iterable[str]) -> dict[str, list[TitleModel]]:
    """The titles carrying each key: two batched reads per 100 keys and 100 candidates."""
    ids_by_key = candidates(keys)
    wanted = {title_id for ids in ids_by_key.values() for title_id in ids}
    titles = ({t.id: t for t in TitleModel.batch_get(wanted, attributes_to_get=MATCH_ATTRIBUTES)}
              if wanted else {})
    found: dict[str, list[TitleModel]] = {}
    for key, ids in ids_by_key.items():
        carrying = [titles[i] for i in ids if i in titles and key in title_keys(titles[i])]
        if carrying:
            found[key] = carrying
    return found
