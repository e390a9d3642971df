"""An admin's maturity rating of a title: it overrides the source's, and survives
re-imports (the catalogue writer carries it over)."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.openapi.responses import TitleMaturity
from chalicelib.platform.errors import catalogued
from chalicelib.profiles import maturity


def rate_title(title_id: str, rating: str) -> TitleMaturity:
    """Set (or with "" clear) the admin's rating of a title; the rating now in effect."""
    name = maturity.canonical(rating) if rating else None
    if rating and name is None:
        raise catalogued("unknown_maturity", rating=rating[:12],
                         ratings=", ".join(maturity.RATINGS))
    for _ in range(3):  # the title's version guards every write: re-read on a race
        try:
            item = TitleModel.get(title_id, consistent_read=True)
        except TitleModel.DoesNotExist:
            raise catalogued("title_not_found") from None
        action = (TitleModel.admin_maturity.set(name) if name
                  else TitleModel.admin_maturity.remove())
        try:
            item.update(actions=[action], condition=TitleModel.id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        return {"title_id": title_id, "maturity": item.maturity_rating}
    raise catalogued("service_unavailable")
