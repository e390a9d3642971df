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
from chalicelib.platform.ids import is_title_id
from chalicelib.platform.lazy import lazy_module
from chalicelib.profiles import maturity
from chalicelib.routes.common import (
    body,
    caller_ceiling,
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
    who = current()
    services.maturity.require(data.title_id, who.ceiling)
    return json_response(services.progress.record(who.viewer_id, Progress(
        data.title_id, data.position_s, data.duration_s, data.play_id, data.episode),
        account_id=who.user.id))


@declare(bp, "GET", "/api/titles/{title_id}/play", Op(
    "Authorise playback: the stream's URLs and where to resume", "viewing", "PlayGrant",
    roles=USER, errors=(402, 404, 409),
    query=(EPISODE,)))
def play(title_id: str) -> Json[api.PlayGrant]:
    who = current()
    return json_response(services.playback.play(who.viewer_id, title_id, query("episode"),
                                                account_id=who.user.id,
                                                ceiling=who.ceiling),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/stream/{asset_id}/{name}", Op(
    "A stream file: manifests, playlists and WebVTT served; segments and images "
    "redirected to short-lived signed URLs", "viewing", "stream", roles=USER,
    errors=(402, 404), also={302: ("The file's signed URL", "redirect")}))
def stream(asset_id: str, name: str) -> Response:
    who = current()
    found = services.playback.stream(who.user.id, asset_id, name,
                                     viewer_id=who.viewer_id if who.ceiling is not None
                                     else None)
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
    who = current()
    return json_response({"titles": services.maturity.visible(
        services.continue_watching.titles(who.viewer_id, limit), who.ceiling)})


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
    if not is_title_id(title_id):  # no title has such an id
        raise catalogued("title_not_found")
    return {"title_id": title_id,
            "removed": services.continue_watching.remove(viewer_id(), title_id)}


@declare(bp, "GET", "/api/me/history", Op("Viewing history, newest first", "viewing", "History",
    roles=USER,
    query=(LIMIT, CURSOR)))
def viewing_history() -> Json[api.History]:
    who = current()
    found = services.history.page(who.viewer_id, page_size(query("limit")), query("cursor"))
    found["history"] = services.maturity.visible(found["history"], who.ceiling)
    return json_response(found)


@declare(bp, "GET", "/api/me/recommendations", Op(
    "Recommended titles with reasons (popular titles when degraded)", "viewing",
    "Recommendations", roles=USER,
    query=(HOW_MANY,)))
def recommendations() -> Json[api.Recommendations]:
    limit = page_size(query("limit"), default=20, maximum=50)
    who = current()
    # a kids profile sees only part of them: ask for more, keep what it may see
    found = services.recommender.for_user(
        who.viewer_id, limit if who.ceiling is None else min(50, limit * 4))
    found["results"] = services.maturity.visible(found["results"], who.ceiling)[:limit]
    return json_response(found)


@declare(bp, "GET", "/api/titles/{title_id}/similar", Op(
    "Titles like this one", "viewing", "Recommendations", errors=(404,),
    query=(HOW_MANY,)))
def similar_titles(title_id: str) -> Json[api.Recommendations]:
    limit = page_size(query("limit"), default=12, maximum=50)
    details = services.catalogue.details(title_id)
    ceiling = caller_ceiling()
    maturity.check(details["maturity"], ceiling)
    found = services.recommender.similar_to(details, limit)
    found["results"] = services.maturity.visible(found["results"], ceiling)
    return json_response(found)
