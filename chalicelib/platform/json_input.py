"""JSON from clients, parsed with limits: every refusal is a 400, never a 500.

Python's `json` accepts what would later crash a handler or tie up a worker: integers of
thousands of digits (over 4,300 `int()` raises ValueError, below that the conversion is
quadratic), nesting deep enough to exhaust the recursion limit, `NaN` and `Infinity`, and
lone UTF-16 surrogates (`"\\ud800"`) that no UTF-8 encoder (DynamoDB, S3, logs) accepts. Every
route that reads a JSON body (the API, the webhooks, uploads of lists) goes through
:func:`load_json`.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.errors import AppError, catalogued

#: No request this API accepts nests deeper than a few levels; 32 leaves room for webhooks.
MAX_DEPTH = 32
#: Digits in one integer: 64-bit ids and amounts fit in 20.
MAX_INT_DIGITS = 40


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


class _Refused(ValueError):
    """Raised inside the parser for a value it must not accept; carries the reason."""


class _NotUnicode(ValueError):
    """A string of the body holds a lone surrogate; carries where."""


def _check(value: Any) -> None:
    """Depth and text checks, walking the parsed value without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _Refused(f"the body nests deeper than {MAX_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((child, depth + 1))


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _NotUnicode("A string in the body") from exc


def _malformed(reason: str) -> AppError:
    return catalogued("malformed_json", details=[{"field": "", "message": reason}])


def load_json(raw: bytes | str) -> Any:
    """The parsed body, or a 400 that says what is wrong with it: ``malformed_json``, or
    ``text_not_unicode`` for a lone surrogate."""
    try:
        value = json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant)
        _check(value)
    except _Refused as exc:
        raise _malformed(str(exc)) from exc
    except _NotUnicode as exc:
        raise catalogued("text_not_unicode", field=str(exc)) from exc
    except RecursionError as exc:
        raise _malformed(f"the body nests deeper than {MAX_DEPTH} levels") from exc
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise catalogued("malformed_json") from exc
    return value
