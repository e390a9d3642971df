"""Structured JSON logs with a request / job id on every line (Powertools Logger)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice.app import Chalice

#: One logger for the whole app; handlers append `request_id` / `job_id` keys per invocation.
#: It is the stdlib logger Chalice's `app.log` uses ("notflix"), so Chalice's lines are JSON too.
logger = Logger(service="notflix", use_rfc3339=True)


def use_for(app: Chalice, level: str) -> None:
    """Make Chalice's `app.log` lines JSON at `level`.

    Chalice's `debug` setter pins its logger to ERROR; this runs after the app exists.
    """
    if app.log.name != logger.name:
        raise ValueError(f"app {app.app_name!r} must be named {logger.name!r} to share its logger")
    logger.setLevel(level)
