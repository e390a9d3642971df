"""Point pynamodb models at the configured target's tables, once, at start-up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.models import BatchWrite, Model

from chalicelib.platform.aws import LOCAL_CREDENTIALS
from chalicelib.platform.config import Settings


def bind_models(settings: Settings, models: Mapping[type[Model], str]) -> None:
    """Give each model its physical table name, region and (on local targets) endpoint."""
    for model, short_name in models.items():
        meta = model.Meta
        if (getattr(meta, "table_name", None) == settings.table_name(short_name)
                and getattr(meta, "host", None) == settings.aws_endpoint_url
                and getattr(meta, "region", None) == settings.region
                and getattr(meta, "read_timeout_seconds", None) == settings.aws_read_timeout_s):
            continue  # bound here already: keep its connection (and the AWS model it loaded)
        meta.table_name = settings.table_name(short_name)
        meta.region = settings.region
        meta.host = settings.aws_endpoint_url
        # a hung endpoint fails in ~2 x 5 s (a 503, inside API Gateway's 29 s); 5 s, not
        # less: a busy emulator (or a large query page) can take seconds to answer
        meta.connect_timeout_seconds = 2
        meta.read_timeout_seconds = settings.aws_read_timeout_s
        meta.max_retry_attempts = 1
        if settings.local:
            meta.aws_access_key_id = LOCAL_CREDENTIALS["aws_access_key_id"]
            meta.aws_secret_access_key = LOCAL_CREDENTIALS["aws_secret_access_key"]
        model._connection = None  # drop a connection made for another target


def transaction_connection(settings: Settings) -> Connection:
    """A connection for TransactWrite/TransactGet against the same target (one per target:
    a connection loads botocore's DynamoDB model, which costs tens of milliseconds)."""
    return _connection(settings.region, settings.aws_endpoint_url, settings.aws_read_timeout_s,
                       settings.local)


@lru_cache(maxsize=8)
def _connection(region: str, host: str | None, read_timeout_s: int, local: bool) -> Connection:
    return Connection(region=region, host=host, connect_timeout_seconds=2,
                      read_timeout_seconds=read_timeout_s, max_retry_attempts=1,
                      aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"] if local else None,
                      aws_secret_access_key=(LOCAL_CREDENTIALS["aws_secret_access_key"]
                                             if local else None))


def key_names(model: type[Model]) -> list[str]:
    """The attribute names of the model's table key: what a query reads to delete items."""
    return [attr.attr_name for attr in model.get_attributes().values()
            if attr.is_hash_key or attr.is_range_key]


def delete_all(items: Iterable[Model], batch: BatchWrite[Any]) -> int:
    """Delete every item through the model's batch writer (25 a request; pynamodb sends
    again what DynamoDB left unprocessed); how many there were."""
    deleted = 0
    for item in items:
        batch.delete(item)
        deleted += 1
    return deleted
