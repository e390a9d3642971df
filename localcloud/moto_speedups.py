"""Make moto's DynamoDB queries read one partition instead of sorting the whole table.

moto 5.2 builds every Query's candidates from `Table.all_items()`, which sorts *every item
of the table* (comparing DynamoType objects in Python) and then filters by hash key: a
Query costs O(n log n) in the table's size (0.8 s for one page of a 22,000-item table),
so browse pages and catalogue rebuilds slow down as the catalogue grows, unlike DynamoDB.

While a Query runs, `all_items()` here returns only the queried partition (base table) or
the unsorted items (index queries); `query()` sorts its results itself either way. Scans
keep moto's sorted order, which their pagination relies on. Results are unchanged.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.table import Table

_state = threading.local()
_original_all_items: Callable[[Table], list[Any]] = Table.all_items
_original_query: Callable[..., Any] = Table.query
_query_signature = inspect.signature(_original_query)
_MISSING = object()


def _all_items(self: Table) -> list[Any]:
    scope = getattr(_state, "query", None)
    if scope is None or scope[0] is not self:
        return _original_all_items(self)
    hash_key = scope[1]
    if hash_key is _MISSING:  # an index query: every item, unsorted
        partitions = self.items.values()
    else:
        partition = self.items.get(hash_key)
        partitions = [partition] if partition is not None else []
    if self.range_key_attr:
        return [item for partition in partitions for item in partition.values()]
    return list(partitions)


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    bound = _query_signature.bind(self, *args, **kwargs)
    index_name = bound.arguments.get("index_name")
    hash_key = _MISSING if index_name else bound.arguments.get("hash_key")
    _state.query = (self, hash_key)
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        _state.query = None


def install() -> None:
    Table.all_items = _all_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
