"""Whole numbers typed by people: ASCII digits only.

`str.isdigit()` is also true for "²" or "٣", which `int()` then refuses: checking with it
alone turns such input into a 500 instead of a 400.
"""

from __future__ import annotations


def is_whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
