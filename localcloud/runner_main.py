"""`python -m localcloud.runner_main`: the event runner process that `notflix up` starts."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType

from chalicelib.platform.config import Settings
from chalicelib.platform.logs import logger
from chalicelib.platform.resources import Resources
from localcloud.event_runner import EventRunner
from localcloud.functions import all_mappings
from localcloud.paths import PROJECT_ROOT
from localcloud.scheduler import ScheduleRunner


def main() -> int:
    sys.path.insert(0, str(PROJECT_ROOT))
    settings = Settings.from_env()
    app_module = importlib.import_module("app")
    resources = Resources(settings)
    only = os.environ.get("NOTFLIX_RUNNER_QUEUES", "")
    queues = frozenset(q.strip() for q in only.split(",") if q.strip()) or None
    mappings = all_mappings(app_module, settings, queues)
    runner = EventRunner(resources.sqs, mappings, settings.region)
    # The whole runner (`notflix up`) also runs the app's rate schedules (the encode
    # watchdog), as EventBridge would; a runner of named queues (tests) runs none.
    schedules = ScheduleRunner(app_module, region=settings.region) if queues is None else None

    def stop(_signum: int, _frame: FrameType | None) -> None:
        runner.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    if schedules is not None:
        schedules.start()
    logger.info("event runner started",
                mappings=[{"function": m.function_name, "queue": m.queue_name,
                           "timeout_seconds": m.timeout_seconds, "concurrency": m.concurrency}
                          for m in mappings])
    runner.wait()
    if schedules is not None:
        schedules.stop()
    runner.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
