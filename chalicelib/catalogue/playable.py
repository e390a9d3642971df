"""Make a title playable: attach an encoded asset to it and to its browse cards."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.catalogue.models import FacetModel, TitleModel
from chalicelib.catalogue.writer import facet_items
from chalicelib.clock import iso


def attach_asset(title_id: str, asset: dict[str, Any]) -> bool:
    """Set the title's asset (False when there is no such title)."""
    try:
        title = TitleModel.get(title_id, consistent_read=True)
    except TitleModel.DoesNotExist:
        return False
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
