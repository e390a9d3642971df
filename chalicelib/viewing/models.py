"""DynamoDB tables of the usage domain.

- ``viewing-history``: one item per play started or finished, newest first per user
  (hash ``user_id``, range ``<ISO time>#<title id>#<event>``). Items expire after a year.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model


class HistoryModel(Model):
    class Meta:
        table_name = "viewing-history"

    user_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    title_id = UnicodeAttribute()
    event = UnicodeAttribute()  # started | finished
    episode = UnicodeAttribute(null=True)  # S1E3 for an episode of a series
    at = UnicodeAttribute()
    position_s = NumberAttribute()
    progress = NumberAttribute()
    expires_at = TTLAttribute(null=True)


USAGE_MODELS: dict[type[Model], str] = {HistoryModel: "viewing-history"}
