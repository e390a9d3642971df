"""`make run`'s stack for the load benchmark: use the running one, or start and stop one.

With `--start-stack`, when nothing answers at the API's address, `notflix up` runs as a
child process (its output in `.local/logs/bench-load-up.log`) until the API reports healthy,
and is stopped (SIGTERM: it stops every process it started) when the benchmark ends. A stack
that was already running is used as it is and left running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from bench.load_setup import SetupError
from localcloud import paths

#: A first start installs Neo4j's jars and encodes the demo clips: allow for it.
START_TIMEOUT_S = 900.0


def answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def stack_running(base_url: str, start: bool, say: Callable[[str], None]) -> Iterator[None]:
    if not start or answers(base_url):
        yield
        return
    log_path = paths.logs_dir() / "bench-load-up.log"
    say(f"nothing answers at {base_url}: starting `notflix up` (log: {log_path})")
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "localcloud.cli", "up"],
                                   cwd=paths.PROJECT_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(base_url):
            if process.poll() is not None:
                raise SetupError(f"`notflix up` exited with code {process.returncode}; "
                                 f"see {log_path}")
            if time.monotonic() > deadline:
                raise SetupError(f"the stack was not healthy after {START_TIMEOUT_S:.0f}s; "
                                 f"see {log_path}")
            time.sleep(2)
        say("the stack is up")
        yield
    finally:
        if process.poll() is None:
            say("stopping the stack this benchmark started")
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                process.kill()
