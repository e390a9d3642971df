"""Inside a worker process: one Lambda execution environment for one handler.

The worker leads its own process group, so the processes its handler starts (ffmpeg) are in
it and the runner can kill them all at once when an invocation passes its deadline. It
imports the handler once (the cold start), answers "ready", then runs one invocation per
message on its pipe until the pipe closes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from multiprocessing.connection import Connection

from chalicelib.platform.logs import logger
from localcloud.invocation import Handler, Invocation, InvocationResult, describe, load_handler

PARENT_CHECK_SECONDS = 1.0


def serve(conn: Connection, handler_path: str) -> None:
    """A worker's main function (the target of its ``multiprocessing`` process)."""
    os.setsid()
    _die_with_parent(os.getppid())
    try:
        handler = load_handler(handler_path)
    except Exception as exc:
        conn.send(InvocationResult("error", error=f"init failed: {describe(exc)}"))
        return
    conn.send(InvocationResult("ok", value=os.getpid()))
    while True:
        try:
            invocation = conn.recv()
        except (EOFError, OSError):
            return
        _reply(conn, _call(handler, invocation))


def _call(handler: Handler, invocation: Invocation) -> InvocationResult:
    started = time.monotonic()
    try:
        value = handler(invocation.event, invocation.context())
    except Exception as exc:
        logger.exception("handler raised", function=invocation.function_name,
                         request_id=invocation.request_id)
        return InvocationResult("error", error=describe(exc), request_id=invocation.request_id,
                                seconds=time.monotonic() - started)
    return InvocationResult("ok", value=value, request_id=invocation.request_id,
                            seconds=time.monotonic() - started)


def _reply(conn: Connection, result: InvocationResult) -> None:
    try:
        conn.send(result)
    except (TypeError, AttributeError, ValueError) as exc:  # pickling: send() writes nothing
        conn.send(InvocationResult("error", error=f"unserializable result: {describe(exc)}",
                                   request_id=result.request_id, seconds=result.seconds))


def _die_with_parent(parent_pid: int) -> None:
    """If the runner dies without stopping us, take the whole process group down."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
