"""A compact in-memory search index of titles, the people in them and their genres: built
offline and loaded once per warm container.

DynamoDB cannot search text, so after each import the catalogue builds this index, stores the
bytes in S3, and the API answers `GET /api/search` from memory.

Parts (all integer arrays little-endian ``uint32``):

- Documents (titles) ranked by popularity (descending, ties by id); a document's *ordinal* is
  its rank. One blob of msgpack arrays ``[id, name, year, imdb_id, poster_path, country, kind,
  popularity]`` plus offsets; only the returned hits are ever decoded.
- ``titles``: a :mod:`~chalicelib.catalogue.search.names` index of the documents' names.
- *Entities*: every director, cast member and genre, once per (role, name), ranked by their
  most popular title (so entity ordinals are in popularity order too); ``entities`` is a names
  index of their names, and each entity has the sorted ordinals of its titles.
- A :mod:`~chalicelib.catalogue.search.fuzzy` corrector over the words of both.

:meth:`SearchIndex.find` answers a query in groups, each by popularity: titles whose name
matches (exact name, then name start, then words anywhere), then titles of matching
directors, of cast members, of genres (those whose name holds the query's words whole, then
those only matched by word prefixes: "drama" lists the genre Drama before an actor called
Dramane); a title appears once, in its first group, with the reason it matched. When
nothing matches and some query word is no prefix of any known word, each such word is
corrected (see ``fuzzy``) and the corrected query answers instead, saying so
(``did_you_mean``). At most :data:`MAX_RESULTS` results are listed; the total counts every
match, exactly where that is cheap (one title word, a few thousand candidates, one huge
genre) and otherwise as a lower bound that says so.

The file is ``MAGIC | flags byte | body`` where the body is a msgpack map with ``bin`` fields
(and a format version), zlib-compressed when ``flags & 1``. :func:`build` writes it raw by
default: on 1M generated titles zlib-6 halves the size but costs seconds to write and ~1 s to
read back, against tens of ms to load the raw bytes.
"""

from __future__ import annotations

import heapq
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import msgspec

from chalicelib.catalogue.search.arrays import le_bytes, u32, u32_from, utf8
from chalicelib.catalogue.search.fuzzy import Corrector, CorrectorPayload, build_corrector
from chalicelib.catalogue.search.names import (
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    NameIndex,
    NamePayload,
    build_names,
)
from chalicelib.catalogue.titles.text import index_words, normalized, words

__all__ = ["DEFAULT_THRESHOLD", "DEFAULT_TOP_K", "FORMAT_VERSION", "MAGIC", "MAX_RESULTS",
           "Hit", "Match", "SearchDoc", "SearchIndex", "SearchPage", "build"]

FORMAT_VERSION: Final = 2
MAGIC: Final = b"NFXS"
_FLAG_ZLIB: Final = 1
#: How far down the results a query can page.
MAX_RESULTS: Final = 1_000
#: The most matching people (and genres) whose titles a query lists.
ENTITY_LIMIT: Final = 100
#: Matching entities' titles are united as sets (an exact count) up to this many postings.
_UNION_LIMIT: Final = 30_000
#: Kinds stored as small integers; anything else is stored as its string.
_KINDS: Final = ("film", "series")
_KIND_CODES: Final = {kind: code for code, kind in enumerate(_KINDS)}
#: Entity roles, in the order their groups rank (directors and cast share one group).
_ROLES: Final = ("director", "cast", "genre")
_DIRECTOR, _CAST, _GENRE = range(3)


class SearchDoc(msgspec.Struct, frozen=True):
    id: str
    name: str
    year: int | None
    imdb_id: str | None
    poster_path: str | None
    #: The first country code, if any.
    country: str | None
    #: "film" or "series".
    kind: str
    popularity: float
    #: Indexed to be searched, never stored with the document (empty when read back).
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """Why a title is in the results: its ``title``, a ``director``, ``cast`` or ``genre``."""

    kind: str
    text: str


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    match: Match


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    #: How many titles match in all (a lower bound when `exact` is False).
    total: int
    exact: bool
    #: The corrected query that answered, when the query as typed matched nothing.
    did_you_mean: str | None = None


_Row = tuple[str, str, int | None, str | None, str | None, str | None, int | str, float]


class _Payload(msgspec.Struct, frozen=True):
    version: int
    doc_count: int
    docs: memoryview
    doc_offsets: memoryview
    titles: NamePayload
    entities: NamePayload
    #: Per entity its role (an index into _ROLES).
    entity_roles: memoryview
    entity_names: memoryview
    entity_name_offsets: memoryview
    #: Per entity the ordinals of its titles, ascending.
    entity_postings: memoryview
    entity_posting_offsets: memoryview
    corrector: CorrectorPayload


_ROW_DECODER: Final = msgspec.msgpack.Decoder(_Row)
_PAYLOAD_DECODER: Final = msgspec.msgpack.Decoder(_Payload)


def _rank_key(doc: SearchDoc) -> float:
    popularity = doc.popularity
    return popularity if popularity == popularity else float("-inf")  # NaN ranks last


class _Entities:
    """Entities in the order first met while reading titles most popular first."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, str], int] = {}
        self.roles = bytearray()
        self.names: list[str] = []
        self.postings: list[list[int]] = []
        self._normalized: dict[str, str] = {}  # the same names recur in many titles

    def add(self, role: int, name: str, ordinal: int) -> None:
        folded = self._normalized.get(name)
        if folded is None:
            folded = self._normalized[name] = normalized(name)
        if not folded:
            return
        key = (role, folded)
        entity = self.ids.get(key)
        if entity is None:
            entity = self.ids[key] = len(self.names)
            self.roles.append(role)
            self.names.append(name.strip())
            self.postings.append([])
        titles = self.postings[entity]
        if not titles or titles[-1] != ordinal:
            titles.append(ordinal)


def build(docs: Iterable[SearchDoc], *, compress: bool = False,
          threshold: int = DEFAULT_THRESHOLD, top_k: int = DEFAULT_TOP_K) -> bytes:
    """Serialise an index of `docs` (ids should be unique).

    `threshold` and `top_k` control the top lists of huge prefixes (see ``names``); tests
    pass a tiny threshold to exercise that path. `compress` zlib-compresses the body.
    """
    ranked = list(docs)
    ranked.sort(key=lambda d: d.id)
    ranked.sort(key=_rank_key, reverse=True)  # stable: equal popularity stays in id order

    encoder = msgspec.msgpack.Encoder()
    doc_blob = bytearray()
    doc_offsets = u32([0])
    entities = _Entities()
    for ordinal, doc in enumerate(ranked):
        kind: int | str = _KIND_CODES.get(doc.kind, doc.kind)
        encoder.encode_into((doc.id, doc.name, doc.year, doc.imdb_id, doc.poster_path,
                             doc.country, kind, doc.popularity), doc_blob, -1)
        doc_offsets.append(len(doc_blob))
        for role, names in ((_DIRECTOR, doc.directors), (_CAST, doc.cast),
                            (_GENRE, doc.genres)):
            for name in names:
                entities.add(role, name, ordinal)
    titles = build_names([d.name for d in ranked], threshold=threshold, top_k=top_k)
    del ranked
    people = build_names(entities.names, threshold=threshold, top_k=top_k)
    name_blob = bytearray()
    name_offsets = u32([0])
    for name in entities.names:
        name_blob.extend(utf8(name))
        name_offsets.append(len(name_blob))
    flat = u32()
    posting_offsets = u32([0])
    for ordinals in entities.postings:
        flat.extend(ordinals)
        posting_offsets.append(len(flat))
    vocabulary = [*NameIndex(titles).vocabulary(), *NameIndex(people).vocabulary()]
    payload = _Payload(
        version=FORMAT_VERSION, doc_count=len(doc_offsets) - 1, docs=memoryview(doc_blob),
        doc_offsets=le_bytes(doc_offsets), titles=titles, entities=people,
        entity_roles=memoryview(entities.roles), entity_names=memoryview(name_blob),
        entity_name_offsets=le_bytes(name_offsets), entity_postings=le_bytes(flat),
        entity_posting_offsets=le_bytes(posting_offsets),
        corrector=build_corrector(vocabulary))
    body = msgspec.msgpack.encode(payload)
    del payload
    if compress:
        return MAGIC + bytes([_FLAG_ZLIB]) + zlib.compress(body, 6)
    return MAGIC + bytes([0]) + body


@dataclass
class _Ranked:
    """A query's results so far: ordinals in order, each with its group's entities."""

    ordinals: list[int]
    #: Per listed ordinal the entities that may explain it (empty: its title matched).
    reasons: list[list[int]]
    total: int
    exact: bool
    #: Every match so far, when `known` (so later groups can leave them out exactly).
    members: set[int]
    known: bool


class SearchIndex:
    """A loaded index: immutable, safe to share between requests of a warm container."""

    __slots__ = ("_corrector", "_doc_offsets", "_docs", "_entities", "_entity_name_offsets",
                 "_entity_names", "_entity_posting_offsets", "_entity_postings",
                 "_entity_roles", "_titles")

    def __init__(self, payload: _Payload) -> None:
        self._docs = bytes(payload.docs)
        self._doc_offsets = u32_from(payload.doc_offsets)
        self._titles = NameIndex(payload.titles)
        self._entities = NameIndex(payload.entities)
        self._entity_roles = bytes(payload.entity_roles)
        self._entity_names = bytes(payload.entity_names)
        self._entity_name_offsets = u32_from(payload.entity_name_offsets)
        self._entity_postings = u32_from(payload.entity_postings)
        self._entity_posting_offsets = u32_from(payload.entity_posting_offsets)
        self._corrector = Corrector(payload.corrector)

    @classmethod
    def load(cls, data: bytes) -> SearchIndex:
        """Parse bytes from :func:`build`; raises ValueError on anything else."""
        if len(data) < len(MAGIC) + 1 or data[:len(MAGIC)] != MAGIC:
            raise ValueError("not a search index")
        flags = data[len(MAGIC)]
        body: bytes | memoryview = memoryview(data)[len(MAGIC) + 1:]
        if flags & _FLAG_ZLIB:
            try:
                body = zlib.decompress(body)
            except zlib.error as exc:
                raise ValueError(f"corrupt search index: {exc}") from None
        try:
            payload = _PAYLOAD_DECODER.decode(body)
        except msgspec.DecodeError as exc:
            raise ValueError(f"corrupt search index: {exc}") from None
        if payload.version != FORMAT_VERSION:
            raise ValueError(f"search index format {payload.version}, "
                             f"this code reads {FORMAT_VERSION}")
        index = cls(payload)
        if len(index) != payload.doc_count or index._titles.size != payload.doc_count:
            raise ValueError("corrupt search index: document count mismatch")
        return index

    def __len__(self) -> int:
        return len(self._doc_offsets) - 1

    @property
    def size_bytes(self) -> int:
        """Bytes held in memory by the index's blobs and arrays."""
        return sum(self.size_parts().values())

    def size_parts(self) -> dict[str, int]:
        """`size_bytes` by part: documents, title words, people and genres, corrections."""
        entity_arrays = (self._entity_name_offsets, self._entity_postings,
                         self._entity_posting_offsets)
        return {
            "documents": len(self._docs) + len(self._doc_offsets) * 4,
            "title words": self._titles.size_bytes,
            "people and genres": (self._entities.size_bytes + len(self._entity_roles)
                                  + len(self._entity_names)
                                  + sum(len(a) * a.itemsize for a in entity_arrays)),
            "corrections": self._corrector.size_bytes}

    def search(self, query: str, limit: int = 20) -> list[SearchDoc]:
        """Titles whose name matches every word of `query` as a word prefix, best first."""
        return [self._doc(ordinal) for ordinal in self._titles.search(query, limit)]

    def find(self, query: str, offset: int = 0, limit: int = 20) -> SearchPage:
        """Results `offset` to `offset + limit` of `query` (see the module doc)."""
        if limit <= 0 or offset < 0 or offset >= MAX_RESULTS:
            limit = 0
        ranked = self._ranked(query)
        did_you_mean = None
        if ranked.total == 0:
            corrected = self.corrected(query)
            if corrected is not None:
                ranked = self._ranked(corrected)
                did_you_mean = corrected if ranked.total else None
        end = min(offset + limit, len(ranked.ordinals))
        hits = [self._hit(ranked.ordinals[i], ranked.reasons[i]) for i in range(offset, end)]
        return SearchPage(hits, ranked.total, ranked.exact, did_you_mean)

    def corrected(self, query: str) -> str | None:
        """`query` with each word that begins no known word corrected, or None if there is
        no such word or one of them has no correction."""
        query_words = words(query)
        changed = False
        for i, word in enumerate(query_words):
            if self._titles.has_prefix(word) or self._entities.has_prefix(word):
                continue
            correction = self._corrector.correct(word)
            if correction is None:
                return None
            query_words[i] = correction
            changed = True
        return " ".join(query_words) if changed else None

    def _ranked(self, query: str) -> _Ranked:
        titles = self._titles.matches(query, MAX_RESULTS)
        ranked = _Ranked(list(titles.ordinals), [[] for _ in titles.ordinals], titles.total,
                         titles.exact, set(titles.ordinals),
                         titles.exact and titles.total == len(titles.ordinals))
        if len(ranked.ordinals) >= MAX_RESULTS and not ranked.known:
            # Titles fill every listed place and the total is a bound already: people and
            # genres could change neither (this keeps one- and two-letter prefixes cheap).
            if all(self._entities.has_prefix(word) for word in words(query)):
                ranked.exact = False
            return ranked
        entities = self._entities.matches(query, ENTITY_LIMIT)
        if not entities.ordinals:
            return ranked
        if entities.total > len(entities.ordinals):
            ranked.exact = False  # the titles of the people left out are not counted
        # Directors, cast, genres; those named by whole words before those only by prefixes
        # ("drama" is the genre Drama before an actor called Dramane).
        query_words = set(words(query))
        groups: list[list[int]] = [[] for _ in range(2 * len(_ROLES))]
        for entity in entities.ordinals:
            whole = query_words.issubset(index_words(self._entity_name(entity)))
            groups[self._entity_roles[entity] + (0 if whole else len(_ROLES))].append(entity)
        for group in groups:
            if group:
                self._add_group(ranked, group)
        return ranked

    def _titles_of(self, entity: int) -> array[int]:
        offsets = self._entity_posting_offsets
        return self._entity_postings[offsets[entity]:offsets[entity + 1]]

    def _add_group(self, ranked: _Ranked, group: list[int]) -> None:
        """Append the titles of `group`'s entities not listed yet, by popularity."""
        room = MAX_RESULTS - len(ranked.ordinals)
        known = ranked.known
        if room <= 0 and not known:  # nothing to list, nothing to count exactly
            ranked.exact = False
            return
        lists = [self._titles_of(e) for e in group]
        seen = ranked.members if known else set(ranked.ordinals)
        if sum(len(titles) for titles in lists) <= _UNION_LIMIT:
            united: set[int] = set().union(*lists)
            united -= seen
            new = sorted(united)[:room] if room > 0 else []
            count, exact = len(united), True
            if known:
                ranked.members |= united
        else:
            new = _merged(lists, seen, room)
            # Each list's titles not seen yet, exactly; together at least the largest (not
            # worth counting when earlier groups' count is a bound anyway).
            count = (max(max(len(t) - _overlap(t, seen) for t in lists), len(new)) if known
                     else len(new))
            exact = len(lists) == 1
            ranked.known = False
        ranked.ordinals.extend(new)
        ranked.reasons.extend([group] * len(new))
        if known:
            ranked.total += count
            ranked.exact = ranked.exact and exact
        else:  # earlier matches not listed may be among these: count only what is certain
            ranked.total = max(ranked.total, len(ranked.ordinals))
            ranked.exact = False

    def _hit(self, ordinal: int, reasons: list[int]) -> Hit:
        doc = self._doc(ordinal)
        for entity in reasons:
            if _contains(self._titles_of(entity), ordinal):
                name = self._entity_name(entity)
                role = self._entity_roles[entity]
                text = ("directed by " if role == _DIRECTOR else "with " if role == _CAST
                        else "") + name
                return Hit(doc, Match(_ROLES[role], text))
        return Hit(doc, Match("title", doc.name))

    def _entity_name(self, entity: int) -> str:
        offsets = self._entity_name_offsets
        return self._entity_names[offsets[entity]:offsets[entity + 1]].decode(
            "utf-8", "surrogatepass")

    def _doc(self, ordinal: int) -> SearchDoc:
        offsets = self._doc_offsets
        doc_id, name, year, imdb_id, poster_path, country, kind, popularity = (
            _ROW_DECODER.decode(self._docs[offsets[ordinal]:offsets[ordinal + 1]]))
        return SearchDoc(id=doc_id, name=name, year=year, imdb_id=imdb_id,
                         poster_path=poster_path, country=country,
                         kind=_KINDS[kind] if isinstance(kind, int) else kind,
                         popularity=popularity)


def _contains(sorted_values: Sequence[int], value: int) -> bool:
    i = bisect_left(sorted_values, value)
    return i < len(sorted_values) and sorted_values[i] == value


def _overlap(sorted_values: array[int], values: set[int]) -> int:
    """How many of `values` are in `sorted_values`."""
    if 16 * len(values) < len(sorted_values):
        return sum(1 for value in values if _contains(sorted_values, value))
    return len(values.intersection(sorted_values))


def _merged(lists: list[array[int]], seen: set[int], room: int) -> list[int]:
    """The `room` smallest values of the ascending `lists` together, not in `seen`."""
    found: list[int] = []
    last = -1
    if room <= 0:
        return found
    for value in heapq.merge(*lists):
        if value != last and value not in seen:
            found.append(value)
            if len(found) == room:
                break
        last = value
    return found
