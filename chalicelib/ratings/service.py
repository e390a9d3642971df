"""A viewer's thumbs up and down: read, set and clear, in ``user-titles``.

Ratings live beside what the viewer watched (``UserTitleModel.rating`` and ``rated_at``,
keyed by the viewer id), the very attributes an IMDb list import writes, so an imported 8 is
shown as thumbs up and a thumb is one more rating to the graph (:mod:`.thumbs` has the
mapping). Writes are conditional: setting the rating it already has, or clearing none,
changes nothing and tells nobody. A change is handed to ``on_rated`` (the composition root
queues the graph's ``RATED`` edge and drops the viewer's cached recommendations).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.catalogue.titles.user_titles import user_title_base
from chalicelib.openapi.responses import TitleRating
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued
from chalicelib.platform.ids import is_title_id
from chalicelib.ratings.thumbs import Thumb, ViewerThumbs, rating_of, thumb_of

logger = Logger(service="notflix", child=True)
#: Thumbs-down titles whose names the recommendations give (the newest).
NAMED_DOWN = 3
#: Told of every change: (viewer id, title id, the new rating or None when cleared, when).
OnRated = Callable[[str, str, int | None, str], None]


def _whole(rating: float | int | Decimal | None) -> int | None:
    return round(float(rating)) if rating is not None else None


class Ratings:
    def __init__(self, exists: Callable[[str], bool],
                 names: Callable[[list[str]], dict[str, str]],
                 on_rated: OnRated | None = None) -> None:
        self.exists = exists
        self.names = names
        self.on_rated = on_rated

    def get(self, viewer_id: str, title_id: str) -> TitleRating:
        """The viewer's rating of a title (nulls when unrated; no title read)."""
        _check_id(title_id)
        try:
            item = UserTitleModel.get(viewer_id, title_id, consistent_read=True,
                                      attributes_to_get=["rating", "rated_at"])
        except UserTitleModel.DoesNotExist:
            return _rating(title_id, None, None)
        return _rating(title_id, _whole(item.rating), item.rated_at)

    def set(self, viewer_id: str, title_id: str, thumb: Thumb) -> TitleRating:
        _check_id(title_id)
        if not self.exists(title_id):
            raise catalogued("title_not_found")
        rating, now = rating_of(thumb), iso()
        item = UserTitleModel(viewer_id, title_id)
        try:
            item.update(actions=[UserTitleModel.rating.set(rating),
                                 UserTitleModel.rated_at.set(now),
                                 *user_title_base("rating", now)],
                        condition=(UserTitleModel.rating.does_not_exist()
                                   | (UserTitleModel.rating != rating)))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return {**self.get(viewer_id, title_id), "changed": False}
        logger.info("title rated", title_id=title_id, thumb=thumb, rating=rating)
        self._tell(viewer_id, title_id, rating, now)
        return {**_rating(title_id, rating, now), "changed": True}

    def clear(self, viewer_id: str, title_id: str) -> TitleRating:
        _check_id(title_id)
        now = iso()
        item = UserTitleModel(viewer_id, title_id)
        try:
            item.update(actions=[UserTitleModel.rating.remove(),
                                 UserTitleModel.rated_at.remove(),
                                 UserTitleModel.updated_at.set(now)],
                        condition=UserTitleModel.rating.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return {**_rating(title_id, None, None), "changed": False}
        logger.info("rating cleared", title_id=title_id)
        self._tell(viewer_id, title_id, None, now)
        return {**_rating(title_id, None, None), "changed": True}

    def thumbs(self, viewer_id: str) -> ViewerThumbs:
        """Every thumb of the viewer (imported ratings read as thumbs too), newest first,
        with the names of the newest thumbs-down titles."""
        rated = [(item.rated_at or "", item.title_id, thumb_of(item.rating))
                 for item in UserTitleModel.query(
                     viewer_id, consistent_read=True,  # the rating just given counts
                     filter_condition=UserTitleModel.rating.exists(),
                     attributes_to_get=["title_id", "rating", "rated_at"])]
        rated.sort(reverse=True)
        up = tuple(t for _, t, thumb in rated if thumb == "up")
        down = tuple(t for _, t, thumb in rated if thumb == "down")
        return ViewerThumbs(up, down, self.names(list(down[:NAMED_DOWN])) if down else {})

    def _tell(self, viewer_id: str, title_id: str, rating: int | None, at: str) -> None:
        if self.on_rated is None:
            return
        try:
            self.on_rated(viewer_id, title_id, rating, at)
        except Exception as exc:  # the rating stands; the graph catches up at the next one
            logger.error("rating not passed on", error=type(exc).__name__)


def _rating(title_id: str, rating: int | None, rated_at: str | None) -> TitleRating:
    return {"title_id": title_id, "thumb": thumb_of(rating), "rating": rating,
            "rated_at": rated_at if rating is not None else None}


def _check_id(title_id: str) -> None:
    if not is_title_id(title_id):  # no title has such an id
        raise catalogued("title_not_found")
