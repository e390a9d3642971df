"""My List and ratings: the viewer's own picks, kept under the viewer id (the profile
watching). Each state change has a form-post twin for the pages (303 back to ``?next=``)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from chalice.app import Blueprint

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import SEE_OTHER, USER, Op
from chalicelib.openapi.queries import CURSOR, LIMIT, Param
from chalicelib.platform.http import (
    BODY_TYPES,
    Json,
    SeeOther,
    is_form,
    json_response,
    local_path,
    page_size,
    see_other,
)
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import body, query, request, viewer_id
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services

if TYPE_CHECKING:
    from chalicelib.ratings import schemas as rating_schemas
else:  # pydantic loads with the first request that parses a body
    rating_schemas = lazy_module("chalicelib.ratings.schemas")

bp = Blueprint(__name__)
BACK = Param("next", "Form posts: the page to go back to (a local path; anything else: the "
                     "title's page); as long as a page's address can be (a search, encoded)",
             max_length=2048)
LIST = ("My List holds at most 500 titles, newest first; adding a title already there or "
        "removing one that is not changes nothing (`changed`: false).")
THUMBS = ("Thumbs are stored on the 1..10 scale IMDb list imports use: up is 10, down 1; a "
          "rating reads as thumbs up from 7 and as thumbs down at 4 or below. A rating "
          "reaches the recommendations at once: titles rated up or down are no longer "
          "offered, and titles like a thumbs-down title lose score.")


def allowed(title_id: str) -> str:
    """The title, once the caller's maturity ceiling lets it through (403 otherwise)."""
    services.maturity.require(title_id, current().ceiling)
    return title_id


def _back(title_id: str) -> str:
    return local_path(query("next"), f"/titles/{quote(title_id, safe='')}")


# -- my list ----------------------------------------------------------------------------------
@declare(bp, "GET", "/api/me/list", Op(
    "My List, newest first, as cards", "lists", "MyList", roles=USER,
    query=(LIMIT, CURSOR), description=LIST))
def my_list() -> Json[api.MyList]:
    found = services.my_list.page(viewer_id(), page_size(query("limit"), 50), query("cursor"))
    found["titles"] = services.maturity.visible(found["titles"], current().ceiling)
    return json_response(found, headers={"Cache-Control": "no-store"})


@declare(bp, "PUT", "/api/me/list/{title_id}", Op(
    "Add a title to My List (idempotent)", "lists", "MyListChange", roles=USER,
    errors=(404, 409), description=LIST))
def add_to_list(title_id: str) -> Json[api.MyListChange]:
    return json_response(services.my_list.add(viewer_id(), allowed(title_id)))


@declare(bp, "DELETE", "/api/me/list/{title_id}", Op(
    "Take a title out of My List (idempotent)", "lists", "MyListChange", roles=USER,
    errors=(404,), description=LIST))
def remove_from_list(title_id: str) -> Json[api.MyListChange]:
    return json_response(services.my_list.remove(viewer_id(), title_id))


@declare(bp, "POST", "/api/me/list/{title_id}/add", Op(
    "Add to My List from a page's form (303 back to `next`)", "lists", "MyListChange",
    roles=USER, errors=(404, 409), also=SEE_OTHER, query=(BACK,)), content_types=BODY_TYPES)
def add_to_list_form(title_id: str) -> Json[api.MyListChange] | SeeOther:
    change = services.my_list.add(viewer_id(), allowed(title_id))
    return see_other(_back(title_id)) if is_form(request()) else json_response(change)


@declare(bp, "POST", "/api/me/list/{title_id}/remove", Op(
    "Take out of My List from a page's form (303 back to `next`)", "lists", "MyListChange",
    roles=USER, errors=(404,), also=SEE_OTHER, query=(BACK,)), content_types=BODY_TYPES)
def remove_from_list_form(title_id: str) -> Json[api.MyListChange] | SeeOther:
    change = services.my_list.remove(viewer_id(), title_id)
    return see_other(_back(title_id)) if is_form(request()) else json_response(change)


# -- ratings ----------------------------------------------------------------------------------
@declare(bp, "GET", "/api/me/ratings/{title_id}", Op(
    "Your rating of a title (nulls when unrated)", "lists", "TitleRating", roles=USER,
    errors=(404,), description=THUMBS))
def get_rating(title_id: str) -> Json[api.TitleRating]:
    return json_response(services.ratings.get(viewer_id(), allowed(title_id)),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "PUT", "/api/me/ratings/{title_id}", Op(
    "Rate a title thumbs up or down (idempotent)", "lists", "TitleRating", roles=USER,
    body="chalicelib.ratings.schemas:ThumbIn", errors=(404, 422), description=THUMBS))
def put_rating(title_id: str) -> Json[api.TitleRating]:
    data = body(rating_schemas.ThumbIn)
    return json_response(services.ratings.set(viewer_id(), allowed(title_id), data.thumb))


@declare(bp, "DELETE", "/api/me/ratings/{title_id}", Op(
    "Clear your rating of a title (idempotent)", "lists", "TitleRating", roles=USER,
    errors=(404,), description=THUMBS))
def delete_rating(title_id: str) -> Json[api.TitleRating]:
    return json_response(services.ratings.clear(viewer_id(), title_id))


@declare(bp, "POST", "/api/me/ratings/{title_id}/thumb", Op(
    "Rate from a page's form: `up`, `down` or `clear` (303 back to `next`)", "lists",
    "TitleRating", roles=USER, body="chalicelib.ratings.schemas:ThumbForm",
    errors=(404, 422), also=SEE_OTHER, query=(BACK,), description=THUMBS),
    content_types=BODY_TYPES)
def rate_form(title_id: str) -> Json[api.TitleRating] | SeeOther:
    data = body(rating_schemas.ThumbForm)
    viewer = viewer_id()
    rating = (services.ratings.clear(viewer, title_id) if data.thumb == "clear"
              else services.ratings.set(viewer, allowed(title_id), data.thumb))
    return see_other(_back(title_id)) if is_form(request()) else json_response(rating)
