"""Pid files under `.local/run/`, so `notflix down` can stop what another `up` started."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from localcloud import paths


def _path(name: str) -> Path:
    return paths.sub_dir("run") / f"{name}.pid"


def write(name: str, pid: int) -> None:
    _path(name).write_text(str(pid))


def remove(name: str) -> None:
    _path(name).unlink(missing_ok=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(name: str) -> int | None:
    """The recorded pid if that process still runs; stale files are removed."""
    path = _path(name)
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if alive(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def names() -> list[str]:
    return sorted(p.stem for p in paths.sub_dir("run").glob("*.pid"))


def terminate(name: str, timeout: float = 20.0) -> bool:
    """SIGTERM the recorded process (its whole session), then SIGKILL after `timeout`."""
    pid = read(name)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    remove(name)
    return True
