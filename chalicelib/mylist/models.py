"""DynamoDB table of My List.

- ``my-list``: one item per title a viewer keeps (hash ``viewer_id``, the profile watching;
  range ``title_id``), with when it was added. A viewer's list is capped
  (:data:`chalicelib.mylist.service.MAX_TITLES`), so reading a whole partition is one small
  query; it is ordered by ``added_at`` after reading.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class MyListModel(Model):
    class Meta:
        table_name = "my-list"

    viewer_id = UnicodeAttribute(hash_key=True)
    title_id = UnicodeAttribute(range_key=True)
    added_at = UnicodeAttribute()


MYLIST_MODELS: dict[type[Model], str] = {MyListModel: "my-list"}
