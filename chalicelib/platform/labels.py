"""Names for ids on the operators' pages: a title's name, a user's email.

The jobs console, the admin page and the audit log hold ids (a title id, a user id); people
read names. Each page's ids are looked up in one batch per kind; an id that is not found
stays as it is (a deleted title, a target that is neither).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.platform.logs import logger

#: ids -> {id: label}, for the ids found.
Lookup = Callable[[list[str]], dict[str, str]]
MAX_BATCH = 100  # DynamoDB BatchGetItem's limit per call


class Labels:
    def __init__(self, title_names: Lookup, user_emails: Lookup) -> None:
        self.title_names = title_names
        self.user_emails = user_emails

    def titles(self, ids: Iterable[str | None]) -> dict[str, str]:
        return _batched(self.title_names, ids, "title names")

    def users(self, ids: Iterable[str | None]) -> dict[str, str]:
        return _batched(self.user_emails, ids, "user emails")

    def any(self, ids: Iterable[str | None]) -> dict[str, str]:
        """Ids that may name a user or a title (an audit entry's target)."""
        wanted = [i for i in ids if i]
        return {**self.titles(wanted), **self.users(wanted)}


def _batched(lookup: Lookup, ids: Iterable[str | None], what: str) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    found: dict[str, str] = {}
    try:
        for start in range(0, len(wanted), MAX_BATCH):
            found.update(lookup(wanted[start:start + MAX_BATCH]))
    except Exception as exc:  # the page shows ids rather than failing
        logger.warning("labels unavailable", what=what, error=type(exc).__name__)
    return found
