"""Check an API request's query parameters against the limits its route documents.

The limits live once, in each route's declaration (``chalicelib.openapi.declarations``): the
OpenAPI document publishes them
and every JSON API request is held to them here, before its handler runs, whichever
parameters that handler happens to read. (A handler that skipped one, as the jobs list did
with `panel` when `title` was given, could otherwise accept what the document refuses.)
Pages (outside `/api/`) take their query hints leniently and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalicelib.openapi.declarations import DECLARED
from chalicelib.openapi.queries import Param
from chalicelib.platform.errors import catalogued
from chalicelib.platform.ids import is_uuid

_INTEGER = re.compile(r"-?[0-9]{1,18}")
CHECKED_PREFIXES = ("/api/",)


def _problem(param: Param, value: str) -> str | None:
    """What is wrong with `value` for `param`, or None."""
    if param.kind == "integer":
        if not _INTEGER.fullmatch(value):
            return "must be a whole number"
        number = int(value)
        if param.minimum is not None and number < param.minimum:
            return f"must be at least {param.minimum}"
        if param.maximum is not None and number > param.maximum:
            return f"must be at most {param.maximum}"
        return None
    if param.min_length is not None and len(value) < param.min_length:
        return f"must be at least {param.min_length} characters long"
    if param.max_length is not None and len(value) > param.max_length:
        return f"must be at most {param.max_length} characters long"
    if param.format == "uuid" and not is_uuid(value):
        return "must be an id this API gave out (a lower-case UUID)"
    return None


def check_query(method: str, route: str, params: Mapping[str, str] | None,
                rules: Mapping[tuple[str, str], tuple[Param, ...]] | None = None) -> None:
    """A 400 ``bad_query_param`` naming the first parameter outside its documented limits
    (`rules`: the declared routes' query parameters unless given)."""
    if not route.startswith(CHECKED_PREFIXES):
        return
    given = params or {}
    key = (method.upper(), route)
    if rules is not None:
        declared = rules.get(key, ())
    else:
        op = DECLARED.get(key)
        declared = op.query if op is not None else ()
    for param in declared:
        value = given.get(param.name)
        if value is None:
            if param.required:
                raise catalogued("bad_query_param", name=param.name, problem="is required")
            continue
        problem = _problem(param, value)
        if problem is not None:
            raise catalogued("bad_query_param", name=param.name, problem=problem)
