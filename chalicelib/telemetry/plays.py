"""The play registry: each play grant gets a server-made play id, kept in Redis for 12 hours
with its owner, title, asset and renditions.

Beacons and progress posts name their play by this id; telemetry is accepted only from the
play's owner (the id of whoever was granted the play: a user today, a profile later: the
caller passes it) and for the play's own renditions. The registry also holds each play's
state that aggregation needs once per play: its outcome (started, exited before the first
frame, failed to start) and the time watched per rendition (for the rendition watched most),
and, for a profile with a maturity ceiling, the streams its grants named (the only ones whose
files it may fetch) for as long as a play lasts.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

#: How long a play lasts: its id, its state and a stream it granted.
PLAY_TTL_S = 12 * 3600
#: token_urlsafe(18): 24 URL-safe characters, 144 random bits.
PLAY_ID_BYTES = 18


@dataclass(frozen=True)
class Play:
    play_id: str
    owner: str
    title_id: str
    asset_id: str
    renditions: tuple[str, ...]


class PlayRegistry:
    def __init__(self, client: redis.Redis, prefix: str, ttl_s: int = PLAY_TTL_S) -> None:
        self.redis = client
        self.prefix = f"{prefix}:qoe:play"
        self.grants_prefix = f"{prefix}:granted-streams"
        self.ttl_s = ttl_s

    def key(self, play_id: str) -> str:
        return f"{self.prefix}:{play_id}"

    def register(self, owner: str, title_id: str, asset_id: str,
                 renditions: list[str]) -> str:
        """A new play id for this owner's play of ``title_id``."""
        play_id = secrets.token_urlsafe(PLAY_ID_BYTES)
        key = self.key(play_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"owner": owner, "title_id": title_id, "asset_id": asset_id,
                                "renditions": json.dumps(renditions)})
        pipe.expire(key, self.ttl_s)
        pipe.execute()
        return play_id

    def find(self, play_id: str) -> Play | None:
        """The play, or None when the id is unknown or expired."""
        if not play_id or len(play_id) > 64:
            return None
        found: dict[str, str] = self.redis.hgetall(self.key(play_id))  # type: ignore[assignment]
        if not found or "owner" not in found:
            return None
        try:
            renditions = tuple(str(r) for r in json.loads(found.get("renditions") or "[]"))
        except ValueError:
            renditions = ()
        return Play(play_id, found["owner"], found.get("title_id", ""),
                    found.get("asset_id", ""), renditions)

    def _granted_key(self, owner: str) -> str:
        return f"{self.grants_prefix}:{owner}"

    def grant_stream(self, owner: str, asset_id: str) -> None:
        """Let ``owner`` fetch this stream's files for as long as a play lasts."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self._granted_key(owner), asset_id)
        pipe.expire(self._granted_key(owner), self.ttl_s)
        pipe.execute()

    def stream_granted(self, owner: str, asset_id: str) -> bool:
        return bool(self.redis.sismember(self._granted_key(owner), asset_id))
