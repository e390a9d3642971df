"""Per-user recommendation cache: a Redis sorted set of title ids by score and a hash with
each item's JSON (title fields and reasons), both expiring together.

A new watch drops both keys (:meth:`invalidate`), so the next request computes afresh. A
finished title is also remembered in a third set for ``finished_keep_s`` (:meth:`finished`):
the graph learns of the watch through a queue, so an answer computed before it has (or
cached late) could still offer the title; the recommender leaves these out of every answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.openapi.responses import Recommended

if TYPE_CHECKING:
    import redis


class RecommendationCache:
    def __init__(self, client: redis.Redis, prefix: str, ttl_s: int = 900,
                 finished_keep_s: int = 86_400) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.finished_keep_s = finished_keep_s

    def _keys(self, user_id: str) -> tuple[str, str]:
        base = f"{self.prefix}:recs:{user_id}"
        return base, f"{base}:items"

    def get(self, user_id: str, limit: int) -> list[Recommended] | None:
        """The cached items best first, or None when nothing is cached."""
        ranked_key, items_key = self._keys(user_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(ranked_key)
        pipe.zrevrange(ranked_key, 0, max(0, limit - 1))
        pipe.hgetall(items_key)
        exists, ids, items = pipe.execute()
        if not exists:
            return None
        return [json.loads(items[i]) for i in ids if i in items]

    def put(self, user_id: str, results: Sequence[Recommended]) -> None:
        ranked_key, items_key = self._keys(user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(ranked_key, items_key)
        if results:
            # rank by position (the score order of the results), best highest
            pipe.zadd(ranked_key, {r["id"]: len(results) - n for n, r in enumerate(results)})
            pipe.hset(items_key, mapping={r["id"]: json.dumps(r) for r in results})
        else:  # "nothing to recommend" is an answer too: a sentinel keeps it cached
            pipe.zadd(ranked_key, {"": 0})
        pipe.expire(ranked_key, self.ttl_s)
        pipe.expire(items_key, self.ttl_s)
        pipe.execute()

    def invalidate(self, user_id: str) -> None:
        self.invalidate_all({user_id})

    def invalidate_all(self, user_ids: set[str]) -> None:
        """Drop these users' cached answers (their watches reached the graph)."""
        keys = [key for user in sorted(user_ids) for key in self._keys(user)]
        if keys:
            self.redis.delete(*keys)

    def forget(self, user_id: str) -> None:
        """A deleted viewer's cached answer and recently finished titles."""
        self.redis.delete(*self._keys(user_id), self._finished_key(user_id))

    def _finished_key(self, user_id: str) -> str:
        return f"{self.prefix}:recs:{user_id}:finished"

    def finished(self, user_id: str, title_id: str) -> None:
        """The user has just finished ``title_id``: drop their cached answer and keep the
        title out of the next ones."""
        key = self._finished_key(user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*self._keys(user_id))
        pipe.sadd(key, title_id)
        pipe.expire(key, self.finished_keep_s)
        pipe.execute()

    def finished_titles(self, user_id: str) -> set[str]:
        return {str(m) for m in self.redis.smembers(self._finished_key(user_id))}
