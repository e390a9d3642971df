"""Viewing history: plays started and finished, newest first, a page at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.catalogue.titles.browse import card
from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.openapi.responses import History, HistoryEntry
from chalicelib.platform import cursors
from chalicelib.platform.clock import iso
from chalicelib.viewing.models import HistoryModel

KEEP = timedelta(days=365)


class ViewingHistory:
    def __init__(self, image_base: str) -> None:
        self.image_base = image_base

    @staticmethod
    def record(user_id: str, title_id: str, event: str, position_s: float, progress: float,
               at: datetime, episode: str | None = None) -> None:
        """Idempotent per (time, title, event): a retried post writes the same item."""
        HistoryModel(user_id, f"{iso(at)}#{title_id}#{event}", title_id=title_id, event=event,
                     episode=episode, at=iso(at), position_s=position_s, progress=progress,
                     expires_at=at + KEEP).save()

    def page(self, user_id: str, limit: int, cursor: str | None) -> History:
        start = cursors.decode(cursor, "user_id", user_id, "entry") if cursor else None
        result = HistoryModel.query(user_id, scan_index_forward=False, limit=limit,
                                    last_evaluated_key=start)
        items = list(result)
        titles = {t.id: t for t in TitleModel.batch_get({i.title_id for i in items})}
        entries: list[HistoryEntry] = [{"at": i.at, "event": i.event, "episode": i.episode,
                    "position_s": float(i.position_s),
                    "progress": float(i.progress),
                    "title": (card(titles[i.title_id], self.image_base)
                              if i.title_id in titles else {"id": i.title_id})}
                   for i in items]
        last = result.last_evaluated_key
        return {"history": entries,
                "next": cursors.encode(last, "entry") if last and len(items) == limit else None}
