"""The upload benchmark's arithmetic: throughput, the run order, phases, the resume."""

from __future__ import annotations

import pytest

from bench.upload import (
    MIB,
    Phases,
    ResumeFigures,
    Transfer,
    median_ratio,
    mib_per_s,
    run_order,
    stop_points,
)


def test_throughput_is_mib_per_second() -> None:
    assert mib_per_s(512 * MIB, 4.0) == 128.0
    assert mib_per_s(MIB, 0) == float("inf")


def test_rounds_rotate_which_transfer_goes_first() -> None:
    assert run_order(4) == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"],
                            ["a", "b", "c"]]
    assert run_order(2, ("a", "b")) == [["a", "b"], ["b", "a"]]
    assert run_order(0) == []


def test_ratios_are_of_medians() -> None:
    assert median_ratio([1.0, 2.0, 10.0], [4.0, 4.0]) == pytest.approx(0.5)


def test_a_transfer_splits_at_the_completion_request() -> None:
    one = Transfer("a", 5.0, 100 * MIB, "e", None, first_byte_s=0.1, parts_s=2.0)
    assert one.complete_s == pytest.approx(3.0)
    assert one.mib_s == pytest.approx(20.0) and one.parts_mib_s == pytest.approx(50.0)
    bare = Transfer("b", 5.0, 100, "e", None)
    assert bare.complete_s is None and bare.parts_mib_s is None


def test_phases_keep_the_first_byte_and_the_first_completion_request() -> None:
    phases = Phases()
    phases.sent(0)
    assert phases.first_byte is None
    phases.sent(10)
    first = phases.first_byte
    phases.sent(10)
    phases.complete_called()
    completing = phases.completing
    phases.complete_called()  # a retried completion
    assert first is not None and phases.first_byte == first
    assert completing is not None and phases.completing == completing >= first


def test_a_resume_counts_the_abandoned_parts_and_what_was_sent_twice() -> None:
    figures = ResumeFigures(size=100 * MIB, part_size=8 * MIB, parallel=4,
                            first_sent=50 * MIB, held=40 * MIB, second_sent=62 * MIB)
    assert figures.abandoned == 10 * MIB
    assert figures.missing == 60 * MIB
    assert figures.sent_twice == 2 * MIB
    assert figures.overhead == 12 * MIB
    assert figures.goal == 32 * MIB and figures.met


def test_more_than_a_part_per_part_in_flight_misses_the_goal() -> None:
    figures = ResumeFigures(size=100 * MIB, part_size=8 * MIB, parallel=1,
                            first_sent=50 * MIB, held=40 * MIB, second_sent=60 * MIB)
    assert figures.overhead == 10 * MIB and not figures.met


def test_rate_limited_stops_fall_inside_a_wave_of_parts() -> None:
    points = stop_points(1024 * MIB, 8 * MIB, 4, 3)
    assert points == [520 * MIB, 528 * MIB, 536 * MIB]  # 1/4, 2/4, 3/4 of 32 MiB past half
    assert stop_points(100, 10, 1, 1) == [55]
