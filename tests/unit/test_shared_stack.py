"""The run-wide servers shared by pytest-xdist workers: started once, stopped once, last."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from tests.shared_stack import SharedStack


class Starts:
    """A stand-in for starting the servers: counts starts and stops."""

    def __init__(self) -> None:
        self.started = 0
        self.stopped = 0

    def __call__(self) -> tuple[dict[str, str], Callable[[], None]]:
        self.started += 1
        return {"NOTFLIX_AWS_PORT": str(4000 + self.started)}, self.stop

    def stop(self) -> None:
        self.stopped += 1


def test_the_first_worker_starts_the_servers_and_the_others_reuse_them(tmp_path: Path) -> None:
    starts = Starts()
    first, second = SharedStack(tmp_path, "gw0"), SharedStack(tmp_path, "gw1")
    assert first.acquire(starts) == {"NOTFLIX_AWS_PORT": "4001"}
    assert second.acquire(starts) == {"NOTFLIX_AWS_PORT": "4001"}
    assert starts.started == 1


def test_the_starter_stops_them_only_after_the_other_workers_release_them(
        tmp_path: Path) -> None:
    starts = Starts()
    first, second = SharedStack(tmp_path, "gw0"), SharedStack(tmp_path, "gw1")
    first.acquire(starts)
    second.acquire(starts)
    first.release()
    stopping = threading.Thread(target=first.stop_if_started_here)
    stopping.start()
    stopping.join(0.6)
    assert stopping.is_alive() and starts.stopped == 0  # gw1 still uses them

    second.release()
    second.stop_if_started_here()  # not the starter: stops nothing
    stopping.join(10)
    assert not stopping.is_alive() and starts.stopped == 1


def test_a_worker_that_needs_them_after_the_stop_starts_new_ones(tmp_path: Path) -> None:
    starts = Starts()
    first, late = SharedStack(tmp_path, "gw0"), SharedStack(tmp_path, "gw1")
    first.acquire(starts)
    first.release()
    first.stop_if_started_here()
    assert late.acquire(starts) == {"NOTFLIX_AWS_PORT": "4002"}
    late.release()
    late.stop_if_started_here()
    assert starts.stopped == 2


def test_a_crashed_worker_does_not_keep_them_running(tmp_path: Path) -> None:
    starts = Starts()
    first, crashed = SharedStack(tmp_path, "gw0"), SharedStack(tmp_path, "gw1")
    first.acquire(starts)
    crashed.acquire(starts)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "stack-users" / "gw1").write_text(dead)  # gw1's process is gone
    first.release()
    first.stop_if_started_here(wait=30)
    assert starts.stopped == 1
