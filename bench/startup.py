"""Cold-start and stack start-up benchmark.

1. Cold import of `app.py` (a Lambda's init cost before the first request; goal < 300 ms),
   side by side with the bare interpreter and a bare `import boto3` in the same run, so the
   ratios show what the app adds on top of the SDK every Lambda pays for anyway.
2. Stack start: moto, redis-server and Neo4j from process start to healthy, then the
   infra deploy, on free ports with a throwaway data dir.

Run: `.venv/bin/python bench/startup.py` (or `make bench`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def timed_import(statement: str) -> float:
    """Wall time of a fresh interpreter running `statement` minus nothing: seconds."""
    code = ("import time; t=time.perf_counter(); " + statement +
            "; print(time.perf_counter()-t)")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0", "NOTFLIX_TARGET": "embedded",
           "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def median_ms(statement: str) -> float:
    timed_import(statement)  # warm the bytecode cache, as a deployed package has .pyc files
    return statistics.median(timed_import(statement) for _ in range(RUNS)) * 1000


def bench_imports() -> dict[str, float]:
    return {
        "pass": median_ms("pass"),
        "import boto3": median_ms("import boto3"),
        "import app": median_ms("import app"),
    }


def bench_stack() -> dict[str, float]:
    from localcloud.isolation import free_port, unique

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NOTFLIX_LOCAL_DIR"] = tmp
        from localcloud.stack import EmbeddedStack

        env = {**os.environ, "NOTFLIX_AWS_PORT": str(free_port()),
               "NOTFLIX_REDIS_PORT": str(free_port()), "NOTFLIX_NEO4J_PORT": str(free_port()),
               "NOTFLIX_PREFIX": unique("bench-")}
        stack = EmbeddedStack(env=env, record_pids=False)
        started = time.perf_counter()
        stack.install()
        installed = time.perf_counter()
        stack.start_sidecars()
        healthy = time.perf_counter()
        stack.deploy()
        deployed = time.perf_counter()
        stack.stop()
    return {"install check": installed - started, "sidecars healthy": healthy - installed,
            "infra deployed": deployed - healthy, "total": deployed - started}


def main() -> None:
    imports = bench_imports()
    print(f"cold import, median of {RUNS} fresh interpreters:")
    base = imports["import boto3"]
    for name, ms in imports.items():
        print(f"  {name:<14} {ms:8.1f} ms   ratio to `import boto3`: {ms / base:5.2f}")
    verdict = "meets" if imports["import app"] < 300 else "MISSES"
    print(f"  app.py cold import {imports['import app']:.1f} ms {verdict} the 300 ms goal")
    stack = bench_stack()
    print("embedded stack start (seconds):")
    for name, seconds in stack.items():
        print(f"  {name:<16} {seconds:6.1f} s   share of total: {seconds / stack['total']:5.1%}")


if __name__ == "__main__":
    main()
