"""One function invocation as plain data: the function, the call, and how it ended."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from localcloud.lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
Status = Literal["ok", "error", "timeout"]


@dataclass(frozen=True)
class FunctionConfig:
    """A function as the event runner runs it.

    ``handler`` is either a callable, called in the poller's thread (its timeout can only be
    noticed afterwards), or an importable ``"module:attribute"`` path, called in worker
    processes that are killed at the timeout, as Lambda kills an invocation.
    """

    name: str
    handler: Handler | str
    timeout_seconds: float
    memory_mb: int
    region: str
    #: Invocations at once, over all the function's mappings (reserved concurrency).
    concurrency: int = 1


@dataclass(frozen=True)
class Invocation:
    """What a worker process needs for one call; it crosses a pipe, so plain data only."""

    function_name: str
    event: dict[str, Any]
    timeout_seconds: float
    memory_mb: int
    region: str
    request_id: str
    deadline_epoch: float

    @classmethod
    def starting_now(cls, function: FunctionConfig, event: dict[str, Any]) -> Invocation:
        return cls(function_name=function.name, event=event,
                   timeout_seconds=function.timeout_seconds, memory_mb=function.memory_mb,
                   region=function.region, request_id=str(uuid.uuid4()),
                   deadline_epoch=time.time() + function.timeout_seconds)

    def context(self) -> LambdaContext:
        return LambdaContext(self.function_name, self.memory_mb, self.timeout_seconds,
                             region=self.region, aws_request_id=self.request_id,
                             deadline_epoch=self.deadline_epoch)


@dataclass(frozen=True)
class InvocationResult:
    """How an invocation ended: the handler's return value, its error, or the time limit."""

    status: Status
    value: Any = None
    error: str | None = None
    request_id: str = ""
    seconds: float = 0.0


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_handler(path: str) -> Handler:
    """The callable a ``"package.module:attribute"`` path names."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"a handler path looks like 'package.module:function', not {path!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{path} is not callable")
    handler: Handler = target
    return handler
