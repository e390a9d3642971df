"""Structured JSON logs with a request / job id on every line (Powertools Logger)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

#: One logger for the whole app; handlers append `request_id` / `job_id` keys per invocation.
#: It is the stdlib logger Chalice's `app.log` uses ("notflix"), so Chalice's lines are JSON too.
logger = Logger(service="notflix", use_rfc3339=True)
