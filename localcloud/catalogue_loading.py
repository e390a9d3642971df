"""The demo catalogue's loading once `notflix up` has printed its URL, and its progress.

The first start loads the most reviewed films before the URL (so the home page has its rows
at once) and the rest in a background thread; `notflix status` reads the progress from
`.local/run/catalogue-loading.json`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from localcloud import paths

#: Films loaded before the URL is printed; the rest follow in the background.
FIRST_FILMS = 2_000
#: How many films the demo catalogue holds at most (the most reviewed); all when unset.
DEMO_FILMS_ENV = "NOTFLIX_DEMO_FILMS"


class DemoFilmsError(ValueError):
    """NOTFLIX_DEMO_FILMS is not a whole number."""


def demo_films() -> int | None:
    """The configured size of the demo catalogue (None: every film of the data set)."""
    raw = os.environ.get(DEMO_FILMS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        raise DemoFilmsError(f"{DEMO_FILMS_ENV} must be a whole number of films, got {raw!r}")
    return int(raw)


def split(total: int | None) -> tuple[int, int | None]:
    """Films before the URL, and after it (None: all the rest)."""
    if total is None:
        return FIRST_FILMS, None
    first = min(FIRST_FILMS, total)
    return first, total - first


@dataclass(frozen=True)
class LoadingState:
    state: str  # loading | done | failed | stopped
    done: int
    total: int
    started_at: float
    finished_at: float | None = None
    error: str | None = None


def state_path() -> Path:
    return paths.sub_dir("run") / "catalogue-loading.json"


def write_state(state: LoadingState) -> None:
    """Atomically: a reader never sees half a file."""
    path = state_path()
    partial = path.with_suffix(f".tmp-{os.getpid()}")
    partial.write_text(json.dumps(asdict(state)))
    partial.replace(path)


def read_state() -> LoadingState | None:
    try:
        return LoadingState(**json.loads(state_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def clear_state() -> None:
    state_path().unlink(missing_ok=True)


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def describe(state: LoadingState, now: float | None = None, *, stack_running: bool = True
             ) -> str:
    """One line for `notflix status`. A load still "loading" while no stack runs was cut off
    (its `up` was killed before it could say so): it is told as stopped."""
    now = time.time() if now is None else now
    if state.state == "loading" and not stack_running:
        state = LoadingState("stopped", state.done, state.total, state.started_at, now)
    if state.state == "done":
        took = (state.finished_at or now) - state.started_at
        return f"demo catalogue loaded: {state.done:,} more films in {_minutes(took)}"
    if state.state == "failed":
        return f"demo catalogue not fully loaded ({state.error}); `notflix seed` loads it"
    if state.state == "stopped":
        return (f"demo catalogue stopped at {state.done:,} of {state.total:,} films "
                "(the stack stopped); `notflix seed` loads the rest")
    elapsed = now - state.started_at
    percent = state.done / state.total * 100 if state.total else 0.0
    line = f"loading the demo catalogue: {state.done:,} of {state.total:,} films ({percent:.0f}%)"
    if state.done and elapsed > 0:
        left = (state.total - state.done) / (state.done / elapsed)
        line += f", about {_minutes(left)} left"
    return line


class BackgroundLoad(threading.Thread):
    """Runs ``load(progress)`` in the background and records its
    progress; a failure is recorded with its reason, never raised into `up`."""

    def __init__(self, load: Callable[[Callable[[int, int], None]], None]) -> None:
        super().__init__(name="catalogue-loading", daemon=True)
        self._load = load
        self.started_at = time.time()
        self.finished = threading.Event()
        self._stopped = threading.Event()  # the stack is stopping: what follows is its doing
        self._last = LoadingState("loading", 0, 0, self.started_at)

    def _progress(self, done: int, total: int) -> None:
        self._last = LoadingState("loading", done, total, self.started_at)
        if not self._stopped.is_set():
            write_state(self._last)

    def run(self) -> None:
        write_state(self._last)
        try:
            self._load(self._progress)
        except Exception as exc:  # recorded for `notflix status`, which says what to do
            if self._stopped.is_set():
                return  # the servers went away under it; "stopped" says so already
            write_state(LoadingState("failed", self._last.done, self._last.total,
                                     self.started_at, time.time(),
                                     f"{type(exc).__name__}: {exc}"[:300]))
        else:
            if self._stopped.is_set():
                return
            write_state(LoadingState("done", self._last.total, self._last.total,
                                     self.started_at, time.time()))
        finally:
            self.finished.set()

    def stop_recording(self) -> None:
        """The stack is stopping: an unfinished load says so instead of "loading" for ever."""
        self._stopped.set()
        if not self.finished.is_set():
            last = self._last
            write_state(LoadingState("stopped", last.done, last.total, self.started_at,
                                     time.time()))
