"""Make a title playable: attach an encoded asset to it and to its browse cards."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.catalogue.titles.models import EpisodeModel, FacetModel, TitleModel
from chalicelib.catalogue.titles.writer import facet_items
from chalicelib.platform.clock import iso

#: A series' own asset: it plays through its episodes' assets.
EPISODES = {"kind": "episodes"}


def title_exists(title_id: str, episode: str | None = None) -> bool:
    """Whether an upload may name this title (and episode): it exists in the catalogue."""
    try:
        title = TitleModel.get(title_id, consistent_read=True)
    except TitleModel.DoesNotExist:
        return False
    if episode is None:
        return True
    if title.kind != "series":
        return False
    try:
        EpisodeModel.get(title_id, episode, consistent_read=True)
    except EpisodeModel.DoesNotExist:
        return False
    return True


def attach_asset(title_id: str, asset: dict[str, Any], episode: str | None = None) -> bool:
    """Set the title's (or one episode's) asset; False when there is no such title/episode.

    A series with a playable episode is playable itself (its asset says "episodes").
    """
    try:
        title = TitleModel.get(title_id, consistent_read=True)
    except TitleModel.DoesNotExist:
        return False
    if episode is not None:
        if title.kind != "series":
            return False
        try:
            EpisodeModel(title_id, episode).update(actions=[EpisodeModel.asset.set(asset)],
                                                   condition=EpisodeModel.series_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        if title.asset is not None:
            return True
        asset = EPISODES
    try:
        title.update(actions=[TitleModel.asset.set(asset), TitleModel.updated_at.set(iso())],
                     condition=TitleModel.id.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    title.asset = asset
    with FacetModel.batch_write() as cards:  # every card says playable; one more partition
        for item in facet_items(title):
            cards.save(item)
    return True
