"""Playback, streams, progress, history and recommendations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    SEE_OTHER,
    USER,
    Op,
)
from chalicelib.openapi.queries import (
    CURSOR,
    EPISODE,
    HOW_MANY,
    LIMIT,
    PATH_PARAM_MAX_LENGTH,
)
from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import (
    BODY_TYPES,
    Json,
    SeeOther,
    is_form,
    json_response,
    page_size,
    see_other,
)
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    body,
    query,
    request,
    viewer_id,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services
from chalicelib.viewing.updates import Progress

if TYPE_CHECKING:
    from chalicelib.viewing import schemas as viewing_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    viewing_schemas = lazy_module("chalicelib.viewing.schemas")

bp = Blueprint(__name__)


@declare(bp, "POST", "/api/me/progress", Op(
    "Record the playback position (also counts plays)", "viewing", "ProgressRecorded",
    body="chalicelib.viewing.schemas:ProgressIn", roles=USER, errors=(402, 404, 409, 422)),
         content_types=["application/json", "text/plain"])
def post_progress() -> Json[api.ProgressRecorded]:
    data = body(viewing_schemas.ProgressIn)
    return json_response(services.progress.record(current().user.id, Progress(
        data.title_id, data.position_s, data.duration_s, data.play_id, data.episode)))


@declare(bp, "GET", "/api/titles/{title_id}/play", Op(
    "Authorise playback: the stream's URLs and where to resume", "viewing", "PlayGrant",
    roles=USER, errors=(402, 404, 409),
    query=(EPISODE,)))
def play(title_id: str) -> Json[api.PlayGrant]:
    return json_response(services.playback.play(current().user.id, title_id, query("episode")),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/stream/{asset_id}/{name}", Op(
    "A stream file: manifests, playlists and WebVTT served; segments and images "
    "redirected to short-lived signed URLs", "viewing", "stream", roles=USER,
    errors=(402, 404), also={302: ("The file's signed URL", "redirect")}))
def stream(asset_id: str, name: str) -> Response:
    found = services.playback.stream(current().user.id, asset_id, name)
    if found.url is not None:
        return Response(body="", status_code=302,
                        headers={"Location": found.url, "Cache-Control": "private, max-age=60"})
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type,
                             "Cache-Control": "private, max-age=5"})


@declare(bp, "GET", "/api/me/continue-watching", Op(
    "Titles in progress, most recent first", "viewing", "ContinueWatching", roles=USER,
    query=(HOW_MANY,)))
def continue_watching() -> Json[api.ContinueWatching]:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response({"titles": services.continue_watching.titles(current().user.id,
                                                                        limit)})


@declare(bp, "DELETE", "/api/me/continue-watching/{title_id}", Op(
    "Take a title out of continue watching (its resume point stays)", "viewing",
    "RemovedFromRow", roles=USER, errors=(404,)))
def remove_from_row(title_id: str) -> Json[api.RemovedFromRow]:
    return json_response(removed_from_row(title_id))


@declare(bp, "POST", "/api/me/continue-watching/{title_id}/remove", Op(
    "The same, from the home page's form (303 back to it)", "viewing", "RemovedFromRow",
    roles=USER, errors=(404,), also=SEE_OTHER), content_types=BODY_TYPES)
def remove_from_row_form(title_id: str) -> Json[api.RemovedFromRow] | SeeOther:
    removed = removed_from_row(title_id)
    if is_form(request()):
        return see_other("/#continue-watching")
    return json_response(removed)


def removed_from_row(title_id: str) -> api.RemovedFromRow:
    if len(title_id) > PATH_PARAM_MAX_LENGTH:  # no title has such an id
        raise catalogued("title_not_found")
    user_id = current().user.id
    return {"title_id": title_id,
            "removed": services.continue_watching.remove(user_id, title_id)}


@declare(bp, "GET", "/api/me/history", Op("Viewing history, newest first", "viewing", "History",
    roles=USER,
    query=(LIMIT, CURSOR)))
def viewing_history() -> Json[api.History]:
    return json_response(services.history.page(current().user.id, page_size(query("limit")),
                                               query("cursor")))


@declare(bp, "GET", "/api/me/recommendations", Op(
    "Recommended titles with reasons (popular titles when degraded)", "viewing",
    "Recommendations", roles=USER,
    query=(HOW_MANY,)))
def recommendations() -> Json[api.Recommendations]:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response(services.recommender.for_user(viewer_id(), limit))


@declare(bp, "GET", "/api/titles/{title_id}/similar", Op(
    "Titles like this one", "viewing", "Recommendations", errors=(404,),
    query=(HOW_MANY,)))
def similar_titles(title_id: str) -> Json[api.Recommendations]:
    limit = page_size(query("limit"), default=12, maximum=50)
    return json_response(services.recommender.similar_to(services.catalogue.details(title_id),
                                                         limit))
