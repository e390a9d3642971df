"""`lazy_module`: nothing runs until first use, and concurrent first uses see the whole module.

`chalice local` serves each connection on its own thread, so the first requests that parse a
body can read a lazily imported schema module at the same moment. CPython's LazyLoader
before 3.12.3 lets the second thread see the module half executed (gh-114763): it answered
`AttributeError: ... has no attribute 'RegisterIn'` (a 500) under the load benchmark.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.platform.lazy import lazy_module

#: EXECUTIONS is put in builtins by the fixture, so each execution of the module is counted.
SLOW_MODULE = """
import time
EXECUTIONS.append(1)
time.sleep(0.3)  # a slow import (pydantic models being built) widens the window
ANSWER = 42
"""


@pytest.fixture
def slow_module(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    name = f"lazy_probe_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(SLOW_MODULE)
    executions: list[int] = []
    sys.path.insert(0, str(tmp_path))
    import builtins

    builtins.EXECUTIONS = executions  # type: ignore[attr-defined]
    try:
        yield name, executions
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
        del builtins.EXECUTIONS  # type: ignore[attr-defined]


def test_nothing_runs_before_first_use(slow_module: tuple[str, list[int]]) -> None:
    name, executions = slow_module
    module = lazy_module(name)
    assert executions == []
    assert module.ANSWER == 42
    assert executions == [1]


def test_concurrent_first_reads_all_see_the_whole_module(
        slow_module: tuple[str, list[int]]) -> None:
    name, executions = slow_module
    module = lazy_module(name)
    start = threading.Barrier(8)
    seen: list[object] = []

    def read() -> None:
        start.wait()
        try:
            seen.append(module.ANSWER)
        except AttributeError as exc:
            seen.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [42] * 8
    assert executions == [1]


def test_unknown_module_fails_at_once() -> None:
    with pytest.raises(ImportError):
        lazy_module("chalicelib.no_such_module_here")
