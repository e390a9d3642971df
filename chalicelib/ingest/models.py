"""Registered ingest webhooks: a secret each and the actors allowed to call it."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model


class WebhookModel(Model):
    class Meta:
        table_name = "ingest-webhooks"

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    #: The HMAC key (the table is encrypted at rest; the API shows it once, at creation).
    secret = UnicodeAttribute()
    actors = UnicodeSetAttribute(default=set)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


INGEST_MODELS: dict[type[Model], str] = {WebhookModel: "ingest-webhooks"}
