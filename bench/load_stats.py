"""The load benchmark's measurements: latencies and errors per route, CPU used, the report."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RouteStats:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self.routes: dict[str, RouteStats] = {}

    def add(self, route: str, seconds: float, error: str | None = None,
            detail: str = "") -> None:
        stats = self.routes.setdefault(route, RouteStats())
        stats.latencies.append(seconds)
        if error is not None:
            stats.errors[error] += 1
            stats.samples.setdefault(error, detail[:200])

    @property
    def requests(self) -> int:
        return sum(len(s.latencies) for s in self.routes.values())

    @property
    def errors(self) -> int:
        return sum(sum(s.errors.values()) for s in self.routes.values())


def percentile(ordered: list[float], fraction: float) -> float:
    """The sample at `fraction` of a sorted list (as `bench.harness.percentiles_ms`)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def stack_cpu_seconds() -> dict[str, float]:
    """utime + stime of each process `notflix up` recorded (moto, redis, neo4j, api, ...)."""
    from localcloud import pidfiles

    found: dict[str, float] = {}
    for name in pidfiles.names():
        pid = pidfiles.read(name)
        if pid is None:
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            found[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return found


def print_report(recorder: Recorder, users: int, elapsed: float, cpu: dict[str, float]) -> None:
    """The per-route table, the totals, the CPU used, and each kind of error with a sample."""
    print()
    print(f"{'route':<28} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'req/s':>7}")
    everything: list[float] = []
    for route in sorted(recorder.routes):
        stats = recorder.routes[route]
        ordered = sorted(stats.latencies)
        everything.extend(ordered)
        print(f"{route:<28} {len(ordered):7d} {sum(stats.errors.values()):7d} "
              f"{statistics.median(ordered) * 1000:8.1f} {percentile(ordered, 0.99) * 1000:8.1f} "
              f"{ordered[-1] * 1000:8.1f} {len(ordered) / elapsed:7.1f}")
    everything.sort()
    if everything:
        print(f"{'all':<28} {len(everything):7d} {recorder.errors:7d} "
              f"{statistics.median(everything) * 1000:8.1f} "
              f"{percentile(everything, 0.99) * 1000:8.1f} {everything[-1] * 1000:8.1f} "
              f"{len(everything) / elapsed:7.1f}")
    print(f"\n{users} users, {elapsed:.1f}s window, {recorder.requests} requests, "
          f"{recorder.requests / elapsed:.1f} req/s, {recorder.errors} errors")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    parts = ", ".join(f"{name} {seconds / elapsed:.0%}"
                      for name, seconds in sorted(cpu.items(), key=lambda i: -i[1]))
    per_request = sum(v for k, v in cpu.items() if k != "load client") / max(recorder.requests, 1)
    print(f"CPU over the window, in cores: {parts}; the stack's CPU per request "
          f"{per_request * 1000:.1f} ms; load average {load} ({os.cpu_count()} cores)")
    for route, stats in sorted(recorder.routes.items()):
        for kind, n in stats.errors.most_common():
            print(f"  error: {route}: {kind} x{n}: {stats.samples[kind]}")
