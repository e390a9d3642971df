"""Progress from the player: resume points, plays, completions, and what they feed.

Rules (as Jellyfin's): under 5% of the duration a title starts over and stays out of
"continue watching"; from 90% it counts as watched. A play is counted once per play id
(the player makes one per playback; without one, a pause of 30 minutes starts a new play),
with a conditional write, so concurrent or repeated posts count it once.

Only a user who may play the title (the entitlement playback checks) records progress.
The user-title item in DynamoDB is the record; Redis holds the resume point and the
continue-watching set; a new play feeds trending (a user counts there once per title and
UTC day, however many play ids they make); a new play or a completion queues a
WATCHED update for the graph and drops the user's cached recommendations. Redis and the
queue are best effort: their failure is logged, the record stands.

The write that counts a play (or a completion) also marks its follow-ups pending, with the
time they happened; they are cleared only once done. A post that fails in between (a 503)
is retried by the player with the same play id: it finds the mark and redoes them at the
recorded time, so the history entry is the same item, not lost and not doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.catalogue.titles.episodes import episode_key, episode_label
from chalicelib.catalogue.titles.models import (
    EpisodeModel,
    TitleModel,
    UserTitleModel,
)
from chalicelib.catalogue.titles.user_titles import user_title_base
from chalicelib.openapi.responses import ProgressRecorded
from chalicelib.platform.clock import iso, now, parse_iso
from chalicelib.platform.errors import catalogued
from chalicelib.recommendations.events import WatchRow
from chalicelib.viewing.history import ViewingHistory
from chalicelib.viewing.resume import WATCHED_FROM, ResumeStore, resume_point
from chalicelib.viewing.updates import Progress

if TYPE_CHECKING:
    from chalicelib.recommendations.cache import RecommendationCache
    from chalicelib.recommendations.outbox import GraphOutbox
    from chalicelib.recommendations.trending import Trending

logger = Logger(service="notflix", child=True)
NEW_PLAY_AFTER = timedelta(minutes=30)


class ProgressService:
    def __init__(self, resume: ResumeStore, history: ViewingHistory, outbox: GraphOutbox,
                 trending: Trending, recommendations: RecommendationCache,
                 require_entitlement: Callable[[str], None]) -> None:
        #: Playback's check (Entitlements.require): only who may play records progress.
        self.require_entitlement = require_entitlement
        self.resume = resume
        self.history = history
        self.outbox = outbox
        self.trending = trending
        self.recommendations = recommendations

    def record(self, user_id: str, update: Progress,
               account_id: str | None = None) -> ProgressRecorded:
        """Record a viewer's (a profile's) position; the subscription checked is
        ``account_id``'s (the viewer's own id when not given)."""
        if update.position_s > update.duration_s + 1:
            raise catalogued("bad_progress", duration=round(update.duration_s, 3))
        episode, credits_at = self._playable(update.title_id, update.episode)
        self.require_entitlement(account_id or user_id)
        resume_id = f"{update.title_id}#{episode}" if episode else update.title_id
        label = episode_label(episode) if episode else None
        at = now()
        position = min(update.position_s, update.duration_s)
        fraction = round(position / update.duration_s, 4)
        if credits_at is not None and position >= credits_at:
            # watched at the credits or at 90%, whichever comes first (Plex's rule)
            fraction = max(fraction, WATCHED_FROM)
        # the resume point first (one Redis write): "continue watching" on the page the
        # viewer goes to next must not wait for the bookkeeping below
        self._remember(user_id, resume_id, position, update.duration_s, fraction, at)
        play_id = update.play_id or self._current_play(user_id, update.title_id, at)
        item, new_play = self._save(user_id, update.title_id, play_id, position,
                                    update.duration_s, fraction, iso(at))
        completed_now = fraction >= WATCHED_FROM and self._complete(item, play_id, iso(at))
        started, finished = self._pending(item, play_id)
        if started or finished:
            self._follow_up(user_id, update.title_id, label, item, play_id, started,
                            finished, position, fraction)
            self._done(item, play_id, started, finished)
        return {"title_id": update.title_id, "episode": label, "play_id": play_id,
                "position_s": position,
                "duration_s": update.duration_s, "progress": fraction,
                "resume_s": resume_point(position, fraction),
                "watched": bool(item.watched) or completed_now,
                "play_count": int(item.play_count or 1),
                "new_play": new_play or started is not None}

    @staticmethod
    def _pending(item: UserTitleModel, play_id: str) -> tuple[str | None, str | None]:
        """When this play's start and finish happened, if their follow-ups are not done."""
        if item.pending_play_id != play_id:
            return None, None
        return item.pending_started_at, item.pending_finished_at

    def _follow_up(self, user_id: str, title_id: str, label: str | None,
                   item: UserTitleModel, play_id: str, started: str | None,
                   finished: str | None, position: float, fraction: float) -> None:
        """History (must succeed), then trending, cache and graph (best effort); each is
        idempotent, so a retry (or a concurrent post of the same play) redoes them safely."""
        if started:
            self.history.record(user_id, title_id, "started", position, fraction,
                                parse_iso(started), label)
        if finished:
            self.history.record(user_id, title_id, "finished", position, fraction,
                                parse_iso(finished), label)
        if started:
            self._best_effort("trending", lambda: self.trending.record_play(
                title_id, parse_iso(started).timestamp(), viewer=user_id))
        if finished:  # never offered again, even before the graph hears of the watch
            self._best_effort("recommendation cache",
                              lambda: self.recommendations.finished(user_id, title_id))
        else:
            self._best_effort("recommendation cache",
                              lambda: self.recommendations.invalidate(user_id))
        row = WatchRow(user=user_id, title=title_id, count=int(item.play_count or 1),
                       last_at=str(finished or started), progress=fraction,
                       completed=bool(item.watched))
        self._best_effort("graph queue", lambda: self.outbox.watches([row]))

    @staticmethod
    def _done(item: UserTitleModel, play_id: str, started: str | None,
              finished: str | None) -> None:
        """Clear the mark, unless another post has meanwhile marked something else."""
        condition = UserTitleModel.pending_play_id == play_id
        for attribute, value in ((UserTitleModel.pending_started_at, started),
                                 (UserTitleModel.pending_finished_at, finished)):
            condition &= (attribute == value) if value else attribute.does_not_exist()
        try:
            item.update(actions=[UserTitleModel.pending_play_id.remove(),
                                 UserTitleModel.pending_started_at.remove(),
                                 UserTitleModel.pending_finished_at.remove()],
                        condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise  # the next post of this play redoes the follow-ups (idempotent)

    # -- parts ------------------------------------------------------------------------------
    @staticmethod
    def _playable(title_id: str, episode: str | None) -> tuple[str | None, float | None]:
        """Check the title (or its episode) has a stream; the episode's key, if any, and
        where its credits start, if found."""
        try:
            title = TitleModel.get(title_id, attributes_to_get=["id", "asset", "kind"])
        except TitleModel.DoesNotExist:
            raise catalogued("title_not_found") from None
        if title.asset is None:
            raise catalogued("title_not_playable")
        if title.kind != "series":
            return None, None
        key = episode_key(episode)
        if key is None:
            raise catalogued("episode_not_found", episode=(episode or "(none)")[:12])
        try:
            found = EpisodeModel.get(title_id, key, attributes_to_get=["asset", "segments"])
        except EpisodeModel.DoesNotExist:
            raise catalogued("episode_not_found", episode=episode) from None
        if found.asset is None:
            raise catalogued("episode_not_found", episode=episode)
        credits = [float(s["start_s"]) for s in found.segments or []
                   if s.get("kind") == "credits"]
        return key, (min(credits) if credits else None)

    @staticmethod
    def _current_play(user_id: str, title_id: str, at: datetime) -> str:
        """Without a play id: the last play's, unless it paused over 30 minutes ago."""
        try:
            item = UserTitleModel.get(user_id, title_id, consistent_read=True)
        except UserTitleModel.DoesNotExist:
            item = None
        if item is not None and item.last_play_id and item.last_at and (
                item.last_at >= iso(at - NEW_PLAY_AFTER)):
            return str(item.last_play_id)
        return f"auto-{uuid.uuid4().hex}"

    @staticmethod
    def _save(user_id: str, title_id: str, play_id: str, position: float, duration: float,
              fraction: float, at: str) -> tuple[UserTitleModel, bool]:
        """Write the position; count the play when its id is new. (item, counted)."""
        item = UserTitleModel(user_id, title_id)
        common: list[Action] = [UserTitleModel.position_s.set(position),
                  UserTitleModel.duration_s.set(duration),
                  UserTitleModel.progress.set(fraction), UserTitleModel.last_at.set(at),
                  *user_title_base("player", at)]
        try:
            item.update(actions=[*common, UserTitleModel.play_count.add(1),
                                 UserTitleModel.last_play_id.set(play_id),
                                 UserTitleModel.pending_play_id.set(play_id),
                                 UserTitleModel.pending_started_at.set(at),
                                 UserTitleModel.pending_finished_at.remove()],
                        condition=(UserTitleModel.last_play_id.does_not_exist()
                                   | (UserTitleModel.last_play_id != play_id)))
            return item, True
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        item.update(actions=common)
        return item, False

    @staticmethod
    def _complete(item: UserTitleModel, play_id: str, at: str) -> bool:
        """Mark this play's completion once; True the first time."""
        stale: list[Action] = ([] if item.pending_play_id == play_id
                               else [UserTitleModel.pending_started_at.remove()])
        try:
            item.update(actions=[UserTitleModel.completed_play_id.set(play_id),
                                 UserTitleModel.watched.set(True),
                                 UserTitleModel.watched_at.set(at),
                                 UserTitleModel.pending_play_id.set(play_id),
                                 UserTitleModel.pending_finished_at.set(at), *stale],
                        condition=(UserTitleModel.completed_play_id.does_not_exist()
                                   | (UserTitleModel.completed_play_id != play_id)))
            return True
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False

    def _remember(self, user_id: str, title_id: str, position: float, duration: float,
                  fraction: float, at: datetime) -> None:
        self._best_effort("resume point", lambda: self.resume.save(
            user_id, title_id, position, duration, fraction, at))

    @staticmethod
    def _best_effort(what: str, work: Any) -> None:
        try:
            work()
        except Exception as exc:
            logger.warning(f"{what} not updated", error=type(exc).__name__)
