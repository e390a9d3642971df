"""A word-prefix index over names ranked by popularity: the core of title and people search.

Items (titles, or people and genres) are given in rank order; an item's *ordinal* is its
rank, so a smaller ordinal is more popular and every sorted ordinal array is already in
result order. All integer arrays are little-endian ``uint32`` (``array('I')``).

- Tokens are the folded words of each name (:func:`chalicelib.catalogue.titles.text.index_words`:
  the words plus apostrophe-joined forms such as ``schindlers``) plus one *name token* per
  item: ``"\\x01"`` followed by the whole normalised name. ``"\\x01"`` sorts before every word
  character, so the name tokens form one block at the start of the sorted token list and
  "name equals / starts with the query" is the same prefix lookup as a word. Tokens are one
  UTF-8 blob plus offsets, sorted by code point (= UTF-8 byte order), so a prefix's tokens
  are one contiguous range found by binary search.
- Postings: one array of ordinals plus per-token offsets; each token's list is sorted, so the
  posting count of a whole prefix range is ``offsets[hi] - offsets[lo]`` in O(1).
- Forward index: per item, the sorted ids of its word tokens. "Does this item have a word
  starting with p" is then one bisect for p's token range, which makes the AND of query
  words exact even when a word's own posting range is huge.
- Top lists: for every prefix whose posting range holds more than ``threshold`` postings, the
  ``top_k`` most popular matching ordinals and the exact number of distinct items matching.
  APPROXIMATION: when every query word is such a huge prefix (e.g. "a", "the lo"), only the
  ``top_k`` most popular items of the rarest word are candidates, so a less popular item
  matching all the words can be missed (:class:`Matches` then says its count is not exact).
  For one-word queries the answer stays exact while ``limit <= top_k``; as soon as one query
  word has a small range, the result is exact.

Query semantics: case and accents never matter; every query word must be a prefix of some
word of the name. Ranking is by tier, then popularity: tier 0 = the normalised name equals
the normalised query, tier 1 = the name starts with it, tier 2 = every query word matches a
word prefix anywhere. Tier 0 is within tier 1, which is within tier 2.

Cost: finding a prefix is O(log tokens); a query is O(limit) for one word with a precomputed
top list or a single-token range, and otherwise bounded by the smallest posting range
(<= ``threshold``) plus one bisect per candidate and further word.
"""

from __future__ import annotations

import heapq
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import msgspec

from chalicelib.catalogue.search.arrays import le_bytes, u32, u32_from, utf8
from chalicelib.catalogue.titles.text import index_words, words

#: Name tokens start with this; it sorts before every character a word can contain.
NAME_MARK: Final = "\x01"
#: Prefix ranges with more postings than this get a precomputed top list.
DEFAULT_THRESHOLD: Final = 20_000
#: How many of the most popular ordinals a top list keeps.
DEFAULT_TOP_K: Final = 1_000
#: Another query word is intersected as a set when it has at most this many times the
#: driver's postings; a more frequent word is checked per candidate in the forward index.
_SET_RATIO: Final = 3

#: A query word's (posting count, first token id, end token id, word).
_WordRange = tuple[int, int, int, str]


class NamePayload(msgspec.Struct, frozen=True):
    """A serialised name index. Byte fields are views into the decoded buffer when loading."""

    threshold: int
    top_k: int
    tokens: memoryview
    token_offsets: memoryview
    postings: memoryview
    posting_offsets: memoryview
    forward: memoryview
    forward_offsets: memoryview
    #: Prefixes with a top list, in the order of `top_offsets` and `top_counts`.
    top_prefixes: list[str]
    top_offsets: memoryview
    tops: memoryview
    #: How many distinct items match each top-listed prefix.
    top_counts: memoryview


@dataclass(frozen=True)
class Matches:
    """Ordinals in result order (at most the limit asked for) and how many match in all."""

    ordinals: list[int]
    total: int
    #: False when `total` is only a lower bound (see the module's APPROXIMATION).
    exact: bool


def _offsets(lengths: Iterable[int]) -> array[int]:
    out = u32([0])
    total = 0
    for length in lengths:
        total += length
        out.append(total)  # raises OverflowError past 4 GiB: far beyond the design size
    return out


def name_key(name: str) -> str:
    """The name token of `name` ("" for a name without words)."""
    name_words = words(name)
    return NAME_MARK + " ".join(name_words) if name_words else ""


def build_names(names: Sequence[str], *, threshold: int = DEFAULT_THRESHOLD,
                top_k: int = DEFAULT_TOP_K) -> NamePayload:
    """The index of `names`, the item of ordinal i being ``names[i]``."""
    if threshold < 0 or top_k < 1:
        raise ValueError("threshold must be >= 0 and top_k must be >= 1")
    count = len(names)
    word_counts = u32()
    name_keys: list[str] = []
    word_postings: dict[str, array[int]] = {}
    for ordinal, name in enumerate(names):
        name_keys.append(name_key(name))
        # Apostrophe-joined words ("schindlers") are searchable words as well.
        unique_words = set(index_words(name))
        word_counts.append(len(unique_words))
        for word in unique_words:
            postings = word_postings.get(word)
            if postings is None:
                word_postings[word] = postings = u32()
            postings.append(ordinal)

    # Sorted tokens: the name tokens (NAME_MARK sorts first), then the words. Names are nearly
    # all distinct, so they are grouped by sorting ordinals rather than with a dict of lists.
    table = _TokenTable()
    for ordinal in sorted(range(count), key=name_keys.__getitem__):  # stable: ordinals ascend
        key = name_keys[ordinal]
        if key:
            if not table.tokens or table.tokens[-1] != key:
                table.start(key)
            table.postings.append(ordinal)
    del name_keys
    for word in sorted(word_postings):
        table.start(word)
        table.postings.extend(word_postings.pop(word))
    table.start(None)
    tokens, flat, posting_offsets = table.tokens, table.postings, table.posting_offsets

    first_word = bisect_left(tokens, chr(ord(NAME_MARK) + 1))
    forward_offsets = _offsets(word_counts)
    forward = _forward_index(flat, posting_offsets, first_word, forward_offsets)
    tops = _top_lists(tokens, flat, posting_offsets, threshold, top_k)

    top_flat = u32()
    top_offsets = u32([0])
    top_counts = u32()
    for prefix_top, distinct in tops.values():
        top_flat.extend(prefix_top)
        top_offsets.append(len(top_flat))
        top_counts.append(distinct)
    return NamePayload(
        threshold=threshold, top_k=top_k, tokens=memoryview(table.blob),
        token_offsets=le_bytes(table.offsets), postings=le_bytes(flat),
        posting_offsets=le_bytes(posting_offsets), forward=le_bytes(forward),
        forward_offsets=le_bytes(forward_offsets), top_prefixes=list(tops),
        top_offsets=le_bytes(top_offsets), tops=le_bytes(top_flat),
        top_counts=le_bytes(top_counts))


class _TokenTable:
    """Sorted tokens as they are written: the token blob, its offsets and the postings."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.blob = bytearray()
        self.offsets = u32([0])
        self.postings = u32()
        self.posting_offsets = u32([0])

    def start(self, token: str | None) -> None:
        """Close the current token's postings and open `token`'s (None: just close)."""
        if self.tokens:
            self.posting_offsets.append(len(self.postings))
        if token is not None:
            self.tokens.append(token)
            self.blob.extend(utf8(token))
            self.offsets.append(len(self.blob))


def _forward_index(flat: array[int], posting_offsets: array[int], first_word: int,
                   forward_offsets: array[int]) -> array[int]:
    """Per item its word-token ids, ascending (filled token by token, in id order)."""
    forward = u32([0]) * forward_offsets[-1]
    cursor = array("I", forward_offsets)
    for token_id in range(first_word, len(posting_offsets) - 1):
        for ordinal in flat[posting_offsets[token_id]:posting_offsets[token_id + 1]]:
            forward[cursor[ordinal]] = token_id
            cursor[ordinal] += 1
    return forward


def _top_lists(tokens: list[str], flat: array[int], posting_offsets: array[int],
               threshold: int, top_k: int) -> dict[str, tuple[array[int], int]]:
    """The `top_k` smallest ordinals of every prefix whose range has > `threshold` postings,
    with the number of distinct ordinals of that range.

    Walks the prefix tree top-down (a prefix's range splits into one group per next
    character), then merges bottom-up: a huge prefix's list comes from its huge children's
    lists and the postings of its small groups, so each posting is read about once (and
    once more per level for the distinct counts).
    """
    huge: list[tuple[str, int, int, list[tuple[int, int]], list[str]]] = []
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
        huge.append((prefix, lo, hi, slices, children))
    tops: dict[str, tuple[array[int], int]] = {}
    for prefix, lo, hi, slices, children in reversed(huge):  # children were pushed last
        merged: set[int] = set()
        for start, end in slices:
            merged.update(flat[start:end])
        for child in children:
            merged.update(tops[child][0])
        distinct = (len(set(flat[posting_offsets[lo]:posting_offsets[hi]]))
                    if prefix not in ("", NAME_MARK) else 0)
        tops[prefix] = (u32(heapq.nsmallest(top_k, merged)), distinct)
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


class NameIndex:
    """A loaded name index: immutable, safe to share between requests."""

    __slots__ = ("_first_word", "_forward", "_forward_offsets", "_posting_offsets",
                 "_postings", "_threshold", "_token_offsets", "_tokens", "_top_counts",
                 "_top_k", "_tops", "_view", "size")

    def __init__(self, payload: NamePayload) -> None:
        self._threshold = payload.threshold
        self._top_k = payload.top_k
        self._tokens = bytes(payload.tokens)
        self._token_offsets = u32_from(payload.token_offsets)
        self._postings = u32_from(payload.postings)
        self._posting_offsets = u32_from(payload.posting_offsets)
        self._forward = u32_from(payload.forward)
        self._forward_offsets = u32_from(payload.forward_offsets)
        top_flat = u32_from(payload.tops)
        top_offsets = u32_from(payload.top_offsets)
        self._tops = {prefix: top_flat[top_offsets[i]:top_offsets[i + 1]]
                      for i, prefix in enumerate(payload.top_prefixes)}
        counts = u32_from(payload.top_counts)
        self._top_counts = {prefix: counts[i] for i, prefix in enumerate(payload.top_prefixes)}
        self._view = _TokenView(self._tokens, self._token_offsets)
        #: How many items the index holds.
        self.size = len(self._forward_offsets) - 1
        self._first_word = bisect_left(self._view, utf8(chr(ord(NAME_MARK) + 1)))

    @property
    def size_bytes(self) -> int:
        """Bytes held in memory by the blobs and arrays."""
        arrays = (self._token_offsets, self._postings, self._posting_offsets, self._forward,
                  self._forward_offsets, *self._tops.values())
        return len(self._tokens) + sum(len(a) * a.itemsize for a in arrays)

    def has_prefix(self, word: str) -> bool:
        """Whether some word of some name starts with `word`."""
        lo, hi = self._prefix_range(word)
        return lo < hi

    def vocabulary(self) -> Iterator[tuple[str, int]]:
        """Every word token with the number of names it occurs in."""
        offsets = self._posting_offsets
        for token_id in range(self._first_word, len(self._view)):
            yield (self._view[token_id].decode("utf-8", "surrogatepass"),
                   offsets[token_id + 1] - offsets[token_id])

    def search(self, query: str, limit: int) -> list[int]:
        """Ordinals of the names matching every word of `query`, best first (see module)."""
        return self.matches(query, limit).ordinals

    def matches(self, query: str, limit: int) -> Matches:
        """The first `limit` ordinals matching `query`, best first, and how many match."""
        nothing = Matches([], 0, True)
        query_words = words(query)
        if limit <= 0 or not query_words:
            return nothing
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
                return nothing  # tiers 0 and 1 are subsets of tier 2: nothing matches at all
            ranges.append((count, lo, hi, word))
        ranges.sort()

        found = self._name_matches(NAME_MARK + " ".join(query_words), limit)
        matching, known = self._word_matches(ranges, limit)
        if len(found) < limit:
            # Tier 2 holds tiers 0-1 too, so its first `limit` ordinals always suffice.
            seen = set(found)
            for ordinal in matching:
                if ordinal not in seen:
                    found.append(ordinal)
                    if len(found) == limit:
                        break
        if known is not None:
            return Matches(found, known, True)
        huge = ranges[0][0] > self._threshold  # then tier 2 came from a top list
        return Matches(found, len(matching), len(matching) < limit and not huge)

    def _prefix_range(self, prefix: str) -> tuple[int, int]:
        """Token ids [lo, hi) of the tokens starting with `prefix`."""
        key = utf8(prefix)
        lo = bisect_left(self._view, key)
        # 0xFF never occurs in UTF-8: every token with the prefix sorts before key + 0xFF.
        return lo, bisect_left(self._view, key + b"\xff", lo)

    def _name_matches(self, key: str, limit: int) -> list[int]:
        """Up to `limit` ordinals: tier 0 (name equals the query), then tier 1 (starts with)."""
        lo, hi = self._prefix_range(key)
        if lo == hi:
            return []
        postings, offsets = self._postings, self._posting_offsets
        found: list[int] = []
        if self._view[lo] == utf8(key):
            found.extend(postings[offsets[lo]:min(offsets[lo + 1], offsets[lo] + limit)])
            lo += 1
        if len(found) == limit or lo == hi:
            return found
        top = (self._tops.get(key)
               if offsets[hi] - offsets[lo] > self._threshold else None)
        # Every item has one name token, so the postings of a name range are unique.
        starts = top if top is not None else sorted(postings[offsets[lo]:offsets[hi]])[:limit]
        seen = set(found)
        for ordinal in starts:
            if ordinal not in seen:
                found.append(ordinal)
                if len(found) == limit:
                    break
        return found

    def _word_matches(self, ranges: list[_WordRange],
                      limit: int) -> tuple[list[int], int | None]:
        """Tier 2: the `limit` smallest ordinals where every query word prefixes some word,
        and how many there are when that comes for free (one query word).

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
            # Every word is huge: only the driver's most popular items are candidates.
            return (self._checked(top, others, limit),
                    None if others else self._top_counts[word])
        if not others:
            if hi - lo == 1:  # one token: its postings are sorted and unique already
                return list(postings[start:min(end, start + limit)]), count
            unique = sorted(set(postings[start:end]))  # <= threshold: C speed beats a heap
            return unique[:limit], len(unique)
        via_sets = [r for r in others if r[0] <= _SET_RATIO * count]
        if not via_sets:
            driver = (postings[start:end] if hi - lo == 1 else set(postings[start:end]))
            return self._checked(driver, others, limit), None
        common = set(postings[start:end])
        for _, other_lo, other_hi, _ in via_sets:
            common = common.intersection(postings[offsets[other_lo]:offsets[other_hi]])
        return self._checked(common, others[len(via_sets):], limit), None

    def _checked(self, candidates: array[int] | set[int], checks: list[_WordRange],
                 limit: int) -> list[int]:
        """The `limit` smallest candidates (an ascending array, or a set) that have a word in
        each of `checks`' token ranges, found with the forward index."""
        if not checks:
            if isinstance(candidates, set):
                return sorted(candidates)[:limit]
            return list(candidates[:limit])
        ascending: Iterable[int] = candidates
        if isinstance(candidates, set):
            # Guess how far into the candidates `limit` hits lie (words as independent events)
            # and order only that many, unless they turn out too few.
            density = 1.0
            for count, *_ in checks:
                density *= min(1.0, count / max(1, self.size))
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


def _ascending(values: set[int], first: int) -> Iterator[int]:
    """`values` ascending, lazily: the `first` smallest, then (if asked) all the rest sorted."""
    if len(values) <= 8 * first:  # a heap of `first` would cost about as much as sorting
        yield from sorted(values)
        return
    head = heapq.nsmallest(first, values)
    yield from head
    last = head[-1]
    yield from sorted(v for v in values if v > last)
