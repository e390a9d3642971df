"""What every writer of a viewer's user-title item (progress, thumbs, IMDb imports) shares."""

from __future__ import annotations

from pynamodb.expressions.update import Action

from chalicelib.catalogue.titles.models import UserTitleModel


def user_title_base(source: str, at: str, watched: bool | None = None) -> list[Action]:
    """What every writer of a user-title item sets, whichever comes first: when it changed,
    who made it (kept once set) and, unless the writer knows, not watched yet."""
    return [UserTitleModel.updated_at.set(at),
            UserTitleModel.source.set(UserTitleModel.source | source),
            UserTitleModel.watched.set(UserTitleModel.watched | False if watched is None
                                       else watched)]
