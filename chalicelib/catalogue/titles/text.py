"""How titles and queries are reduced to comparable words.

Case and accents never matter ("Amélie" and "AMELIE" are the same word) and every
non-alphanumeric character separates words ("Spider-Man" is `spider` and `man`, "d'Amélie"
is `d` and `amelie`). For search, a word with apostrophes is also indexed whole
(`schindlers` as well as `schindler` and `s`), so both ways of typing it find it.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_WORD_BREAKS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case, accent-free text: NFKD, combining marks dropped, then casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def words(text: str) -> list[str]:
    """The words of `text` in order, folded; empty for text with no letters or digits."""
    # Letters outside a-z that survived folding (e.g. Cyrillic, CJK) are kept as words too.
    return [w for w in _WORD_BREAKS.split(fold(text)) if w]


def index_words(text: str) -> list[str]:
    """`words(text)` plus each apostrophe-joined word whole (`d'Amélie` -> `damelie`)."""
    folded = fold(text)
    joined = [w for w in _WORD_BREAKS.split(_APOSTROPHES.sub("", folded)) if w]
    found = [w for w in _WORD_BREAKS.split(folded) if w]
    return found + [w for w in dict.fromkeys(joined) if w not in found]


def normalized(text: str) -> str:
    """The folded words joined by one space: the key for comparing whole titles."""
    return " ".join(words(text))


def title_year_key(name: str, year: int | None) -> str:
    """Lookup key for matching a title by normalised name and release year."""
    return f"{normalized(name)}#{year if year is not None else ''}"
