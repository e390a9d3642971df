"""Dependency outages: which exceptions mean Redis, Neo4j or AWS is unreachable, and the 503.

A request that fails because a dependency is down or hanging should tell the client so (503
with ``Retry-After``, naming the dependency), not answer a generic 500. This module only
classifies: the HTTP middleware asks it about an exception it would otherwise call internal.

The client libraries are imported only to classify an exception that one of them raised, so
importing this module (and ``app``) stays cheap.

Chalice catches a view's exception itself and answers its own 500 after logging it; the
:class:`ViewErrorNote` filter on that log keeps the exception for the middleware to classify.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.errors import AppError, ServiceUnavailable

#: What a client is told to wait before trying again (seconds).
RETRY_AFTER_SECONDS = 5
#: How far down an exception's causes to look (pynamodb wraps botocore, which wraps urllib3).
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Dependency:
    name: str
    label: str


REDIS = Dependency("redis", "The session and cache store (Redis)")
NEO4J = Dependency("neo4j", "The recommendations graph (Neo4j)")
AWS = Dependency("aws", "Our storage and queue service (AWS)")


class DependencyUnavailable(ServiceUnavailable):
    """A 503 naming the dependency that failed; the body carries its name for programs."""

    def __init__(self, dependency: Dependency) -> None:
        super().__init__(f"{dependency.label} is unavailable right now; "
                         f"try again in a few seconds.",
                         headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        self.dependency = dependency

    def body(self) -> dict[str, Any]:
        shaped = super().body()
        shaped["error"]["dependency"] = self.dependency.name
        return shaped


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it (``__cause__``, pynamodb's ``cause``, context)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_DEPTH:
        seen.add(id(current))
        yield current
        cause = current.__cause__ or getattr(current, "cause", None) or current.__context__
        current = cause if isinstance(cause, BaseException) else None


def _redis_down(exc: BaseException) -> bool:
    from redis.exceptions import ConnectionError, TimeoutError

    return isinstance(exc, ConnectionError | TimeoutError)  # BusyLoadingError included


def _neo4j_down(exc: BaseException) -> bool:
    from neo4j.exceptions import ServiceUnavailable as Neo4jUnavailable
    from neo4j.exceptions import SessionExpired

    return isinstance(exc, Neo4jUnavailable | SessionExpired)


def _aws_down(exc: BaseException) -> bool:
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    return isinstance(exc, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError
                      | ConnectTimeoutError)


#: Top-level package of the library that raised -> (test, dependency).
_CHECKS = {"redis": (_redis_down, REDIS), "neo4j": (_neo4j_down, NEO4J),
           "botocore": (_aws_down, AWS)}


def classify(exc: BaseException | None) -> Dependency | None:
    """The dependency an exception says is unreachable, or None for any other failure."""
    if exc is None:
        return None
    for link in _causes(exc):
        check = _CHECKS.get(type(link).__module__.partition(".")[0])
        if check is not None and check[0](link):
            return check[1]
    return None


def unavailable(exc: BaseException | None) -> DependencyUnavailable | None:
    """The 503 to answer for ``exc``, when it is an outage."""
    dependency = classify(exc)
    return DependencyUnavailable(dependency) if dependency is not None else None


def named(error: AppError) -> AppError:
    """A service's own 503 for an outage (e.g. the session guard's), named like ours."""
    if error.status == 503 and not isinstance(error, DependencyUnavailable):
        return unavailable(error.__cause__) or error
    return error


_view_error: ContextVar[BaseException | None] = ContextVar("notflix_view_error", default=None)


class ViewErrorNote(logging.Filter):
    """Keeps the exception of each record logged with one (Chalice's "Caught exception")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            _view_error.set(record.exc_info[1])
        return True


def forget_view_error() -> None:
    """Called as a request starts: no earlier request's exception is seen as this one's."""
    _view_error.set(None)


def view_error() -> BaseException | None:
    """The exception Chalice logged while answering the current request, if any."""
    return _view_error.get()
