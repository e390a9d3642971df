"""The demo catalogue's background loading and what `notflix status` says of it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud.catalogue_loading import (
    BackgroundLoad,
    DemoFilmsError,
    LoadingState,
    demo_films,
    describe,
    read_state,
    split,
)


@pytest.fixture(autouse=True)
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTFLIX_LOCAL_DIR", str(tmp_path))


def test_progress_is_recorded_as_it_goes_then_done() -> None:
    halfway, resume = threading.Event(), threading.Event()

    def load(progress: Callable[[int, int], None]) -> None:
        progress(500, 2000)
        halfway.set()
        resume.wait(5)
        progress(2000, 2000)

    loading = BackgroundLoad(load)
    loading.start()
    assert halfway.wait(5)
    during = read_state()
    assert during is not None and (during.state, during.done, during.total) == (
        "loading", 500, 2000)
    resume.set()
    loading.join(5)
    after = read_state()
    assert after is not None and (after.state, after.done) == ("done", 2000)


def test_a_failed_load_says_why_and_what_to_do() -> None:
    def load(progress: Callable[[int, int], None]) -> None:
        progress(10, 100)
        raise ConnectionError("moto went away")

    loading = BackgroundLoad(load)
    loading.start()
    loading.join(5)
    state = read_state()
    assert state is not None and state.state == "failed" and state.done == 10
    assert describe(state) == ("demo catalogue not fully loaded (ConnectionError: moto went "
                               "away); `notflix seed` loads it")


def test_a_stack_stopped_mid_load_is_not_reported_as_loading() -> None:
    reached, release = threading.Event(), threading.Event()

    def load(progress: Callable[[int, int], None]) -> None:
        progress(300, 1000)
        reached.set()
        release.wait(5)
        raise ConnectionError("the emulator stopped")  # as the stack's servers go away

    loading = BackgroundLoad(load)
    loading.start()
    assert reached.wait(5)
    loading.stop_recording()
    state = read_state()
    assert state is not None and state.state == "stopped"
    assert "stopped at 300 of 1,000 films" in describe(state)
    release.set()
    loading.join(5)
    final = read_state()
    assert final is not None and final.state == "stopped"  # not "failed" by the shutdown


def test_the_status_line_gives_the_share_and_the_time_left() -> None:
    state = LoadingState("loading", 4_000, 16_000, started_at=1000.0)
    assert describe(state, now=1040.0) == (
        "loading the demo catalogue: 4,000 of 16,000 films (25%), about 2:00 left")
    done = LoadingState("done", 15_470, 15_470, started_at=1000.0, finished_at=1125.0)
    assert describe(done) == "demo catalogue loaded: 15,470 more films in 2:05"


@pytest.mark.parametrize(("raw", "films", "parts"), [
    ("", None, (2000, None)), ("17470", 17470, (2000, 15470)), ("3000", 3000, (2000, 1000)),
    ("500", 500, (500, 0)), (" 0 ", 0, (0, 0))])
def test_the_demo_catalogue_size_and_its_two_parts(
        raw: str, films: int | None, parts: tuple[int, int | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTFLIX_DEMO_FILMS", raw)
    assert demo_films() == films
    assert split(films) == parts


@pytest.mark.parametrize("raw", ["many", "-5", "1e4", "²", "12345678"])
def test_a_demo_catalogue_size_that_is_no_whole_number_is_refused(
        raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTFLIX_DEMO_FILMS", raw)
    with pytest.raises(DemoFilmsError, match="NOTFLIX_DEMO_FILMS must be a whole number"):
        demo_films()


def test_a_load_whose_stack_was_killed_is_told_as_stopped() -> None:
    cut_off = LoadingState("loading", 700, 15_470, started_at=1000.0)
    assert describe(cut_off, now=1100.0, stack_running=False).startswith(
        "demo catalogue stopped at 700 of 15,470 films")
    assert describe(cut_off, now=1100.0).startswith("loading the demo catalogue: 700")
