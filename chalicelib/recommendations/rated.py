"""What a viewer's thumbs do to their recommendations (the rules; ``recommender`` applies them).

- A title rated down is never offered, nor one rated up (the viewer has an opinion of it:
  they have seen it).
- Titles like a thumbs-down title lose score: its outgoing SIMILAR weights (the item-item
  model of ``similarity_job``), times :data:`DISLIKE_PENALTY`, are subtracted from the
  "because you watched" scores; a title whose score falls to 0 or below drops, and so does
  any candidate of the other lists (collaborative, content, popular) that such a title's
  edges reach, since it has no similarity score to lose.
- A title rated up counts as a liked watch even when it was never watched here (an IMDb list,
  another service): its SIMILAR edges are added like a watch's, with "Because you liked X"
  as the reason where its edge weighed most; a watched title rated up gives the same reason.

With no thumbs, nothing here runs: the recommendations are exactly those of the watches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.openapi.responses import FewerLike, Reason
from chalicelib.ratings.thumbs import ViewerThumbs

#: How much a thumbs-down title's SIMILAR weight takes off: twice what one watch adds.
DISLIKE_PENALTY = 2.0

Row = dict[str, Any]


def apply_thumbs(similar: Sequence[Row], liked_edges: Sequence[Row],
                 penalties: Mapping[str, float], penalty: float = DISLIKE_PENALTY,
                 ) -> tuple[list[Row], frozenset[str]]:
    """The "because you watched" rows with the liked titles' edges added and the penalties
    taken off, best first, and the ids that dropped.

    ``similar``: rows of ``queries.BECAUSE_WATCHED`` (``title``, ``score``, ``best``,
    ``because``); ``liked_edges``: rows of ``queries.LIKED_SIMILAR`` (``source``, ``title``,
    ``w``); ``penalties``: {title id: the summed SIMILAR weight reaching it from the
    thumbs-down titles}.
    """
    rows: dict[str, Row] = {r["title"]["id"]: dict(r) for r in similar}
    for edge in liked_edges:
        title, weight = edge["title"], float(edge["w"] or 0)
        row = rows.setdefault(title["id"], {"title": title, "score": 0.0, "best": 0.0,
                                            "because": None})
        row["score"] = float(row["score"] or 0) + weight
        if weight > float(row.get("best") or 0):
            row["best"], row["because"] = weight, edge["source"]
    dropped: set[str] = set()
    for title_id, weight in penalties.items():
        hit = rows.get(title_id)
        if hit is not None:
            hit["score"] = float(hit["score"] or 0) - penalty * weight
            if hit["score"] > 0:
                continue
            del rows[title_id]
        if weight > 0:
            dropped.add(title_id)
    ranked = sorted(rows.values(), key=lambda r: (-float(r["score"]), r["title"]["id"]))
    return ranked, frozenset(dropped)


def without(rows: Sequence[Row], ids: frozenset[str]) -> list[Row]:
    return [r for r in rows if r["title"]["id"] not in ids] if ids else list(rows)


def watched_reason(row: Row, liked: frozenset[str]) -> list[Reason]:
    """The watch (or the liked title) whose SIMILAR edge weighed most."""
    because = row.get("because")
    if not because:
        return []
    name = because.get("name") or because["id"]
    if because["id"] in liked:
        return [{"kind": "liked", "title_id": because["id"],
                 "text": f"Because you liked {name}"}]
    return [{"kind": "watched", "title_id": because["id"],
             "text": f"Because you watched {name}"}]


def fewer_like(thumbs: ViewerThumbs) -> list[FewerLike]:
    """Why titles dropped: the newest thumbs-down titles whose names are known."""
    return [{"title_id": t, "name": thumbs.names[t],
             "text": f"Fewer titles like {thumbs.names[t]}: you rated it down"}
            for t in thumbs.down if t in thumbs.names]
