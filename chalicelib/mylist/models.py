"""DynamoDB table of My List.

- ``my-list``: one item per title a viewer keeps (hash ``viewer_id``, the profile watching;
  range ``title_id``), with when it was added. A viewer's list is capped
  (:data:`chalicelib.mylist.service.MAX_TITLES`), so reading a whole partition is one small
  query; it is ordered by ``added_at`` after reading. One more item per viewer,
  :data:`COUNTER`, holds how many titles the list has: every add and remove moves it in the
  same transaction, so the cap is exact.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

#: The range key of the viewer's count item (no title id starts with "#").
COUNTER = "#count"


class MyListModel(Model):
    class Meta:
        table_name = "my-list"

    viewer_id = UnicodeAttribute(hash_key=True)
    title_id = UnicodeAttribute(range_key=True)
    added_at = UnicodeAttribute(null=True)  # every title's item has it; the count's not
    titles = NumberAttribute(null=True)  # the count item's only


MYLIST_MODELS: dict[type[Model], str] = {MyListModel: "my-list"}
