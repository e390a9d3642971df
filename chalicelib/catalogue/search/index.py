"""A compact in-memory title search index, built offline and loaded once per warm container.

DynamoDB cannot search text, so after each import the catalogue builds this index, stores the
bytes in S3, and the API answers `GET /api/search` from memory.

Format (all integer arrays are little-endian ``uint32``, i.e. ``array('I')``):

- Documents are ranked by popularity (descending, ties by id); a document's *ordinal* is its
  rank, so a smaller ordinal is a more popular title and every sorted ordinal array is already
  in result order.
- Tokens are the folded words of each name (:func:`chalicelib.catalogue.titles.text.index_words`:
  the words plus apostrophe-joined forms such as ``schindlers``) plus one *name token* per
  title: ``"\\x01"`` followed by the whole normalised name (``text.normalized``). ``"\\x01"`` sorts
  before every word character, so all name tokens form one block at the start of the sorted
  token list and "name equals / starts with the query" is the same prefix lookup as a word.
  Tokens are one UTF-8 blob plus offsets, sorted by code point (= UTF-8 byte order), so a
  prefix's tokens are one contiguous range found by binary search.
- Postings: one array of ordinals plus per-token offsets; each token's list is sorted, so the
  posting count of a whole prefix range is ``offsets[hi] - offsets[lo]`` in O(1).
- Forward index: per document, the sorted ids of its word tokens. "Does this document have a
  word starting with p" is then one bisect for p's token range, which makes the AND of query
  words exact even when a word's own posting range is huge.
- Top lists: for every prefix whose posting range holds more than ``threshold`` postings, the
  ``top_k`` most popular matching ordinals (merged, unique, sorted). APPROXIMATION: when every
  query word is such a huge prefix (e.g. "a", "the lo"), only the ``top_k`` most popular
  titles of the rarest word are candidates, so a less popular title matching all the words
  can be missed. For one-word queries and for tiers 0-1 the answer stays exact while
  ``limit <= top_k``; as soon as one query word has a small range, the result is exact.
- Documents: one blob of msgpack arrays ``[id, name, year, imdb_id, poster_path, country,
  kind, popularity]`` plus offsets; only the returned hits are ever decoded.

The file is ``MAGIC | flags byte | body`` where the body is a msgpack map with ``bin`` fields
(and a format version), zlib-compressed when ``flags & 1``. :func:`build` writes it raw by
default: on 1M generated titles zlib-6 halves the size (132 -> 69 MiB) but costs ~6 s to
write and ~0.8 s to read back, against ~60 ms to load the raw bytes and an extra full-size
buffer during the load; fetching the extra ~60 MiB from S3 in-region costs less than that.

Query semantics: case and accents never matter; every query word must be a prefix of some
word of the title. Ranking is by tier, then popularity: tier 0 = the normalised name equals
the normalised query, tier 1 = the normalised name starts with it, tier 2 = every query word
matches a word prefix anywhere. Tier 0 is within tier 1, which is within tier 2.

Cost: finding a prefix is O(log tokens); a query is O(limit) for one word with a precomputed
top list or a single-token range, and otherwise bounded by the smallest posting range
(<= ``threshold``) plus one bisect per candidate and further word.
"""

from __future__ import annotations

import heapq
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Final

import msgspec

from chalicelib.catalogue.titles.text import index_words, words

FORMAT_VERSION: Final = 1
MAGIC: Final = b"NFXS"
_FLAG_ZLIB: Final = 1
#: Name tokens start with this; it sorts before every character a word can contain.
NAME_MARK: Final = "\x01"
#: Prefix ranges with more postings than this get a precomputed top list.
DEFAULT_THRESHOLD: Final = 20_000
#: How many of the most popular ordinals a top list keeps.
DEFAULT_TOP_K: Final = 1_000
#: Kinds stored as small integers; anything else is stored as its string.
_KINDS: Final = ("film", "series")
_KIND_CODES: Final = {kind: code for code, kind in enumerate(_KINDS)}
#: Another query word is intersected as a set when it has at most this many times the
#: driver's postings; a more frequent word is checked per candidate in the forward index.
_SET_RATIO: Final = 3

if array("I").itemsize != 4:  # pragma: no cover - every CPython platform we deploy to
    raise ImportError("the search index needs 4-byte array('I') items")


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


#: A query word's (posting count, first token id, end token id, word).
_WordRange = tuple[int, int, int, str]
_Row = tuple[str, str, int | None, str | None, str | None, str | None, int | str, float]


class _Payload(msgspec.Struct, frozen=True):
    """The serialised index. Byte fields are views into the decoded buffer when loading."""

    version: int
    doc_count: int
    threshold: int
    top_k: int
    tokens: memoryview
    token_offsets: memoryview
    postings: memoryview
    posting_offsets: memoryview
    forward: memoryview
    forward_offsets: memoryview
    docs: memoryview
    doc_offsets: memoryview
    #: Prefixes with a top list, in the order of `top_offsets`.
    top_prefixes: list[str]
    top_offsets: memoryview
    tops: memoryview


_ROW_DECODER: Final = msgspec.msgpack.Decoder(_Row)
_PAYLOAD_DECODER: Final = msgspec.msgpack.Decoder(_Payload)


def _u32(values: Iterable[int] = ()) -> array[int]:
    return array("I", values)


def _u32_from(buffer: memoryview) -> array[int]:
    out = _u32()
    out.frombytes(buffer)
    if sys.byteorder == "big":
        out.byteswap()
    return out


def _le_bytes(values: array[int]) -> memoryview:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return memoryview(values).cast("B")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _offsets(lengths: Iterable[int]) -> array[int]:
    out = _u32([0])
    total = 0
    for length in lengths:
        total += length
        out.append(total)  # raises OverflowError past 4 GiB: far beyond the design size
    return out


def _rank_key(doc: SearchDoc) -> float:
    popularity = doc.popularity
    return popularity if popularity == popularity else float("-inf")  # NaN ranks last


def build(docs: Iterable[SearchDoc], *, compress: bool = False,
          threshold: int = DEFAULT_THRESHOLD, top_k: int = DEFAULT_TOP_K) -> bytes:
    """Serialise an index of `docs` (ids should be unique).

    `threshold` and `top_k` control the top lists of huge prefixes (see the module doc); tests
    pass a tiny threshold to exercise that path. `compress` zlib-compresses the body.
    """
    if threshold < 0 or top_k < 1:
        raise ValueError("threshold must be >= 0 and top_k must be >= 1")
    ranked = list(docs)
    ranked.sort(key=lambda d: d.id)
    ranked.sort(key=_rank_key, reverse=True)  # stable: equal popularity stays in id order

    encoder = msgspec.msgpack.Encoder()
    doc_blob = bytearray()
    doc_lengths = _u32()
    word_counts = _u32()
    name_keys: list[str] = []  # by ordinal; "" for a name without words
    word_postings: dict[str, array[int]] = {}
    for ordinal, doc in enumerate(ranked):
        start = len(doc_blob)
        kind: int | str = _KIND_CODES.get(doc.kind, doc.kind)
        encoder.encode_into((doc.id, doc.name, doc.year, doc.imdb_id, doc.poster_path,
                             doc.country, kind, doc.popularity), doc_blob, -1)
        doc_lengths.append(len(doc_blob) - start)
        name_words = words(doc.name)
        # Same as NAME_MARK + `text.normalized(doc.name)`, without folding the name again.
        name_keys.append(NAME_MARK + " ".join(name_words) if name_words else "")
        # Apostrophe-joined words ("schindlers") are searchable words as well.
        unique_words = set(index_words(doc.name))
        word_counts.append(len(unique_words))
        for word in unique_words:
            postings = word_postings.get(word)
            if postings is None:
                word_postings[word] = postings = _u32()
            postings.append(ordinal)
    doc_count = len(ranked)
    del ranked

    # Sorted tokens: the name tokens (NAME_MARK sorts first), then the words. Names are nearly
    # all distinct, so they are grouped by sorting ordinals rather than with a dict of lists.
    table = _TokenTable()
    by_name = sorted(range(doc_count), key=name_keys.__getitem__)  # stable: ordinals ascend
    for ordinal in by_name:
        key = name_keys[ordinal]
        if key:
            if not table.tokens or table.tokens[-1] != key:
                table.start(key)
            table.postings.append(ordinal)
    del by_name, name_keys
    for word in sorted(word_postings):
        table.start(word)
        table.postings.extend(word_postings.pop(word))
    del word_postings
    table.start(None)
    tokens, token_blob, token_offsets = table.tokens, table.blob, table.offsets
    flat, posting_offsets = table.postings, table.posting_offsets
    del table

    first_word = bisect_left(tokens, chr(ord(NAME_MARK) + 1))
    forward_offsets = _offsets(word_counts)
    forward = _forward_index(flat, posting_offsets, first_word, forward_offsets)
    tops = _top_lists(tokens, flat, posting_offsets, threshold, top_k)
    del tokens

    top_flat = _u32()
    top_offsets = _u32([0])
    for prefix_tops in tops.values():
        top_flat.extend(prefix_tops)
        top_offsets.append(len(top_flat))
    payload = _Payload(
        version=FORMAT_VERSION, doc_count=doc_count, threshold=threshold, top_k=top_k,
        tokens=memoryview(token_blob), token_offsets=_le_bytes(token_offsets),
        postings=_le_bytes(flat), posting_offsets=_le_bytes(posting_offsets),
        forward=_le_bytes(forward), forward_offsets=_le_bytes(forward_offsets),
        docs=memoryview(doc_blob), doc_offsets=_le_bytes(_offsets(doc_lengths)),
        top_prefixes=list(tops), top_offsets=_le_bytes(top_offsets), tops=_le_bytes(top_flat))
    body = msgspec.msgpack.encode(payload)
    del payload, flat, forward, doc_blob
    if compress:
        return MAGIC + bytes([_FLAG_ZLIB]) + zlib.compress(body, 6)
    return MAGIC + bytes([0]) + body


class _TokenTable:
    """Sorted tokens as they are written: the token blob, its offsets and the postings."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.blob = bytearray()
        self.offsets = _u32([0])
        self.postings = _u32()
        self.posting_offsets = _u32([0])

    def start(self, token: str | None) -> None:
        """Close the current token's postings and open `token`'s (None: just close)."""
        if self.tokens:
            self.posting_offsets.append(len(self.postings))
        if token is not None:
            self.tokens.append(token)
            self.blob.extend(_utf8(token))
            self.offsets.append(len(self.blob))


def _forward_index(flat: array[int], posting_offsets: array[int], first_word: int,
                   forward_offsets: array[int]) -> array[int]:
    """Per document its word-token ids, ascending (filled token by token, in id order)."""
    forward = _u32([0]) * forward_offsets[-1]
    cursor = array("I", forward_offsets)
    for token_id in range(first_word, len(posting_offsets) - 1):
        for ordinal in flat[posting_offsets[token_id]:posting_offsets[token_id + 1]]:
            forward[cursor[ordinal]] = token_id
            cursor[ordinal] += 1
    return forward


def _top_lists(tokens: list[str], flat: array[int], posting_offsets: array[int],
               threshold: int, top_k: int) -> dict[str, array[int]]:
    """The `top_k` smallest ordinals of every prefix whose range has > `threshold` postings.

    Walks the prefix tree top-down (a prefix's range splits into one group per next
    character), then merges bottom-up: a huge prefix's list comes from its huge children's
    lists and the postings of its small groups, so each posting is read about once.
    """
    huge: list[tuple[str, list[tuple[int, int]], list[str]]] = []
    stack = [("", 0, len(tokens))]
    while stack:
        prefix, lo, hi = stack.pop()
        depth = len(prefix)
        slices: list[tuple[int, int]] = []
        children: list[str] = []
        i = lo
        if i < hi and len(tokens[i]) == depth:  # the prefix is itself a token: sorted list
            start = posting_offsets[i]
            slices.append((start, min(posting_offsets[i + 1], start + top_k)))
            i += 1
        while i < hi:
            char = tokens[i][depth]
            code = ord(char)
            j = hi if code == sys.maxunicode else bisect_left(
                tokens, prefix + chr(code + 1), i, hi)
            if posting_offsets[j] - posting_offsets[i] > threshold:
                children.append(prefix + char)
                stack.append((prefix + char, i, j))
            else:
                slices.append((posting_offsets[i], posting_offsets[j]))
            i = j
        huge.append((prefix, slices, children))
    tops: dict[str, array[int]] = {}
    for prefix, slices, children in reversed(huge):  # children were pushed after parents
        merged: set[int] = set()
        for start, end in slices:
            merged.update(flat[start:end])
        for child in children:
            merged.update(tops[child])
        tops[prefix] = _u32(heapq.nsmallest(top_k, merged))
    # Queries never look up the empty word or the empty name.
    tops.pop("", None)
    tops.pop(NAME_MARK, None)
    return tops


class _TokenView:
    """The sorted tokens as a sequence of UTF-8 bytes, decoded lazily for `bisect`."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, blob: bytes, offsets: array[int]) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> bytes:
        offsets = self._offsets
        return self._blob[offsets[index]:offsets[index + 1]]


class SearchIndex:
    """A loaded index: immutable, safe to share between requests of a warm container."""

    __slots__ = ("_doc_offsets", "_docs", "_forward", "_forward_offsets", "_posting_offsets",
                 "_postings", "_threshold", "_token_offsets", "_tokens", "_top_k", "_tops",
                 "_view")

    def __init__(self, *, threshold: int, top_k: int, tokens: bytes,
                 token_offsets: array[int], postings: array[int], posting_offsets: array[int],
                 forward: array[int], forward_offsets: array[int], docs: bytes,
                 doc_offsets: array[int], tops: dict[str, array[int]]) -> None:
        self._threshold = threshold
        self._top_k = top_k
        self._tokens = tokens
        self._token_offsets = token_offsets
        self._postings = postings
        self._posting_offsets = posting_offsets
        self._forward = forward
        self._forward_offsets = forward_offsets
        self._docs = docs
        self._doc_offsets = doc_offsets
        self._tops = tops
        self._view = _TokenView(tokens, token_offsets)

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
        top_flat = _u32_from(payload.tops)
        top_offsets = _u32_from(payload.top_offsets)
        tops = {prefix: top_flat[top_offsets[i]:top_offsets[i + 1]]
                for i, prefix in enumerate(payload.top_prefixes)}
        index = cls(
            threshold=payload.threshold, top_k=payload.top_k, tokens=bytes(payload.tokens),
            token_offsets=_u32_from(payload.token_offsets),
            postings=_u32_from(payload.postings),
            posting_offsets=_u32_from(payload.posting_offsets),
            forward=_u32_from(payload.forward),
            forward_offsets=_u32_from(payload.forward_offsets),
            docs=bytes(payload.docs), doc_offsets=_u32_from(payload.doc_offsets), tops=tops)
        if len(index) != payload.doc_count:
            raise ValueError("corrupt search index: document count mismatch")
        return index

    def __len__(self) -> int:
        return len(self._doc_offsets) - 1

    @property
    def size_bytes(self) -> int:
        """Bytes held in memory by the index's blobs and arrays."""
        arrays = (self._token_offsets, self._postings, self._posting_offsets, self._forward,
                  self._forward_offsets, self._doc_offsets, *self._tops.values())
        return (len(self._tokens) + len(self._docs)
                + sum(len(a) * a.itemsize for a in arrays))

    def search(self, query: str, limit: int = 20) -> list[SearchDoc]:
        """Titles matching every word of `query` as a word prefix, best first (see module)."""
        if limit <= 0:
            return []
        query_words = words(query)
        if not query_words:
            return []
        # A word that is a prefix of another query word adds nothing: drop it.
        distinct = sorted(set(query_words))
        needed = [w for i, w in enumerate(distinct)
                  if i + 1 == len(distinct) or not distinct[i + 1].startswith(w)]
        offsets = self._posting_offsets
        ranges: list[_WordRange] = []
        for word in needed:
            lo, hi = self._prefix_range(word)
            count = offsets[hi] - offsets[lo]
            if count == 0:
                return []  # tiers 0 and 1 are subsets of tier 2: nothing matches at all
            ranges.append((count, lo, hi, word))
        ranges.sort()

        found = self._name_matches(NAME_MARK + " ".join(query_words), limit)
        if len(found) < limit:
            # Tier 2 holds tiers 0-1 too, so its first `limit` ordinals always suffice.
            seen = set(found)
            for ordinal in self._word_matches(ranges, limit):
                if ordinal not in seen:
                    found.append(ordinal)
                    if len(found) == limit:
                        break
        return [self._doc(ordinal) for ordinal in found]

    def _prefix_range(self, prefix: str) -> tuple[int, int]:
        """Token ids [lo, hi) of the tokens starting with `prefix`."""
        key = _utf8(prefix)
        lo = bisect_left(self._view, key)
        # 0xFF never occurs in UTF-8: every token with the prefix sorts before key + 0xFF.
        return lo, bisect_left(self._view, key + b"\xff", lo)

    def _name_matches(self, name_key: str, limit: int) -> list[int]:
        """Up to `limit` ordinals: tier 0 (name equals the query), then tier 1 (starts with)."""
        lo, hi = self._prefix_range(name_key)
        if lo == hi:
            return []
        postings, offsets = self._postings, self._posting_offsets
        found: list[int] = []
        if self._view[lo] == _utf8(name_key):
            found.extend(postings[offsets[lo]:min(offsets[lo + 1], offsets[lo] + limit)])
            lo += 1
        if len(found) == limit or lo == hi:
            return found
        top = (self._tops.get(name_key)
               if offsets[hi] - offsets[lo] > self._threshold else None)
        # Every title has one name token, so the postings of a name range are unique.
        starts = top if top is not None else heapq.nsmallest(
            limit, postings[offsets[lo]:offsets[hi]])
        seen = set(found)
        for ordinal in starts:
            if ordinal not in seen:
                found.append(ordinal)
                if len(found) == limit:
                    break
        return found

    def _word_matches(self, ranges: list[_WordRange], limit: int) -> list[int]:
        """Tier 2: the `limit` smallest ordinals where every query word prefixes some word.

        `ranges` is sorted by posting count. The rarest word drives; other words are either
        intersected as sets (C speed, when their postings are not much more numerous than the
        driver's) or checked per candidate in the forward index, in ordinal order, stopping
        after `limit` hits.
        """
        postings, offsets = self._postings, self._posting_offsets
        count, lo, hi, word = ranges[0]
        start, end = offsets[lo], offsets[hi]
        others = ranges[1:]
        top = self._tops.get(word) if count > self._threshold else None
        if top is not None:
            # Every word is huge: only the driver's most popular titles are candidates.
            return self._checked(top, others, limit)
        if not others:
            if hi - lo == 1:  # one token: its postings are sorted and unique already
                return list(postings[start:min(end, start + limit)])
            return _smallest_unique(postings[start:end], limit)
        via_sets = [r for r in others if r[0] <= _SET_RATIO * count]
        if not via_sets:
            driver = (postings[start:end] if hi - lo == 1 else set(postings[start:end]))
            return self._checked(driver, others, limit)
        common = set(postings[start:end])
        for _, other_lo, other_hi, _ in via_sets:
            common = common.intersection(postings[offsets[other_lo]:offsets[other_hi]])
        return self._checked(common, others[len(via_sets):], limit)

    def _checked(self, candidates: array[int] | set[int], checks: list[_WordRange],
                 limit: int) -> list[int]:
        """The `limit` smallest candidates (an ascending array, or a set) that have a word in
        each of `checks`' token ranges, found with the forward index."""
        if not checks:
            if isinstance(candidates, set):
                return heapq.nsmallest(limit, candidates)
            return list(candidates[:limit])
        ascending: Iterable[int] = candidates
        if isinstance(candidates, set):
            # Guess how far into the candidates `limit` hits lie (words as independent events)
            # and order only that many, unless they turn out too few.
            density = 1.0
            for count, *_ in checks:
                density *= min(1.0, count / max(1, len(self)))
            ascending = _ascending(candidates, max(64, int(2 * limit / density)))
        bounds = [(lo, hi) for _, lo, hi, _ in checks]
        forward, forward_offsets = self._forward, self._forward_offsets
        found: list[int] = []
        for ordinal in ascending:
            end = forward_offsets[ordinal + 1]
            for lo, hi in bounds:
                i = bisect_left(forward, lo, forward_offsets[ordinal], end)
                if i == end or forward[i] >= hi:
                    break
            else:
                found.append(ordinal)
                if len(found) == limit:
                    break
        return found

    def _doc(self, ordinal: int) -> SearchDoc:
        offsets = self._doc_offsets
        doc_id, name, year, imdb_id, poster_path, country, kind, popularity = (
            _ROW_DECODER.decode(self._docs[offsets[ordinal]:offsets[ordinal + 1]]))
        return SearchDoc(id=doc_id, name=name, year=year, imdb_id=imdb_id,
                         poster_path=poster_path, country=country,
                         kind=_KINDS[kind] if isinstance(kind, int) else kind,
                         popularity=popularity)


def _smallest_unique(values: array[int], limit: int) -> list[int]:
    """The `limit` smallest distinct values, ascending."""
    smallest = heapq.nsmallest(limit, values)
    unique = sorted(set(smallest))
    if len(unique) < len(smallest) and len(values) > limit:  # duplicates: the slow way
        return heapq.nsmallest(limit, set(values))
    return unique


def _ascending(values: set[int], first: int) -> Iterator[int]:
    """`values` ascending, lazily: the `first` smallest, then (if asked) all the rest sorted."""
    if len(values) <= 8 * first:  # a heap of `first` would cost about as much as sorting
        yield from sorted(values)
        return
    head = heapq.nsmallest(first, values)
    yield from head
    last = head[-1]
    yield from sorted(v for v in values if v > last)
