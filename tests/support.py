"""Small helpers shared by the test suite."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from localcloud.isolation import free_port, unique

if TYPE_CHECKING:
    from localcloud.paypal_sim.server import FakePayPal

T = TypeVar("T")
__all__ = ["eventually", "free_port", "logged_lines", "queue_worker", "unique"]


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


def local_paypal(pki_dir: Path, *, client_id: str, webhook_url: str, port: int = 0
                 ) -> FakePayPal:
    """A local PayPal (not started) with fresh credentials, selling the catalogue's plans."""
    import secrets

    from chalicelib.payments.plans import CATALOGUE
    from localcloud.paypal_sim.pki import ensure_test_pki
    from localcloud.paypal_sim.server import FakePayPal

    return FakePayPal(port=port, pki=ensure_test_pki(pki_dir), client_id=client_id,
                      client_secret=secrets.token_urlsafe(16), webhook_url=webhook_url,
                      webhook_id=f"WH-{client_id.upper()}-{secrets.token_hex(4)}",
                      plans={plan_id: (price, currency) for _, price, currency, _, plan_id
                             in CATALOGUE.values()})
