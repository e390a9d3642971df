"""A season's shared intro and credits from fingerprints (synthetic values here; generated
audio through ffmpeg's Chromaprint and the encoder in the browser tests)."""

from __future__ import annotations

import numpy as np

from chalicelib.catalogue.titles.segments import (
    MIN_SEGMENT_S,
    longest_run,
    season_segments,
)

ITEM_S = 1365 / 11025
RNG = np.random.default_rng(7)


def values(n: int) -> list[int]:
    return [int(v) for v in RNG.integers(0, 2**32, n, dtype=np.uint64)]


def noisy(run: list[int], bits: int = 3) -> list[int]:
    """The same sound encoded again: a few bits flipped in each value."""
    flipped = []
    for v in run:
        for b in RNG.choice(32, bits, replace=False):
            v ^= 1 << int(b)
        flipped.append(v)
    return flipped


def episode(intro: list[int], outro: list[int], lead: int, body: int) -> dict[str, object]:
    head = values(lead) + noisy(intro) + values(body)
    tail = values(body) + noisy(outro)
    return {"item_s": ITEM_S, "head": head, "tail": tail, "tail_start_s": 600.0,
            "duration_s": 600.0 + len(tail) * ITEM_S + 2.0}


def test_the_longest_shared_run_is_found_at_any_offset() -> None:
    shared = values(100)
    a = values(30) + shared + values(20)
    b = values(5) + noisy(shared) + values(50)
    run = longest_run(a, b)
    assert run is not None
    assert (run.start_a, run.start_b) == (30, 5) and 98 <= run.length <= 100
    unrelated = longest_run(values(50), values(50))
    assert unrelated is None or unrelated.length < 5


def test_each_episode_gets_the_intro_where_it_is_and_the_credits() -> None:
    intro, outro = values(300), values(200)  # ~37 s and ~25 s
    season = {"0001#0001": episode(intro, outro, lead=0, body=400),
              "0001#0002": episode(intro, outro, lead=80, body=350),  # a cold open first
              "0001#0003": episode(intro, outro, lead=0, body=420)}
    found = season_segments(season)
    for key, lead in (("0001#0001", 0), ("0001#0002", 80)):
        kinds = {s.kind: s for s in found[key]}
        assert abs(kinds["intro"].start_s - lead * ITEM_S) <= 1.0, kinds
        assert kinds["intro"].end_s - kinds["intro"].start_s >= 35.0
        assert kinds["credits"].end_s == season[key]["duration_s"]  # they run to the end


def test_an_episode_sharing_nothing_gets_no_segments() -> None:
    intro, outro = values(300), values(200)
    season = {"0001#0001": episode(intro, outro, lead=0, body=400),
              "0001#0002": episode(intro, outro, lead=0, body=400),
              "0001#0003": {"item_s": ITEM_S, "head": values(700), "tail": values(600),
                            "tail_start_s": 600.0, "duration_s": 700.0}}
    found = season_segments(season)
    assert found["0001#0003"] == []
    assert [s.kind for s in found["0001#0001"]] == ["intro", "credits"]
    assert season_segments({"0001#0001": season["0001#0001"]}) == {"0001#0001": []}


def test_a_shared_run_shorter_than_the_minimum_is_no_segment() -> None:
    short = values(int(MIN_SEGMENT_S / ITEM_S) - 20)  # a jingle, not a theme
    season = {key: {"item_s": ITEM_S, "head": values(30) + noisy(short) + values(300),
                    "tail": values(300), "tail_start_s": 600.0, "duration_s": 640.0}
              for key in ("0001#0001", "0001#0002")}
    assert season_segments(season) == {"0001#0001": [], "0001#0002": []}
