"""The ``my-list`` table: conditional writes, so adding or removing twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.mylist.models import MyListModel


@dataclass(frozen=True)
class Entry:
    title_id: str
    added_at: str


def _condition_failed(exc: PutError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class MyListStore:
    def entries(self, viewer_id: str) -> list[Entry]:
        """Every title the viewer keeps, newest first (a capped list: one small query)."""
        found = [Entry(item.title_id, item.added_at)
                 for item in MyListModel.query(viewer_id, consistent_read=True)]
        return sorted(found, key=lambda e: (e.added_at, e.title_id), reverse=True)

    def contains(self, viewer_id: str, title_id: str) -> bool:
        try:
            MyListModel.get(viewer_id, title_id, consistent_read=True,
                            attributes_to_get=["title_id"])
        except MyListModel.DoesNotExist:
            return False
        return True

    def count(self, viewer_id: str) -> int:
        return int(MyListModel.count(viewer_id, consistent_read=True))

    def add(self, viewer_id: str, title_id: str, at: str) -> bool:
        """True when added; False when it was there already (its first time stays)."""
        try:
            MyListModel(viewer_id, title_id, added_at=at).save(
                condition=MyListModel.title_id.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def remove(self, viewer_id: str, title_id: str) -> bool:
        """True when removed; False when it was not there."""
        try:
            MyListModel(viewer_id, title_id).delete(condition=MyListModel.title_id.exists())
        except DeleteError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True
