"""What other domains call when something the graph mirrors changes.

Each call turns domain objects into graph rows and queues them (``GraphOutbox``). None of
them raises: the domain's own write has happened and stands; a failed send is logged, and
``notflix graph sync`` rebuilds titles from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.platform.clock import iso
from chalicelib.recommendations.events import (
    ForgetRow,
    RatingRow,
    UserRow,
    WatchRow,
    title_row,
)
from chalicelib.recommendations.outbox import GraphOutbox

if TYPE_CHECKING:
    from chalicelib.auth.users import User
    from chalicelib.catalogue.importing.imdb_import import Match

logger = Logger(service="notflix", child=True)


class GraphFeed:
    def __init__(self, outbox: GraphOutbox) -> None:
        self.outbox = outbox

    def user_registered(self, user: User) -> None:
        self._send("user", lambda: self.outbox.users([UserRow(user.id, user.created_at)]))

    def profile_created(self, profile_id: str, created_at: str) -> None:
        """A new profile is a new viewer: its own user node in the graph."""
        self._send("user", lambda: self.outbox.users([UserRow(profile_id, created_at)]))

    def viewer_forgotten(self, viewer_id: str) -> None:
        """A deleted profile: its watches and ratings leave the graph."""
        self._send("forget", lambda: self.outbox.forget([ForgetRow(viewer_id, iso())]))

    def titles_saved(self, titles: Sequence[TitleModel]) -> None:
        self._send("titles", lambda: self.outbox.titles([title_row(t) for t in titles]))

    def title_published(self, title_id: str) -> None:
        """The encoder attached an asset: the title is playable now."""
        def send() -> None:
            title = TitleModel.get(title_id, consistent_read=True)
            self.outbox.titles([title_row(title)])

        self._send("published title", send)

    def list_imported(self, user_id: str, matches: Sequence[Match]) -> None:
        """An IMDb list: each title WATCHED (once, completed), RATED where rated."""
        now = iso()
        watches: list[WatchRow] = []
        ratings: list[RatingRow] = []
        for match in matches:
            if match.title is None:
                continue
            at = (f"{match.row.date_rated}T00:00:00.000Z" if match.row.date_rated else now)
            watches.append(WatchRow(user=user_id, title=match.title.id, count=1, last_at=at,
                                    progress=1.0, completed=True))
            if match.row.personal_rating is not None:
                ratings.append(RatingRow(user=user_id, title=match.title.id,
                                         rating=float(match.row.personal_rating), rated_at=at))

        def send() -> None:
            self.outbox.watches(watches)
            self.outbox.ratings(ratings)

        self._send("imported list", send)

    def rated(self, user_id: str, title_id: str, rating: int | None, at: str) -> None:
        """A thumb set (or cleared: ``rating`` None) on a title page or the end card."""
        row = RatingRow(user=user_id, title=title_id,
                        rating=float(rating) if rating is not None else None, rated_at=at)
        self._send("rating", lambda: self.outbox.ratings([row]))

    @staticmethod
    def _send(what: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as exc:
            logger.error(f"graph update not queued: {what}", error=type(exc).__name__)
