"""Whole numbers typed by people: ASCII digits only.

`str.isdigit()` is also true for "²" or "٣", which `int()` then refuses: checking with it
alone turns such input into a 500 instead of a 400. And `int()` refuses more than 4,300
digits; no number a person types here needs more than 18 (a signed 64-bit integer).
"""

from __future__ import annotations

MAX_DIGITS = 18


def is_whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS
