"""The ``my-list`` table: every write is a transaction with the list's count, so adding or
removing twice changes nothing and the cap holds exactly, however many adds race."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.mylist.models import COUNTER, MyListModel


@dataclass(frozen=True)
class Entry:
    title_id: str
    added_at: str

    @property
    def key(self) -> str:
        """The list's order as one string (newest first is descending): time, then id."""
        return f"{self.added_at} {self.title_id}"


class ListFull(Exception):
    """The list holds its maximum already."""


def _refused(exc: TransactWriteError) -> tuple[bool, bool]:
    """Which of (the entry's condition, the count's condition) refused the transaction."""
    if exc.cause_response_code != "TransactionCanceledException":
        raise exc
    reasons = [(r.code if r is not None else None) for r in (exc.cancellation_reasons or [])]
    failed = [code == "ConditionalCheckFailed" for code in reasons] + [False, False]
    return failed[0], failed[1]


class MyListStore:
    def __init__(self, transactions: Connection) -> None:
        self._transactions = transactions

    def entries(self, viewer_id: str) -> list[Entry]:
        """Every title the viewer keeps, newest first (a capped list: one small query)."""
        found = [Entry(item.title_id, item.added_at or "")
                 for item in MyListModel.query(viewer_id, consistent_read=True)
                 if item.title_id != COUNTER]
        return sorted(found, key=lambda e: e.key, reverse=True)

    def contains(self, viewer_id: str, title_id: str) -> bool:
        try:
            MyListModel.get(viewer_id, title_id, consistent_read=True,
                            attributes_to_get=["title_id"])
        except DoesNotExist:
            return False
        return True

    def add(self, viewer_id: str, title_id: str, at: str, limit: int) -> bool:
        """True when added; False when it was there already (its first time stays);
        :class:`ListFull` when the list holds ``limit`` titles."""
        counter = MyListModel(viewer_id, COUNTER)
        try:
            with TransactWrite(connection=self._transactions) as transaction:
                transaction.save(MyListModel(viewer_id, title_id, added_at=at),
                                 condition=MyListModel.title_id.does_not_exist())
                transaction.update(counter, actions=[MyListModel.titles.add(1)],
                                   condition=(MyListModel.titles.does_not_exist()
                                              | (MyListModel.titles < limit)))
        except TransactWriteError as exc:
            there, full = _refused(exc)
            if there:
                return False
            if full:
                raise ListFull from exc
            raise
        return True

    def remove(self, viewer_id: str, title_id: str) -> bool:
        """True when removed; False when it was not there."""
        try:
            with TransactWrite(connection=self._transactions) as transaction:
                transaction.delete(MyListModel(viewer_id, title_id),
                                   condition=MyListModel.title_id.exists())
                transaction.update(MyListModel(viewer_id, COUNTER),
                                   actions=[MyListModel.titles.add(-1)])
        except TransactWriteError as exc:
            if _refused(exc)[0]:
                return False
            raise
        return True
