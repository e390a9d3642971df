"""EventBridge's schedules for a Chalice app, emulated for the local stack.

Every ``@app.schedule`` function whose expression is a ``Rate`` (or a ``rate(...)`` string)
is called on its period, each in a daemon thread of its own, with an event of the shape
EventBridge sends (``detail-type: Scheduled Event``) and a Lambda context. Like EventBridge,
the first call comes one period after the start; a call that overruns its period delays
the next (one function never runs twice at once). An exception is logged and the schedule
goes on.

``Cron`` expressions are skipped (logged once at start): they name wall-clock times (a
daily import, a nightly cleanup) that a local stack seldom runs through; call such a
function by hand when needed.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from chalice.app import Rate, ScheduledEventConfig

from chalicelib.platform.logs import logger
from localcloud.functions import function_timeout
from localcloud.lambda_context import LambdaContext

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: object) -> float | None:
    """The period of a rate expression in seconds; None for anything else (a cron)."""
    if isinstance(expression, Rate):
        expression = expression.to_string()
    match = RATE.match(str(expression).strip().lower()) if isinstance(expression, str) else None
    if match is None:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).rstrip("s")]


@dataclass(frozen=True)
class Schedule:
    name: str
    function_name: str
    period_s: float
    expression: str
    handler: Callable[[dict[str, Any], Any], Any]
    timeout_s: float


def scheduled_event(function_name: str, region: str, account_id: str) -> dict[str, Any]:
    """What EventBridge sends a scheduled rule's target."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
        "resources": [f"arn:aws:events:{region}:{account_id}:rule/{function_name}-event"],
        "detail": {},
    }


class ScheduleRunner:
    """Calls an app module's rate schedules (all, or those named in `only`) on their
    periods until stopped."""

    def __init__(self, app_module: ModuleType, only: set[str] | None = None,
                 region: str = "us-east-1", account_id: str = "123456789012",
                 period_scale: float = 1.0) -> None:
        self.region = region
        self.account_id = account_id
        #: Multiplies every period (tests run a one-minute schedule in milliseconds).
        self.period_scale = period_scale
        self.schedules = self._find(app_module, only)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _find(self, app_module: ModuleType, only: set[str] | None) -> list[Schedule]:
        app = app_module.app
        found = []
        for source in app.event_sources:
            if not isinstance(source, ScheduledEventConfig):
                continue
            if only is not None and source.name not in only:
                continue
            expression = source.schedule_expression
            text = expression.to_string() if hasattr(expression, "to_string") else str(
                expression)
            period = rate_seconds(expression)
            if period is None:
                logger.info("schedule skipped locally (not a rate)", function=source.name,
                            expression=text)
                continue
            found.append(Schedule(source.name, f"{app.app_name}-{source.name}", period, text,
                                  getattr(app_module, source.name),
                                  function_timeout(source.name)))
        return found

    def invoke(self, schedule: Schedule) -> bool:
        """One call, as EventBridge makes it; False when the function raised."""
        context = LambdaContext(function_name=schedule.function_name, memory_limit_in_mb=1024,
                                timeout_seconds=schedule.timeout_s, region=self.region,
                                account_id=self.account_id)
        event = scheduled_event(schedule.function_name, self.region, self.account_id)
        try:
            schedule.handler(event, context)
        except Exception:
            logger.exception("scheduled function failed", function=schedule.name,
                             event_id=event["id"])
            return False
        return True

    def _loop(self, schedule: Schedule) -> None:
        period = schedule.period_s * self.period_scale
        due = time.monotonic() + period
        while not self._stop.wait(max(due - time.monotonic(), 0.0)):
            due += period
            self.invoke(schedule)
            due = max(due, time.monotonic())  # after an overrun: one call at once, no burst

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for schedule in self.schedules:
            thread = threading.Thread(target=self._loop, args=(schedule,), daemon=True,
                                      name=f"schedule-{schedule.name}")
            thread.start()
            self._threads.append(thread)
        logger.info("schedules started", schedules=[
            {"function": s.function_name, "expression": s.expression} for s in self.schedules])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop calling; waits up to `timeout` for a call in progress to return."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
