"""The "continue watching" row: titles in progress, most recent first, with where to resume."""

from __future__ import annotations

from typing import Any

from chalicelib.catalogue.browse import card
from chalicelib.catalogue.models import TitleModel
from chalicelib.usage.resume import ResumeStore


class ContinueWatching:
    def __init__(self, resume: ResumeStore, image_base: str) -> None:
        self.resume = resume
        self.image_base = image_base

    def titles(self, user_id: str, limit: int) -> list[dict[str, Any]]:
        points = self.resume.continuing(user_id, limit)
        if not points:
            return []
        titles = {t.id: t for t in TitleModel.batch_get([i for i, _ in points])}
        return [{**card(titles[i], self.image_base), "resume_s": p["resume_s"],
                 "progress": p["progress"], "watched_at": p.get("at")}
                for i, p in points if i in titles]
