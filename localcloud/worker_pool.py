"""Worker processes for one function, killed at the time limit as Lambda kills an invocation.

A pool keeps up to ``concurrency`` warm workers (Lambda's execution environments). An
invocation takes an idle worker or starts one (a cold start, logged), sends it the event and
waits until the deadline. A worker that is still busy then is killed with its whole process
group (the ffmpeg it started too) and dropped; the next invocation starts a fresh one.

Workers are started with ``spawn``, which imports the parent's ``__main__`` in each of them:
a script that starts a runner must keep its work under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util  # registers its exit handler (joins children) before ours
import os
import signal
import threading
import time
import weakref
from dataclasses import replace
from multiprocessing.context import BaseContext
from typing import Any

from chalicelib.platform.logs import logger
from localcloud.invocation import FunctionConfig, Invocation, InvocationResult
from localcloud.lambda_worker import serve

#: How long a new worker may take to start and import its handler.
INIT_TIMEOUT_SECONDS = 120.0
START_METHOD = "spawn"


class WorkerFailed(RuntimeError):
    """The worker process could not start, or exited in the middle of an invocation."""


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, function: FunctionConfig, handler_path: str, ctx: BaseContext) -> None:
        self._conn, child_conn = ctx.Pipe()
        self.process: Any = ctx.Process(  # type: ignore[attr-defined]
            target=serve, args=(child_conn, handler_path), name=f"lambda-{function.name}")
        self.process.start()
        child_conn.close()

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def wait_ready(self, timeout: float) -> None:
        reply = self._reply(timeout)
        if reply is None:
            raise WorkerFailed(f"the worker did not start within {timeout:.0f}s")
        if reply.status != "ok":
            raise WorkerFailed(reply.error or "the worker did not start")

    def call(self, invocation: Invocation, timeout: float) -> InvocationResult | None:
        """The worker's result, or None if it is still running after `timeout` seconds."""
        try:
            self._conn.send(invocation)
        except OSError as exc:
            raise WorkerFailed(f"the worker is gone ({exc})") from exc
        return self._reply(timeout)

    def _reply(self, timeout: float) -> InvocationResult | None:
        try:
            if not self._conn.poll(max(0.0, timeout)):
                return None
            reply = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(1.0)
            raise WorkerFailed(f"the worker exited (code {self.process.exitcode})") from exc
        if not isinstance(reply, InvocationResult):
            raise WorkerFailed(f"the worker answered {type(reply).__name__}")
        return reply

    def kill(self) -> None:
        """SIGKILL the worker's process group (its children with it) and reap it."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # not a group leader yet, or gone
            self.process.kill()
        self.process.join(5.0)

    def close_pipe(self) -> None:
        self._conn.close()


class WorkerPool:
    """Up to ``function.concurrency`` warm workers running ``function.handler`` (a path)."""

    def __init__(self, function: FunctionConfig, start_method: str = START_METHOD,
                 init_timeout: float = INIT_TIMEOUT_SECONDS) -> None:
        if not isinstance(function.handler, str):
            raise TypeError("worker processes import their handler: give a 'module:name' path")
        self.function = function
        self.handler_path: str = function.handler
        self.init_timeout = init_timeout
        self._ctx = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._live: set[Worker] = set()
        self._closed = False
        _POOLS.add(self)

    def invoke(self, event: dict[str, Any]) -> InvocationResult:
        try:
            worker = self._checkout()
        except WorkerFailed as exc:
            return InvocationResult("error", error=str(exc))
        invocation = Invocation.starting_now(self.function, event)
        started = time.monotonic()
        try:
            reply = worker.call(invocation, self.function.timeout_seconds)
        except WorkerFailed as exc:
            self._discard(worker)
            error = "the event runner stopped mid-invocation" if self._closed else str(exc)
            return InvocationResult("error", error=error, request_id=invocation.request_id,
                                    seconds=time.monotonic() - started)
        if reply is None:
            self._discard(worker)
            return InvocationResult("timeout", request_id=invocation.request_id,
                                    seconds=time.monotonic() - started)
        self._checkin(worker)
        return replace(reply, request_id=invocation.request_id)

    def close(self) -> None:
        """Kill every worker: running invocations end as if they had timed out."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
            idle = list(self._idle)
            self._idle.clear()
        for worker in workers:
            worker.kill()
        for worker in idle:
            worker.close_pipe()

    def _checkout(self) -> Worker:
        with self._lock:
            if self._closed:
                raise WorkerFailed("the event runner is stopping")
            if self._idle:
                return self._idle.pop()
            worker = Worker(self.function, self.handler_path, self._ctx)
            self._live.add(worker)
        started = time.monotonic()
        try:
            worker.wait_ready(self.init_timeout)
        except WorkerFailed:
            self._discard(worker)
            raise
        logger.info("cold start", function=self.function.name, pid=worker.pid,
                    init_ms=round((time.monotonic() - started) * 1000))
        return worker

    def _checkin(self, worker: Worker) -> None:
        with self._lock:
            keep = not self._closed and len(self._idle) < self.function.concurrency
            if keep:
                self._idle.append(worker)
        if not keep:
            self._discard(worker)

    def _discard(self, worker: Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        worker.kill()
        worker.close_pipe()


#: Pools not yet garbage: killed at exit, before multiprocessing waits for its children.
_POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS):
        pool.close()
