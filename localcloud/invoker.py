"""How a function's invocations run: in the poller's thread, or in killable worker processes."""

from __future__ import annotations

import time
from typing import Any, Protocol

from chalicelib.platform.logs import logger
from localcloud.invocation import FunctionConfig, Handler, InvocationResult, describe
from localcloud.lambda_context import LambdaContext
from localcloud.worker_pool import WorkerPool


class Invoker(Protocol):
    def invoke(self, event: dict[str, Any]) -> InvocationResult: ...

    def close(self) -> None: ...


class ThreadInvoker:
    """Calls the handler in the caller's thread.

    A thread cannot be killed, so a run past the timeout is only noticed when it returns;
    it still counts as timed out (its batch is not deleted), as in Lambda.
    """

    def __init__(self, function: FunctionConfig, handler: Handler) -> None:
        self.function = function
        self.handler = handler

    def invoke(self, event: dict[str, Any]) -> InvocationResult:
        context = LambdaContext(self.function.name, self.function.memory_mb,
                                self.function.timeout_seconds, region=self.function.region)
        request_id = context.aws_request_id
        started = time.monotonic()
        try:
            value = self.handler(event, context)
        except Exception as exc:
            logger.exception("handler raised", function=self.function.name, request_id=request_id)
            return InvocationResult("error", error=describe(exc), request_id=request_id,
                                    seconds=time.monotonic() - started)
        seconds = time.monotonic() - started
        if seconds > self.function.timeout_seconds:
            return InvocationResult("timeout", request_id=request_id, seconds=seconds)
        return InvocationResult("ok", value=value, request_id=request_id, seconds=seconds)

    def close(self) -> None:
        pass


def make_invoker(function: FunctionConfig) -> Invoker:
    """Worker processes for a handler path, the caller's thread for a callable."""
    if isinstance(function.handler, str):
        return WorkerPool(function)
    return ThreadInvoker(function, function.handler)
