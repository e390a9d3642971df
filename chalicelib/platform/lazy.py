"""Modules imported on first use, to keep Lambda cold starts short.

Not `importlib.util.LazyLoader`: before Python 3.12.3 its module turns into a plain module
before its code has run, so a second thread reading an attribute meanwhile gets an
AttributeError (CPython gh-114763); `chalice local` serves requests on threads. Here the
first attribute read runs an ordinary import, whose per-module lock makes every concurrent
reader wait for the one execution.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    """Stands in for the module `__name__`; imports it when an attribute is first read."""

    def __getattr__(self, attr: str) -> Any:
        # Only called for names the stand-in lacks, i.e. every attribute of the real module.
        return getattr(importlib.import_module(self.__name__), attr)


def lazy_module(name: str) -> ModuleType:
    """`name`, executed only when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ImportError(f"no module named {name!r}")
    return _LazyModule(name)
