"""Resume points and "continue watching" in Redis.

``<prefix>:resume:<user>`` is a hash: title id -> ``{"position_s", "duration_s", "at"}``;
``<prefix>:continue:<user>`` a sorted set of the titles in progress (5% to 90%), scored by
when they were last watched.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import iso

if TYPE_CHECKING:
    import redis

RESTART_BELOW = 0.05
WATCHED_FROM = 0.90


def resume_point(position: float, fraction: float) -> float:
    """Where the next play starts: 0 under 5% and from 90% (watched), else the position."""
    return 0.0 if fraction < RESTART_BELOW or fraction >= WATCHED_FROM else position


class ResumeStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix

    def _keys(self, user_id: str) -> tuple[str, str]:
        return f"{self.prefix}:resume:{user_id}", f"{self.prefix}:continue:{user_id}"

    def save(self, user_id: str, title_id: str, position: float, duration: float,
             fraction: float, at: datetime) -> None:
        points, continuing = self._keys(user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(points, title_id, json.dumps(
            {"position_s": position, "duration_s": duration, "at": iso(at)}))
        if RESTART_BELOW <= fraction < WATCHED_FROM:
            pipe.zadd(continuing, {title_id: at.timestamp()})
        else:
            pipe.zrem(continuing, title_id)
        pipe.execute()

    def forget(self, user_id: str) -> None:
        """Every resume point and the continue-watching row of a deleted viewer."""
        self.redis.delete(*self._keys(user_id))

    def drop_from_row(self, user_id: str, title_id: str) -> int:
        """Take a title and its episodes (``<title>#<episode>``) out of continue watching."""
        continuing = self._keys(user_id)[1]
        members: list[str] = self.redis.zrange(continuing, 0, -1)  # type: ignore[assignment]
        gone = [m for m in members if m == title_id or m.startswith(f"{title_id}#")]
        return int(self.redis.zrem(continuing, *gone)) if gone else 0

    def get(self, user_id: str, title_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self._keys(user_id)[0], title_id)
        return _point(str(raw)) if raw else None

    def many(self, user_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The resume points of several titles (or episodes) that have one."""
        if not ids:
            return {}
        raws: list[str | None] = self.redis.hmget(self._keys(user_id)[0], ids)  # type: ignore[assignment]
        return {i: _point(raw) for i, raw in zip(ids, raws, strict=True) if raw}

    def continuing(self, user_id: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """(title id, resume point) most recently watched first."""
        points, continuing = self._keys(user_id)
        ids: list[str] = self.redis.zrevrange(continuing, 0, max(0, limit - 1))  # type: ignore[assignment]
        if not ids:
            return []
        raws: list[str | None] = self.redis.hmget(points, ids)  # type: ignore[assignment]
        return [(i, _point(raw)) for i, raw in zip(ids, raws, strict=True) if raw]


def _point(raw: str) -> dict[str, Any]:
    point: dict[str, Any] = json.loads(raw)
    duration = float(point.get("duration_s") or 0)
    position = float(point.get("position_s") or 0)
    fraction = position / duration if duration > 0 else 0.0
    return {**point, "progress": round(fraction, 4), "resume_s": resume_point(position, fraction)}
