"""The local stand-in for EventBridge schedules, on a tiny Chalice app."""

from __future__ import annotations

import threading
import time
from types import ModuleType
from typing import Any

import pytest
from chalice.app import Chalice, CloudWatchEvent, Cron, Rate

from localcloud.scheduler import ScheduleRunner, rate_seconds, scheduled_event

#: A minute takes 20 ms.
FAST = 0.02 / 60


class TinyApp(ModuleType):
    """A module like app.py: `app` and its handlers as attributes."""

    def __init__(self) -> None:
        super().__init__("tiny_app")
        self.app = Chalice(app_name="tiny")
        self.calls: dict[str, list[tuple[CloudWatchEvent, Any]]] = {}
        self.lock = threading.Lock()
        app = self.app

        def record(name: str, event: CloudWatchEvent) -> None:
            with self.lock:
                self.calls.setdefault(name, []).append((event, event.context))

        @app.schedule(Rate(1, unit=Rate.MINUTES))
        def every_minute(event: CloudWatchEvent) -> None:
            record("every_minute", event)

        @app.schedule("rate(2 hours)")
        def every_two_hours(event: CloudWatchEvent) -> None:
            record("every_two_hours", event)

        @app.schedule(Cron(0, 4, "*", "*", "?", "*"))
        def nightly(event: CloudWatchEvent) -> None:
            record("nightly", event)

        @app.schedule(Rate(1, unit=Rate.MINUTES))
        def broken(event: CloudWatchEvent) -> None:
            record("broken", event)
            raise RuntimeError("the function failed")

        self.every_minute = every_minute
        self.every_two_hours = every_two_hours
        self.nightly = nightly
        self.broken = broken

    def count(self, name: str) -> int:
        with self.lock:
            return len(self.calls.get(name, []))


def wait_until(probe: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize(("expression", "seconds"), [
    (Rate(1, unit=Rate.MINUTES), 60), (Rate(5, unit=Rate.MINUTES), 300),
    (Rate(2, unit=Rate.HOURS), 7200), (Rate(1, unit=Rate.DAYS), 86400),
    ("rate(10 minutes)", 600), ("rate(1 hour)", 3600),
    (Cron(0, 4, "*", "*", "?", "*"), None), ("cron(0 4 * * ? *)", None), ("rate(x)", None)])
def test_rate_seconds(expression: object, seconds: float | None) -> None:
    assert rate_seconds(expression) == seconds


def test_rate_schedules_are_found_and_crons_skipped() -> None:
    runner = ScheduleRunner(TinyApp())
    found = {s.name: (s.period_s, s.function_name, s.expression) for s in runner.schedules}
    assert found == {"every_minute": (60, "tiny-every_minute", "rate(1 minute)"),
                     "every_two_hours": (7200, "tiny-every_two_hours", "rate(2 hours)"),
                     "broken": (60, "tiny-broken", "rate(1 minute)")}
    only = ScheduleRunner(TinyApp(), only={"every_minute", "nightly"})
    assert [s.name for s in only.schedules] == ["every_minute"]


def test_a_call_gets_a_scheduled_event_and_a_lambda_context() -> None:
    tiny = TinyApp()
    runner = ScheduleRunner(tiny, only={"every_minute"}, region="eu-west-1")
    (schedule,) = runner.schedules
    assert runner.invoke(schedule) is True
    ((event, context),) = tiny.calls["every_minute"]
    assert event.detail_type == "Scheduled Event" and event.source == "aws.events"
    assert event.region == "eu-west-1" and event.detail == {}
    assert event.resources == ["arn:aws:events:eu-west-1:123456789012:rule/"
                               "tiny-every_minute-event"]
    assert context.function_name == "tiny-every_minute"
    assert 0 < context.get_remaining_time_in_millis() <= schedule.timeout_s * 1000
    assert scheduled_event("f", "r", "1")["id"] != scheduled_event("f", "r", "1")["id"]


def test_a_failing_function_is_logged_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    tiny = TinyApp()
    runner = ScheduleRunner(tiny, only={"broken"})
    assert runner.invoke(runner.schedules[0]) is False
    (logged,) = [r for r in caplog.records if r.getMessage() == "scheduled function failed"]
    assert logged.exc_info is not None and "the function failed" in str(logged.exc_info[1])


def test_schedules_run_on_their_period_until_stopped() -> None:
    tiny = TinyApp()
    runner = ScheduleRunner(tiny, period_scale=FAST)
    started = time.monotonic()
    runner.start()
    try:
        wait_until(lambda: tiny.count("every_minute") >= 3 and tiny.count("broken") >= 3)
    finally:
        runner.stop()
    assert time.monotonic() - started >= 3 * 0.02 * 0.9  # not before each period is up
    assert tiny.count("every_two_hours") == 0  # two hours take 2.4 s here
    assert tiny.count("nightly") == 0
    stopped = tiny.count("every_minute")
    time.sleep(0.1)
    assert tiny.count("every_minute") == stopped
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("schedule-"))


def test_the_first_call_comes_one_period_after_the_start() -> None:
    tiny = TinyApp()
    runner = ScheduleRunner(tiny, only={"every_minute"}, period_scale=0.5 / 60)
    runner.start()
    try:
        time.sleep(0.2)
        assert tiny.count("every_minute") == 0
        wait_until(lambda: tiny.count("every_minute") == 1)
    finally:
        runner.stop()
