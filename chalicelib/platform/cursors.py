"""Opaque page cursors over a DynamoDB query's last key (the range key's value only).

The hash key is never taken from the cursor: it is the caller's (the logged-in user), so a
cursor cannot page through someone else's items.
"""

from __future__ import annotations

import base64
import json

from chalicelib.platform.errors import catalogued

MAX_VALUE_LENGTH = 200


def encode(last_key: dict[str, dict[str, str]], range_attr: str) -> str:
    value = last_key[range_attr]["S"]
    return base64.urlsafe_b64encode(json.dumps({"e": value}).encode()).decode()


def decode(cursor: str, hash_attr: str, hash_value: str,
           range_attr: str) -> dict[str, dict[str, str]]:
    """The query's start key; a 400 ``bad_cursor`` for anything this API did not give out."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))["e"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise catalogued("bad_cursor") from exc
    if not isinstance(value, str) or not 0 < len(value) <= MAX_VALUE_LENGTH:
        raise catalogued("bad_cursor")
    return {hash_attr: {"S": hash_value}, range_attr: {"S": value}}
