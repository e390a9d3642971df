"""Trending titles: a Redis sorted set of plays with exponential time decay.

Each play adds ``2 ** ((t - epoch) / half_life)`` to its title's score ("forward decay"), so
a play a half-life older counts half as much, without rewriting any other score. When the
exponent grows large, one Lua call rescales the whole set and moves the epoch forward; the
order never changes. The set keeps the ``keep`` best titles. A play with a viewer counts
once per viewer, title and UTC day of the play, however many plays (play ids) they start and
however often one is recorded (a retried progress post): the same Lua call sets a marker
key for the three with SET NX (expiring after ``play_marker_s``) and counts only when it
was not there, so concurrent posts count once too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import utc_day

if TYPE_CHECKING:
    import redis

RECORD = """
if ARGV[6] ~= '' and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[6]) then
  return 0
end
local epoch = tonumber(redis.call('GET', KEYS[2]))
local now = tonumber(ARGV[2])
local half_life = tonumber(ARGV[3])
if not epoch then
  epoch = now
  redis.call('SET', KEYS[2], tostring(epoch))
end
local exponent = (now - epoch) / half_life
if exponent > tonumber(ARGV[4]) then
  redis.call('ZUNIONSTORE', KEYS[1], 1, KEYS[1], 'WEIGHTS', tostring(2 ^ (-exponent)))
  redis.call('SET', KEYS[2], tostring(now))
  exponent = 0
end
redis.call('ZINCRBY', KEYS[1], tostring(2 ^ exponent), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[5]) + 1))
return 1
"""


class Trending:
    def __init__(self, client: redis.Redis, prefix: str, half_life_s: float = 86_400.0,
                 keep: int = 5_000, rescale_after: float = 64.0,
                 play_marker_s: int = 2 * 86_400) -> None:
        self.redis = client
        self.key = f"{prefix}:trending"
        self.epoch_key = f"{prefix}:trending:epoch"
        self.half_life_s = half_life_s
        self.keep = keep
        self.rescale_after = rescale_after
        self.play_marker_s = play_marker_s
        self._record = client.register_script(RECORD)

    def record_play(self, title_id: str, at: float | None = None,
                    viewer: str | None = None) -> bool:
        """Count a play of `title_id` at `at` (epoch seconds); with a `viewer`, only their
        first play of the title on that UTC day counts. True when it was counted."""
        at = at if at is not None else time.time()
        marker = (f"{self.key}:seen:{utc_day(at)}:{viewer}:{title_id}" if viewer
                  else self.epoch_key)  # unused without a viewer
        return bool(self._record(
            keys=[self.key, self.epoch_key, marker],
            args=[title_id, at, self.half_life_s, self.rescale_after, self.keep,
                  self.play_marker_s if viewer else ""]))

    def top(self, limit: int) -> list[tuple[str, float]]:
        """(title id, decayed score) best first."""
        ranked: list[tuple[Any, Any]] = self.redis.zrevrange(  # type: ignore[assignment]
            self.key, 0, max(0, limit - 1), withscores=True)
        return [(str(member), float(score)) for member, score in ranked]
