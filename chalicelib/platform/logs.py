"""Structured JSON logs with a request / job id on every line (Powertools Logger)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:  # the encoder logs through this module too, and has no Chalice
    from chalice.app import Chalice, CloudWatchEvent, SQSEvent

#: One logger for the whole app; handlers add `request_id` / `job_id` keys per invocation.
#: It is the stdlib logger Chalice's `app.log` uses ("notflix"), so Chalice's lines are JSON too.
logger = Logger(service="notflix", use_rfc3339=True)


def use_for(app: Chalice, level: str) -> None:
    """Make Chalice's `app.log` lines JSON at `level`.

    Chalice's `debug` setter pins its logger to ERROR; this runs after the app exists.
    """
    if app.log.name != logger.name:
        raise ValueError(f"app {app.app_name!r} must be named {logger.name!r} to share its logger")
    logger.setLevel(level)


def child(module: str) -> logging.Logger:
    """A module's stdlib logger under "notflix": its lines are JSON with the same keys."""
    return logging.getLogger(f"{logger.name}.{module}")


@contextmanager
def log_keys(**keys: object) -> Iterator[None]:
    """Every line this thread logs inside the block carries `keys`, on every Powertools
    logger (the encoder's too); other threads' lines (the local servers') never do."""
    before = logger.thread_safe_get_current_keys()
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(keys))
        restored = {k: before[k] for k in keys if k in before}
        if restored:
            logger.thread_safe_append_keys(**restored)


def install_event_ids(app: Chalice) -> None:
    """Queue workers' lines carry their messages' ids (``message_id``, or ``message_ids``
    for a batch); scheduled jobs' lines carry the schedule's event id (``event_id``)."""

    @app.middleware("sqs")
    def sqs_ids(event: SQSEvent, get_response: Callable[[SQSEvent], Any]) -> Any:
        ids = [str(record.to_dict().get("messageId", "")) for record in event]
        keys: dict[str, object] = {"message_id": ids[0]} if len(ids) == 1 else {
            "message_ids": ids}
        with log_keys(**keys):
            return get_response(event)

    @app.middleware("scheduled")
    def scheduled_id(event: CloudWatchEvent, get_response: Callable[[CloudWatchEvent], Any]
                     ) -> Any:
        with log_keys(event_id=event.event_id):
            return get_response(event)
