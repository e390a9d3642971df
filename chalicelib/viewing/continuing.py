"""The "continue watching" row: titles in progress, most recent first, with where to resume."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalicelib.catalogue.titles.browse import card
from chalicelib.catalogue.titles.episodes import episode_label
from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.openapi.responses import ContinuingTitle
from chalicelib.viewing.resume import ResumeStore


class ContinueWatching:
    def __init__(self, resume: ResumeStore, image_base: str) -> None:
        self.resume = resume
        self.image_base = image_base

    def titles(self, user_id: str, limit: int) -> list[ContinuingTitle]:
        """Films and series in progress; a series once, at its latest episode."""
        latest: dict[str, tuple[str | None, dict[str, Any]]] = {}
        for member, point in self.resume.continuing(user_id, limit * 2):
            title_id, _, key = member.partition("#")
            if title_id not in latest:
                latest[title_id] = (key or None, point)
        ids = list(latest)[:limit]
        if not ids:
            return []
        titles = {t.id: t for t in TitleModel.batch_get(ids)}
        return [{**card(titles[i], self.image_base), "resume_s": point["resume_s"],
                 "progress": point["progress"], "watched_at": point.get("at"),
                 "episode": episode_label(key) if key else None,
                 "left_s": _left(point), "watch_url": _watch_url(i, key)}
                for i in ids if i in titles for key, point in [latest[i]]]

    def remove(self, user_id: str, title_id: str) -> int:
        """Take a title (a series: all its episodes) out of the row; how many entries went.
        Its resume points stay (playing it again still resumes), as Netflix's "remove from
        row" keeps the history."""
        return self.resume.drop_from_row(user_id, title_id)


def _left(point: dict[str, Any]) -> float:
    duration = float(point.get("duration_s") or 0)
    return round(max(0.0, duration - float(point.get("position_s") or 0)), 1)


def _watch_url(title_id: str, key: str | None) -> str:
    path = f"/watch/{quote(title_id, safe='')}"
    return f"{path}?episode={episode_label(key)}" if key else path
