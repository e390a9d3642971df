"""The ids this API hands out, and how to tell one from anything else."""

from __future__ import annotations

import re

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(value: str) -> bool:
    """Ids we hand out are UUIDs in their canonical form (`str(uuid.uuid4())`); anything else,
    including the other spellings `uuid.UUID` accepts (`{...}`, `urn:uuid:...`, no hyphens,
    upper case), is refused before it reaches a database, where it would match nothing."""
    return _CANONICAL_UUID.fullmatch(value) is not None


#: A catalogue title's id (`movie-603`, `wd-tt0133093`, `demo-harbour-lights`, `new-<hex>`):
#: the shape the progress body accepts too (`viewing.schemas.TitleId`).
_TITLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_title_id(value: str) -> bool:
    """Whether `value` could be a title's id; anything else (over-long, other characters)
    names no title and is answered 404 before it reaches DynamoDB."""
    return _TITLE_ID.fullmatch(value) is not None
