"""Small helpers shared by the test suite."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def eventually(probe: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.2) -> T:
    """Poll `probe` until it returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


@contextmanager
def queue_worker(env: dict[str, str], *queues: str) -> Iterator[None]:
    """The event runner, driving only these queues' functions (as Lambda's mappings would)."""
    from localcloud.stack import EmbeddedStack

    runner = EmbeddedStack(env={**env, "NOTFLIX_RUNNER_QUEUES": ",".join(queues)},
                           record_pids=False)
    runner.start_runner()
    try:
        yield
    finally:
        runner.stop()


@contextmanager
def logged_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines this process's "notflix" logger writes inside the block."""
    from chalicelib.platform.logs import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    sink = io.StringIO()
    previous = handler.setStream(sink)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in sink.getvalue().splitlines())
