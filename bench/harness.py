"""A private embedded stack for benchmarks: free ports, throwaway data, the API running."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from chalicelib.platform.aws import make_session
from chalicelib.platform.config import Settings
from infra.deployer import deploy
from localcloud.isolation import free_port, unique
from localcloud.stack import EmbeddedStack

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def private_stack(extra_env: Mapping[str, str] | None = None,
                  api_port: int | None = None) -> Iterator[tuple[Settings, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NOTFLIX_LOCAL_DIR"] = tmp
        env = {**os.environ, "NOTFLIX_AWS_PORT": str(free_port()),
               "NOTFLIX_REDIS_PORT": str(free_port()), "NOTFLIX_NEO4J_PORT": str(free_port()),
               "NOTFLIX_PAYPAL_PORT": str(free_port()),
               "NOTFLIX_API_PORT": str(api_port or free_port()),
               "NOTFLIX_PREFIX": unique("bench-"), **(extra_env or {})}
        stack = EmbeddedStack(env=env, record_pids=False)
        stack.install()
        stack.start_sidecars()
        try:
            settings = Settings.from_env(stack.child_env())
            deploy(settings, make_session(settings))
            stack.start_api()
            yield settings, stack.api_url
        finally:
            stack.stop()


def http_client(api_url: str) -> httpx.Client:
    """A client that opens a connection per request.

    `chalice local` writes a response's headers and body in separate small packets; on a
    kept-alive connection the client's delayed ACK then adds ~40 ms to every response, which
    API Gateway does not. A fresh connection per request measures the handler instead.
    """
    return httpx.Client(base_url=api_url, timeout=30,
                        limits=httpx.Limits(max_keepalive_connections=0))


def percentiles_ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `runs` sequential calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return percentiles_ms(samples)


def report(rows: Mapping[str, tuple[float, float]], base_name: str) -> None:
    base = rows[base_name][0]
    print(f"{'what':<46} {'p50 ms':>8} {'p99 ms':>8} {'p50 ratio':>10}")
    for name, (p50, p99) in rows.items():
        print(f"{name:<46} {p50:8.2f} {p99:8.2f} {p50 / base:10.1f}")
