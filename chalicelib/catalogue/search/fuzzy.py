"""Typo tolerance: the closest known word within a few edits, from a deletion neighbourhood.

A query word of 4-7 letters may be one edit away from the word meant, one of 8 or more two
(an edit inserts, deletes or substitutes a letter, or swaps two adjacent ones); shorter
words are never corrected. Candidates are found SymSpell-style: at build time every
vocabulary word is stored under each string it becomes with up to 1 deletion (words of 3-5
letters) or 2 (6 and more: an 8-letter query two edits away may mean one), as a CRC-32 of
that string; a query generates its own deletions, and words sharing one are candidates,
verified with the exact (restricted Damerau-Levenshtein) distance. The best candidate is
the nearest, then the most frequent.

Stored as sorted ``uint32`` pairs (hash, word id) plus the words and their frequencies, so
the neighbourhood costs 8 bytes a deletion and a lookup is one bisect per query deletion.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Final

import msgspec

from chalicelib.catalogue.search.arrays import le_bytes, u32, u32_from, utf8

#: Words shorter than this are never corrected nor offered as corrections.
MIN_LENGTH: Final = 3


def max_edits(word: str) -> int:
    """How many edits a query word of this length may be away from what was meant."""
    return 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0


def _indexed_edits(word: str) -> int:
    """Deletions stored for a vocabulary word: enough for any query allowed to reach it."""
    return 2 if len(word) >= 6 else 1 if len(word) >= MIN_LENGTH else 0


def deletions(word: str, most: int) -> set[str]:
    """`word` with up to `most` letters deleted (itself included; never down to nothing)."""
    found = {word}
    frontier = found
    for _ in range(most):
        shorter = {w[:i] + w[i + 1:] for w in frontier if len(w) > 1 for i in range(len(w))}
        frontier = shorter - found
        found |= frontier
    return found


def _key(text: str) -> int:
    return zlib.crc32(utf8(text))


def distance(a: str, b: str, most: int) -> int:
    """The restricted Damerau-Levenshtein distance of `a` and `b`, or `most + 1` if larger."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]):
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > most:
            return most + 1
        previous2, previous = previous, current
    return min(previous[-1], most + 1)


class CorrectorPayload(msgspec.Struct, frozen=True):
    words: memoryview
    word_offsets: memoryview
    frequencies: memoryview
    hashes: memoryview
    word_ids: memoryview


def build_corrector(vocabulary: Iterable[tuple[str, int]]) -> CorrectorPayload:
    """The neighbourhood of `vocabulary`: (word, frequency) pairs, a word possibly repeated
    (its frequencies add up)."""
    frequency: dict[str, int] = {}
    for word, count in vocabulary:
        if len(word) >= MIN_LENGTH:
            frequency[word] = frequency.get(word, 0) + count
    blob = bytearray()
    offsets = u32([0])
    counts = u32()
    pairs: list[int] = []
    for word_id, word in enumerate(sorted(frequency)):
        blob.extend(utf8(word))
        offsets.append(len(blob))
        counts.append(min(frequency[word], 0xFFFFFFFF))
        pairs.extend((_key(deleted) << 32) | word_id
                     for deleted in deletions(word, _indexed_edits(word)))
    pairs.sort()
    return CorrectorPayload(
        words=memoryview(blob), word_offsets=le_bytes(offsets), frequencies=le_bytes(counts),
        hashes=le_bytes(u32(p >> 32 for p in pairs)),
        word_ids=le_bytes(u32(p & 0xFFFFFFFF for p in pairs)))


class Corrector:
    __slots__ = ("_frequencies", "_hashes", "_word_ids", "_word_offsets", "_words")

    def __init__(self, payload: CorrectorPayload) -> None:
        self._words = bytes(payload.words)
        self._word_offsets = u32_from(payload.word_offsets)
        self._frequencies = u32_from(payload.frequencies)
        self._hashes = u32_from(payload.hashes)
        self._word_ids = u32_from(payload.word_ids)

    @property
    def size_bytes(self) -> int:
        arrays = (self._word_offsets, self._frequencies, self._hashes, self._word_ids)
        return len(self._words) + sum(len(a) * a.itemsize for a in arrays)

    def _word(self, word_id: int) -> str:
        offsets = self._word_offsets
        return self._words[offsets[word_id]:offsets[word_id + 1]].decode(
            "utf-8", "surrogatepass")

    def correct(self, word: str) -> str | None:
        """The known word nearest to `word` within its edit budget (then the most frequent,
        then the first alphabetically), or None."""
        most = max_edits(word)
        if most == 0:
            return None
        hashes, word_ids = self._hashes, self._word_ids
        candidates: set[int] = set()
        for deleted in deletions(word, most):
            key = _key(deleted)
            lo = bisect_left(hashes, key)
            candidates.update(word_ids[lo:bisect_right(hashes, key, lo)])
        best: tuple[int, int, str] | None = None
        for word_id in candidates:
            known = self._word(word_id)
            edits = distance(word, known, most)
            if edits <= most and known != word:
                rank = (edits, -self._frequencies[word_id], known)
                if best is None or rank < best:
                    best = rank
        return best[2] if best is not None else None
