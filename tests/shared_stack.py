"""One set of embedded servers for every pytest-xdist worker of a run.

Workers are separate processes, each with its own session fixtures, but moto, redis-server
and Neo4j need not be started once per worker: tests are isolated by resource prefix, so
the first worker to need the servers starts them and writes their environment to a file the
others read. Each worker that uses them leaves a marker (its pid) in a users folder and
removes it when its session fixtures are torn down; the worker that started the servers
stops them in its `pytest_sessionfinish` (after its last test, outside any test timeout),
once no live worker still uses them. A worker that needs them after they were stopped
starts them again, so the servers never go away under a running test.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

#: A worker that neither finishes nor dies is a hung run; pytest-timeout reports it.
USERS_WAIT_SECONDS = 3600.0

StartFn = Callable[[], tuple[dict[str, str], Callable[[], None]]]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class SharedStack:
    """The run-wide servers, coordinated through files in `root` (shared by all workers)."""

    root: Path
    worker: str
    _stop: Callable[[], None] | None = field(default=None, init=False)

    @property
    def _env_file(self) -> Path:
        return self.root / "stack-env.json"

    @property
    def _users(self) -> Path:
        return self.root / "stack-users"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "stack.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def acquire(self, start: StartFn) -> dict[str, str]:
        """The servers' environment, starting them if no worker has (or they were stopped)."""
        with self._locked():
            self._users.mkdir(exist_ok=True)
            (self._users / self.worker).write_text(str(os.getpid()))
            if self._env_file.exists():
                env: dict[str, str] = json.loads(self._env_file.read_text())
                return env
            env, self._stop = start()
            self._env_file.write_text(json.dumps(env))
            return env

    def release(self) -> None:
        """This worker no longer needs the servers (its session fixtures are torn down)."""
        with self._locked():
            (self._users / self.worker).unlink(missing_ok=True)

    def _users_left(self) -> list[str]:
        left = []
        for marker in self._users.glob("*"):
            if _alive(int(marker.read_text() or 0)):
                left.append(marker.name)
            else:  # a worker that crashed never releases
                marker.unlink(missing_ok=True)
        return left

    def stop_if_started_here(self, wait: float = USERS_WAIT_SECONDS) -> None:
        """In the worker that started the servers: wait for the other users, then stop them."""
        if self._stop is None:
            return
        deadline = time.monotonic() + wait
        while True:
            with self._locked():
                if not self._users_left() or time.monotonic() > deadline:
                    # Under the lock, so a later user starts new servers only after these stop.
                    self._env_file.unlink(missing_ok=True)
                    stop, self._stop = self._stop, None
                    stop()
                    return
            time.sleep(0.5)
