"""Beacons in, the console's playback report out: QoE counters per UTC day x {all plays, a
title, a rendition} in Redis.

Per day and scope, one hash of counters (plays, starts, start failures, exits before the
first frame, rebuffers and their time, time watched, switches, dropped frames, errors, the
sum of each started view's start-up score) and one hash of start-up times in 2% geometric
buckets (:mod:`chalicelib.telemetry.histogram`). Two sets list the day's titles and
renditions. Every key expires after 35 days.

A batch is recorded by one Lua call, atomic as a whole: its idempotency marker (``SET NX``
on the play's batch number), the play's state on its registry item and the day's counters
(a batch is never marked seen without its counters, so the player's retry of a batch whose
call failed counts it once). Once per play:

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

#: One batch, counted once and whole in one script: the batch number marked seen, the play's
#: outcome and time per rendition updated, and the day's counters written, together (a
#: batch marked seen whose counters were then lost could never be counted again: the player's
#: retry would be a duplicate). The counters that depend on the play's state (its outcome
#: now counted, or recovered from a failure; the rendition watched most) are chosen here.
#: ARGV: play TTL, wanted outcome, keep seconds, rendition scope prefix, renditions index,
#: then groups, each a count and its items: the (rendition, ms) pairs watched, the writes
#: made whatever the state, then those made when the outcome counted is "start",
#: "recovered", "failure" or "exit". A write is (H, key, field, amount) or (S, key, member).
#: The scope keys are named in ARGV, not KEYS: one Redis node (not cluster mode).
RECORD = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return {'duplicate', ''}
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local at = 6
local function group()
  local count = tonumber(ARGV[at])
  local first = at + 1
  at = at + 1 + count
  return first, count
end
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
local first, count = group()
if count > 0 then
  for i = first, first + count - 1, 2 do
    redis.call('HINCRBY', KEYS[1], 'rt:' .. ARGV[i], ARGV[i + 1])
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
local touched = {}
local function apply(from, items)
  local i = from
  while i < from + items do
    if ARGV[i] == 'H' then
      redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
      touched[ARGV[i + 1]] = true
      i = i + 4
    else
      redis.call('SADD', ARGV[i + 1], ARGV[i + 2])
      touched[ARGV[i + 1]] = true
      i = i + 3
    end
  end
end
apply(group())
for _, outcome in ipairs({'start', 'recovered', 'failure', 'exit'}) do
  local from, items = group()
  if changed == outcome then apply(from, items) end
end
if new_top ~= old_top then
  if old_top ~= '' then
    redis.call('HINCRBY', ARGV[4] .. old_top, 'most_watched', -1)
    touched[ARGV[4] .. old_top] = true
  end
  redis.call('HINCRBY', ARGV[4] .. new_top, 'most_watched', 1)
  redis.call('SADD', ARGV[5], new_top)
  touched[ARGV[4] .. new_top] = true
  touched[ARGV[5]] = true
end
for key in pairs(touched) do redis.call('EXPIRE', key, ARGV[3]) end
return {'ok', changed}
"""
#: The outcomes whose counters the script chooses between, in its order.
OUTCOMES = ("start", "recovered", "failure", "exit")


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
        self._record = client.register_script(RECORD)

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
        everywhere = ["all", f"t:{play.title_id}"]
        watched: dict[str, int] = {}
        always = _Deltas()
        for event in batch.events:
            if event.type == "rendition_time" and event.ms > 0:
                name = named(event.rendition) or OTHER
                watched[name] = watched.get(name, 0) + event.ms
            elif event.type == "rebuffer":
                scopes = everywhere + ([f"r:{r}"] if (r := named(event.rendition)) else [])
                always.add(scopes, "rebuffer_count", 1)
                always.add(scopes, "rebuffer_ms", event.ms)
            elif event.type == "switch":
                always.add([*everywhere, f"r:{named(event.to_rendition)}"], "switches", 1)
            elif event.type == "dropped_frames":
                scopes = everywhere + ([f"r:{r}"] if (r := named(event.rendition)) else [])
                always.add(scopes, "dropped_frames", event.frames)
            elif event.type == "error":
                always.add(everywhere, "errors", 1)
        for name, ms in watched.items():
            always.add([*everywhere, f"r:{name}"], "watch_ms", ms)
            always.title_renditions[name] = always.title_renditions.get(name, 0) + ms
        when_counted = {outcome: _Deltas() for outcome in OUTCOMES}
        if start is not None:
            rendition = named(start.rendition) or OTHER
            for outcome in ("start", "recovered"):
                deltas = when_counted[outcome]
                scopes = [*everywhere, f"r:{rendition}"]
                deltas.add(scopes, "starts", 1)
                deltas.add([f"r:{rendition}"], "plays", 1)
                deltas.startup(scopes, start.startup_ms)
            when_counted["start"].add(everywhere, "plays", 1)
            when_counted["recovered"].add(everywhere, "start_failures", -1)
        when_counted["failure"].add(everywhere, "plays", 1)
        when_counted["failure"].add(everywhere, "start_failures", 1)
        when_counted["exit"].add(everywhere, "plays", 1)
        when_counted["exit"].add(everywhere, "exits_before_start", 1)

        day = utc_day(self.clock().timestamp())
        args: list[Any] = [PLAY_TTL_S, wanted, KEEP_S, self._scope_key(day, "r:"),
                           self._index_key(day, "renditions"), 2 * len(watched)]
        for name, ms in watched.items():
            args += [name, ms]
        for deltas in (always, *(when_counted[o] for o in OUTCOMES)):
            writes = self._writes(day, play.title_id, deltas)
            args += [len(writes), *writes]
        status, changed = (str(v) for v in self._record(
            keys=[self.plays.key(play.play_id),
                  f"{self.plays.key(play.play_id)}:seq:{batch.seq}"], args=args))
        if status == "duplicate":
            return Recorded(True, "")
        if changed:
            logger.info("playback outcome", play_id=play.play_id, title_id=play.title_id,
                        outcome=changed)
        return Recorded(False, changed)

    def _writes(self, day: str, title_id: str, deltas: _Deltas) -> list[Any]:
        """The script's flat writes for these increments: (H, key, field, amount) and
        (S, key, member) for the day's indexes of titles and renditions."""
        writes: list[Any] = []
        for scope, counters in deltas.counters.items():
            key = self._scope_key(day, scope)
            for name, amount in counters.items():
                writes += ["H", key, name, amount]
        for scope, buckets in deltas.buckets.items():
            key = self._scope_key(day, scope) + ":h"
            for index, count in buckets.items():
                writes += ["H", key, str(index), count]
        key = self._scope_key(day, f"t:{title_id}") + ":rt"
        for name, ms in deltas.title_renditions.items():
            writes += ["H", key, name, ms]
        scopes = set(deltas.counters) | set(deltas.buckets)
        if scopes:
            writes += ["S", self._index_key(day, "titles"), title_id]
        for scope in sorted(scopes):
            if scope.startswith("r:"):
                writes += ["S", self._index_key(day, "renditions"), scope[2:]]
        return writes

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
