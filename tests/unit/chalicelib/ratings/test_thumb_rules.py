"""Thumbs on the 1..10 scale, and what they do to the recommendations' scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.ratings.thumbs import ViewerThumbs, rating_of, thumb_of
from chalicelib.recommendations.rated import (
    DISLIKE_PENALTY,
    apply_thumbs,
    fewer_like,
    watched_reason,
)


def test_a_thumb_is_stored_as_ten_or_one() -> None:
    assert (rating_of("up"), rating_of("down")) == (10, 1)


@pytest.mark.parametrize(("rating", "thumb"), [
    (None, None), (1, "down"), (4, "down"), (Decimal("4"), "down"), (4.4, None), (5, None),
    (6, None), (6.9, None), (7, "up"), (Decimal("8"), "up"), (10, "up")])
def test_a_rating_reads_as_up_from_7_and_down_at_4_or_below(rating: Any, thumb: str) -> None:
    assert thumb_of(rating) == thumb


def test_thumbs_stored_read_back_as_themselves() -> None:
    assert thumb_of(rating_of("up")) == "up"
    assert thumb_of(rating_of("down")) == "down"


def title(title_id: str) -> dict[str, Any]:
    return {"id": title_id, "name": title_id.upper()}


def row(title_id: str, score: float, because: str | None = "w", best: float = 0.5
        ) -> dict[str, Any]:
    return {"title": title(title_id), "score": score, "best": best,
            "because": title(because) if because else None}


def test_titles_like_a_thumbs_down_title_lose_twice_its_weight_and_drop_at_zero() -> None:
    similar = [row("a", 3.0), row("b", 1.0), row("c", 0.5)]
    ranked, dropped = apply_thumbs(similar, [], {"a": 0.5, "b": 0.5, "x": 0.2, "zero": 0.0})
    assert DISLIKE_PENALTY == 2.0
    assert [(r["title"]["id"], r["score"]) for r in ranked] == [("a", 2.0), ("c", 0.5)]
    # b fell to 0; x is not a "because you watched" title at all, so it drops from the
    # other lists; an edge of weight 0 takes nothing off
    assert dropped == {"b", "x"}


def test_a_liked_title_adds_its_edges_like_a_watch_and_becomes_the_reason() -> None:
    similar = [row("a", 1.0, because="w", best=0.4)]
    liked = [{"source": title("l"), "title": title("a"), "w": 0.6},
             {"source": title("l"), "title": title("n"), "w": 0.3}]
    ranked, dropped = apply_thumbs(similar, liked, {})
    assert dropped == frozenset()
    assert [(r["title"]["id"], r["score"]) for r in ranked] == [("a", 1.6), ("n", 0.3)]
    assert ranked[0]["because"]["id"] == "l"  # its edge weighed more than the watch's
    assert watched_reason(ranked[0], frozenset({"l"})) == [
        {"kind": "liked", "title_id": "l", "text": "Because you liked L"}]
    assert watched_reason(row("z", 1.0, because="w"), frozenset({"l"})) == [
        {"kind": "watched", "title_id": "w", "text": "Because you watched W"}]


def test_without_thumbs_the_rows_are_untouched() -> None:
    similar = [row("a", 3.0), row("b", 1.0)]
    ranked, dropped = apply_thumbs(similar, [], {})
    assert ranked == similar and dropped == frozenset()


def test_the_answer_says_why_titles_dropped() -> None:
    thumbs = ViewerThumbs(up=("u",), down=("d1", "d2"), names={"d1": "Heat"})
    assert fewer_like(thumbs) == [{"title_id": "d1", "name": "Heat",
                                   "text": "Fewer titles like Heat: you rated it down"}]
    assert thumbs.rated == {"u", "d1", "d2"}
    assert not ViewerThumbs()
