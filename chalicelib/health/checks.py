"""Round trips to DynamoDB, S3, SQS, Redis and Neo4j, run in parallel with a time budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from chalicelib.openapi.responses import Dependency
from chalicelib.platform.resources import Resources

#: Whole-check budget: a health probe must answer even when a dependency hangs.
BUDGET_SECONDS = 3.0


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None

    def as_dict(self) -> Dependency:
        out: Dependency = {
            "status": "up" if self.ok else "down",
            "latency_ms": round(self.latency_ms, 1),
        }
        if self.error:
            out["error"] = self.error
        return out


def _dynamodb(res: Resources) -> None:
    res.dynamodb.describe_table(TableName=res.settings.table_name("idempotency"))


def _s3(res: Resources) -> None:
    res.s3.head_bucket(Bucket=res.settings.media_bucket)


def _sqs(res: Resources) -> None:
    res.sqs.get_queue_url(QueueName=res.settings.encode_queue)


def _redis(res: Resources) -> None:
    if not res.redis.ping():
        raise RuntimeError("PING was not answered with PONG")


def _neo4j(res: Resources) -> None:
    # An auto-commit query: no managed-transaction retries, so a dead server fails fast.
    with res.neo4j.session(database="neo4j") as session:
        record = session.run("RETURN 1 AS ok").single()
    if record is None or record["ok"] != 1:
        raise RuntimeError("unexpected answer to RETURN 1")


CHECKS: dict[str, Callable[[Resources], None]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": _sqs,
    "redis": _redis,
    "neo4j": _neo4j,
}


def _describe(exc: BaseException) -> str:
    """Exception class and first line only: enough to act on, never a credential."""
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first_line}"[:200]


def _timed(name: str, check: Callable[[Resources], None], res: Resources) -> DependencyStatus:
    started = time.perf_counter()
    try:
        check(res)
    except Exception as exc:  # each dependency reports its own failure
        return DependencyStatus(name, False, (time.perf_counter() - started) * 1000, _describe(exc))
    return DependencyStatus(name, True, (time.perf_counter() - started) * 1000)


def check_all(res: Resources, budget: float = BUDGET_SECONDS) -> list[DependencyStatus]:
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    futures = {name: pool.submit(_timed, name, check, res) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=budget)
    pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for name, future in futures.items():
        if future.done():
            results.append(future.result())
        else:
            results.append(DependencyStatus(name, False, budget * 1000, "timed out"))
    return results
