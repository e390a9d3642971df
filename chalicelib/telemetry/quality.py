"""Beacons in, the console's playback report out: QoE counters per UTC day x {all plays, a
title, a rendition} in Redis.

Per day and scope, one hash of counters (plays, starts, start failures, exits before the
first frame, rebuffers and their time, time watched, switches, dropped frames, errors, the
sum of each started view's start-up score) and one hash of start-up times in 2% geometric
buckets (:mod:`chalicelib.telemetry.histogram`). Two sets list the day's titles and
renditions. Every key expires after 35 days.

Once per play (one Lua call on the play's registry item, atomic with the batch's
idempotency marker, ``SET NX`` on the play's batch number):

- its outcome: the first of *started*, *failed to start* (an error before the first frame)
  or *exited before the first frame* counts the play, and only a failure may still turn
  into a start (the player recovered); a second start, an exit after a start, a start after
  an exit are ignored;
- the rendition it watched most: the play's time per rendition is summed on its registry
  item, and when its leader changes the rendition counter ``most_watched`` moves from one
  rendition to the other, so each play counts for exactly one rendition.

Rebuffer ratio = rebuffer time / (time watched + rebuffer time). The start-up score is
Mux's, per view: 8 / (8 + seconds to the first frame) x 100, averaged over started views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import utc_day
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import logger
from chalicelib.telemetry import histogram
from chalicelib.telemetry.plays import PLAY_TTL_S, Play, PlayRegistry

if TYPE_CHECKING:
    import redis

    from chalicelib.openapi.responses import PlaybackQuality, PlaybackRow
    from chalicelib.telemetry.schemas import PlaybackEventsIn

KEEP_DAYS = 35
KEEP_S = KEEP_DAYS * 86_400
MAX_REPORT_DAYS = KEEP_DAYS
COUNTERS = ("plays", "starts", "start_failures", "exits_before_start", "rebuffer_count",
            "rebuffer_ms", "watch_ms", "switches", "dropped_frames", "errors",
            "score_milli", "startup_ms_sum", "most_watched")
#: A rendition name the play was not granted (dash.js naming one we do not know).
OTHER = "other"

PLAY_STATE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return {'duplicate', '', '', '', ''}
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local wanted = ARGV[2]
local before = redis.call('HGET', KEYS[1], 'outcome') or ''
local changed = ''
if wanted ~= '' then
  if before == '' then
    redis.call('HSET', KEYS[1], 'outcome', wanted)
    changed = wanted
  elseif before == 'failure' and wanted == 'start' then
    redis.call('HSET', KEYS[1], 'outcome', 'start')
    changed = 'recovered'
  end
end
local old_top = redis.call('HGET', KEYS[1], 'top') or ''
local new_top = old_top
local pairs_count = tonumber(ARGV[3])
if pairs_count > 0 then
  for i = 0, pairs_count - 1 do
    redis.call('HINCRBY', KEYS[1], 'rt:' .. ARGV[4 + 2 * i], ARGV[5 + 2 * i])
  end
  local best = -1
  if old_top ~= '' then best = tonumber(redis.call('HGET', KEYS[1], 'rt:' .. old_top) or '0') end
  local fields = redis.call('HGETALL', KEYS[1])
  for i = 1, #fields, 2 do
    local name = fields[i]
    if string.sub(name, 1, 3) == 'rt:' then
      local ms = tonumber(fields[i + 1])
      if ms > best then
        best = ms
        new_top = string.sub(name, 4)
      end
    end
  end
  if new_top ~= old_top then redis.call('HSET', KEYS[1], 'top', new_top) end
end
return {'ok', before, changed, old_top, new_top}
"""


@dataclass(frozen=True)
class Recorded:
    """What one batch did: ``duplicate`` when this batch number was seen before."""

    duplicate: bool
    counted_outcome: str  # "", "start", "failure", "exit" or "recovered"


class _Deltas:
    """Counter and histogram increments per scope, written in one pipeline."""

    def __init__(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}
        self.buckets: dict[str, dict[int, int]] = {}
        self.title_renditions: dict[str, int] = {}

    def add(self, scopes: Iterable[str], name: str, amount: int) -> None:
        if amount == 0:
            return
        for scope in scopes:
            counters = self.counters.setdefault(scope, {})
            counters[name] = counters.get(name, 0) + amount

    def startup(self, scopes: Iterable[str], ms: int) -> None:
        index = histogram.bucket(ms)
        score_milli = round(histogram.startup_score(ms / 1000) * 1000)
        for scope in scopes:
            self.buckets.setdefault(scope, {})
            self.buckets[scope][index] = self.buckets[scope].get(index, 0) + 1
        self.add(scopes, "score_milli", score_milli)
        self.add(scopes, "startup_ms_sum", ms)


class QualityStore:
    def __init__(self, client: redis.Redis, prefix: str, plays: PlayRegistry,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.redis = client
        self.prefix = f"{prefix}:qoe"
        self.plays = plays
        self.clock = clock or (lambda: datetime.now(UTC))
        self._play_state = client.register_script(PLAY_STATE)

    # -- keys --------------------------------------------------------------------------------
    def _scope_key(self, day: str, scope: str) -> str:
        return f"{self.prefix}:{day}:{scope}"

    def _index_key(self, day: str, kind: str) -> str:
        return f"{self.prefix}:{day}:index:{kind}"

    # -- beacons -----------------------------------------------------------------------------
    def owned_play(self, owner: str, play_id: str) -> Play:
        """The play, when ``owner`` was granted it; otherwise the catalogued 404 (a play of
        someone else is as unknown to the caller as one that never was)."""
        play = self.plays.find(play_id)
        if play is None or play.owner != owner:
            raise catalogued("play_not_found")
        return play

    def record(self, owner: str, batch: PlaybackEventsIn) -> Recorded:
        """Count one batch of a play's events, once, into today's aggregates."""
        play = self.owned_play(owner, batch.play_id)
        known = set(play.renditions)

        def named(rendition: str | None) -> str | None:
            if rendition is None:
                return None
            return rendition if rendition in known else OTHER

        start = next((e for e in batch.events if e.type == "start"), None)
        failed = any(e.type == "error" and e.before_start for e in batch.events)
        exited = any(e.type == "exit_before_start" for e in batch.events)
        wanted = ("start" if start is not None else "failure" if failed
                  else "exit" if exited else "")
        watched: dict[str, int] = {}
        for event in batch.events:
            if event.type == "rendition_time" and event.ms > 0:
                name = named(event.rendition) or OTHER
                watched[name] = watched.get(name, 0) + event.ms
        args: list[Any] = [PLAY_TTL_S, wanted, len(watched)]
        for name, ms in watched.items():
            args += [name, ms]
        state = [str(v) for v in self._play_state(
            keys=[self.plays.key(play.play_id),
                  f"{self.plays.key(play.play_id)}:seq:{batch.seq}"], args=args)]
        if state[0] == "duplicate":
            return Recorded(True, "")
        _, _before, changed, old_top, new_top = state

        everywhere = ["all", f"t:{play.title_id}"]
        deltas = _Deltas()
        if changed in ("start", "recovered") and start is not None and start.type == "start":
            rendition = named(start.rendition) or OTHER
            scopes = [*everywhere, f"r:{rendition}"]
            deltas.add(scopes, "starts", 1)
            deltas.add([f"r:{rendition}"], "plays", 1)
            deltas.startup(scopes, start.startup_ms)
            if changed == "start":
                deltas.add(everywhere, "plays", 1)
            else:
                deltas.add(everywhere, "start_failures", -1)
        elif changed == "failure":
            deltas.add(everywhere, "plays", 1)
            deltas.add(everywhere, "start_failures", 1)
        elif changed == "exit":
            deltas.add(everywhere, "plays", 1)
            deltas.add(everywhere, "exits_before_start", 1)
        for event in batch.events:
            if event.type == "rebuffer":
                scopes = everywhere + ([f"r:{r}"] if (r := named(event.rendition)) else [])
                deltas.add(scopes, "rebuffer_count", 1)
                deltas.add(scopes, "rebuffer_ms", event.ms)
            elif event.type == "switch":
                deltas.add([*everywhere, f"r:{named(event.to_rendition)}"], "switches", 1)
            elif event.type == "dropped_frames":
                scopes = everywhere + ([f"r:{r}"] if (r := named(event.rendition)) else [])
                deltas.add(scopes, "dropped_frames", event.frames)
            elif event.type == "error":
                deltas.add(everywhere, "errors", 1)
        for name, ms in watched.items():
            deltas.add([*everywhere, f"r:{name}"], "watch_ms", ms)
            deltas.title_renditions[name] = deltas.title_renditions.get(name, 0) + ms
        if new_top != old_top:
            if old_top:
                deltas.add([f"r:{old_top}"], "most_watched", -1)
            deltas.add([f"r:{new_top}"], "most_watched", 1)
        self._write(utc_day(self.clock().timestamp()), play.title_id, deltas)
        if changed:
            logger.info("playback outcome", play_id=play.play_id, title_id=play.title_id,
                        outcome=changed)
        return Recorded(False, changed)

    def _write(self, day: str, title_id: str, deltas: _Deltas) -> None:
        pipe = self.redis.pipeline(transaction=True)
        touched: set[str] = set()
        for scope, counters in deltas.counters.items():
            key = self._scope_key(day, scope)
            for name, amount in counters.items():
                pipe.hincrby(key, name, amount)
            touched.add(key)
        for scope, buckets in deltas.buckets.items():
            key = self._scope_key(day, scope) + ":h"
            for index, count in buckets.items():
                pipe.hincrby(key, str(index), count)
            touched.add(key)
        if deltas.title_renditions:
            key = self._scope_key(day, f"t:{title_id}") + ":rt"
            for name, ms in deltas.title_renditions.items():
                pipe.hincrby(key, name, ms)
            touched.add(key)
        titles = self._index_key(day, "titles")
        renditions = self._index_key(day, "renditions")
        scopes = set(deltas.counters) | set(deltas.buckets)
        pipe.sadd(titles, title_id)
        for scope in scopes:
            if scope.startswith("r:"):
                pipe.sadd(renditions, scope[2:])
        touched |= {titles, renditions}
        for key in touched:
            pipe.expire(key, KEEP_S)
        pipe.execute()

    # -- the report ----------------------------------------------------------------------------
    def _days(self, count: int) -> list[str]:
        today = self.clock().astimezone(UTC).date()
        return [(today - timedelta(days=n)).isoformat() for n in range(count)]

    def report(self, days: int, title_names: Callable[[list[str]], dict[str, str]]
               ) -> PlaybackQuality:
        """The last ``days`` UTC days (today included): all plays, each title, each
        rendition."""
        if not 1 <= days <= MAX_REPORT_DAYS:
            raise catalogued("bad_query_param", name="days",
                             problem=f"must be a whole number from 1 to {MAX_REPORT_DAYS}")
        wanted = self._days(days)
        pipe = self.redis.pipeline(transaction=False)
        for day in wanted:
            pipe.smembers(self._index_key(day, "titles"))
            pipe.smembers(self._index_key(day, "renditions"))
        found = pipe.execute()
        title_ids = sorted({str(t) for s in found[0::2] for t in s})
        renditions = sorted({str(r) for s in found[1::2] for r in s})
        scopes = ["all", *(f"t:{t}" for t in title_ids), *(f"r:{r}" for r in renditions)]
        pipe = self.redis.pipeline(transaction=False)
        for scope in scopes:
            for day in wanted:
                key = self._scope_key(day, scope)
                pipe.hgetall(key)
                pipe.hgetall(key + ":h")
                pipe.hgetall(key + ":rt")
        raw = pipe.execute()
        per_scope: dict[str, tuple[dict[str, int], dict[int, int], dict[str, int]]] = {}
        at = 0
        for scope in scopes:
            counters: dict[str, int] = {}
            buckets: dict[int, int] = {}
            watched: dict[str, int] = {}
            for _ in wanted:
                for name, value in raw[at].items():
                    counters[str(name)] = counters.get(str(name), 0) + int(value)
                for index, value in raw[at + 1].items():
                    buckets[int(index)] = buckets.get(int(index), 0) + int(value)
                for name, value in raw[at + 2].items():
                    watched[str(name)] = watched.get(str(name), 0) + int(value)
                at += 3
            per_scope[scope] = (counters, buckets, watched)
        names = title_names(title_ids) if title_ids else {}
        today = self.clock().astimezone(UTC).date()
        first = today - timedelta(days=days - 1)

        def row(scope: str, label: str) -> PlaybackRow:
            counters, buckets, watched = per_scope[scope]
            return _row(label, counters, buckets, watched)

        titles = []
        for title_id in title_ids:
            entry = row(f"t:{title_id}", names.get(title_id, title_id))
            entry["title_id"] = title_id
            titles.append(entry)
        titles.sort(key=lambda r: (-r["plays"], r["name"]))
        by_rendition = [row(f"r:{r}", r) for r in renditions]
        by_rendition.sort(key=lambda r: _rendition_order(r["name"]))
        return {"days": days, "first_day": first.isoformat(),
                "last_day": today.isoformat(),
                "overall": row("all", "All plays"), "titles": titles,
                "renditions": by_rendition}


def _rendition_order(name: str) -> tuple[int, str]:
    digits = name.rstrip("p")
    return (-int(digits) if digits.isdigit() else 1, name)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole > 0 else None


def _row(name: str, counters: dict[str, int], buckets: dict[int, int],
         watched: dict[str, int]) -> PlaybackRow:
    c = {k: max(0, counters.get(k, 0)) for k in COUNTERS}
    p50 = histogram.percentile(buckets, 0.5)
    p95 = histogram.percentile(buckets, 0.95)
    started = sum(buckets.values())
    most = max(watched.items(), key=lambda kv: (kv[1], kv[0]))[0] if watched else None
    return {
        "name": name, "plays": c["plays"], "starts": c["starts"],
        "start_failures": c["start_failures"], "exits_before_start": c["exits_before_start"],
        "video_start_p50_ms": round(p50) if p50 is not None else None,
        "video_start_p95_ms": round(p95) if p95 is not None else None,
        "video_start_mean_ms": (round(c["startup_ms_sum"] / started) if started else None),
        "startup_score": (round(c["score_milli"] / 1000 / started, 1) if started else None),
        "rebuffer_ratio": _ratio(c["rebuffer_ms"], c["watch_ms"] + c["rebuffer_ms"]),
        "rebuffer_count": c["rebuffer_count"], "rebuffer_ms": c["rebuffer_ms"],
        "watch_ms": c["watch_ms"], "switches": c["switches"],
        "dropped_frames": c["dropped_frames"], "errors": c["errors"],
        "most_watched_plays": c["most_watched"], "most_watched_rendition": most,
        "startup_histogram": {str(k): v for k, v in sorted(buckets.items())},
    }
