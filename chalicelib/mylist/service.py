"""My List: add, remove and read the titles a viewer keeps, as cards like every other row.

Everything is keyed by the viewer id (the profile watching), never the account. Adding and
removing are idempotent (conditional writes: adding twice keeps the first time). A list holds
at most :data:`MAX_TITLES` titles: one more is a 409 ``my_list_full``; the count moves in the
same transaction as the entry, so adds racing on the last free place cannot both pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from chalicelib.mylist.store import Entry, ListFull, MyListStore
from chalicelib.openapi.responses import ListedTitle, MyList, MyListChange, TitleCard
from chalicelib.platform import cursors
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued
from chalicelib.platform.ids import is_title_id

logger = Logger(service="notflix", child=True)
#: The most titles a list holds (one query page reads them all).
MAX_TITLES = 500


@dataclass(frozen=True)
class Snapshot:
    """What a page needs at once: the newest cards and every id in the list (card toggles)."""

    cards: list[ListedTitle]
    ids: frozenset[str]


class MyListService:
    def __init__(self, store: MyListStore, cards: Callable[[list[str]], list[TitleCard]],
                 exists: Callable[[str], bool], max_titles: int = MAX_TITLES) -> None:
        self.store = store
        self.cards = cards
        self.exists = exists
        self.max_titles = max_titles

    def add(self, viewer_id: str, title_id: str) -> MyListChange:
        _check_id(title_id)
        if not self.exists(title_id):
            raise catalogued("title_not_found")
        try:
            added = self.store.add(viewer_id, title_id, iso(), self.max_titles)
        except ListFull:
            raise catalogued("my_list_full", limit=self.max_titles) from None
        if added:
            logger.info("my list: title added", title_id=title_id)
        return {"title_id": title_id, "in_list": True, "changed": added}

    def remove(self, viewer_id: str, title_id: str) -> MyListChange:
        _check_id(title_id)
        removed = self.store.remove(viewer_id, title_id)
        if removed:
            logger.info("my list: title removed", title_id=title_id)
        return {"title_id": title_id, "in_list": False, "changed": removed}

    def contains(self, viewer_id: str, title_id: str) -> bool:
        return is_title_id(title_id) and self.store.contains(viewer_id, title_id)

    def page(self, viewer_id: str, limit: int, cursor: str | None = None) -> MyList:
        """``limit`` titles from the cursor on, newest first."""
        entries = self.store.entries(viewer_id)
        start = 0
        if cursor:
            after = cursors.decode(cursor, "viewer_id", viewer_id, "k")["k"]["S"]
            start = next((n for n, e in enumerate(entries) if e.key < after), len(entries))
        shown = entries[start:start + limit]
        more = start + limit < len(entries)
        return {"titles": self._cards(shown), "count": len(entries), "limit": self.max_titles,
                "next": cursors.encode({"k": {"S": shown[-1].key}}, "k") if more else None}

    def snapshot(self, viewer_id: str, row: int) -> Snapshot:
        """The ``row`` newest cards and every id kept, from one read."""
        entries = self.store.entries(viewer_id)
        return Snapshot(self._cards(entries[:row]), frozenset(e.title_id for e in entries))

    def ids(self, viewer_id: str) -> frozenset[str]:
        return self.snapshot(viewer_id, 0).ids

    def _cards(self, entries: list[Entry]) -> list[ListedTitle]:
        """Cards in the list's order; titles gone from the catalogue are left out."""
        if not entries:
            return []
        cards = {c["id"]: c for c in self.cards([e.title_id for e in entries])}
        return [{**cards[e.title_id], "added_at": e.added_at}
                for e in entries if e.title_id in cards]


def _check_id(title_id: str) -> None:
    if not is_title_id(title_id):  # no title has such an id (nor the list's count item)
        raise catalogued("title_not_found")
