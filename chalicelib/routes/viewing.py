"""Playback, streams, progress, history and recommendations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.http import json_response, page_size
from chalicelib.lazy import lazy_module
from chalicelib.routes.common import (
    body,
    query,
    requires,
)
from chalicelib.routes.root import services
from chalicelib.usage.updates import Progress

if TYPE_CHECKING:
    from chalicelib.usage import schemas as usage_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    usage_schemas = lazy_module("chalicelib.usage.schemas")

bp = Blueprint(__name__)


@bp.route("/api/me/progress", methods=["POST"], content_types=["application/json", "text/plain"])
@requires()
def post_progress() -> Response:
    data = body(usage_schemas.ProgressIn)
    return json_response(services.progress.record(current().user.id, Progress(
        data.title_id, data.position_s, data.duration_s, data.play_id, data.episode)))


@bp.route("/api/titles/{title_id}/play", methods=["GET"])
@requires()
def play(title_id: str) -> Response:
    return json_response(services.playback.play(current().user.id, title_id, query("episode")),
                         headers={"Cache-Control": "no-store"})


@bp.route("/stream/{asset_id}/{name}", methods=["GET"])
@requires()
def stream(asset_id: str, name: str) -> Response:
    found = services.playback.stream(current().user.id, asset_id, name)
    if found.url is not None:
        return Response(body="", status_code=302,
                        headers={"Location": found.url, "Cache-Control": "private, max-age=60"})
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type,
                             "Cache-Control": "private, max-age=5"})


@bp.route("/api/me/continue-watching", methods=["GET"])
@requires()
def continue_watching() -> Response:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response({"titles": services.continue_watching.titles(current().user.id,
                                                                        limit)})


@bp.route("/api/me/history", methods=["GET"])
@requires()
def viewing_history() -> Response:
    return json_response(services.history.page(current().user.id, page_size(query("limit")),
                                               query("cursor")))


@bp.route("/api/me/recommendations", methods=["GET"])
@requires()
def recommendations() -> Response:
    limit = page_size(query("limit"), default=20, maximum=50)
    return json_response(services.recommender.for_user(current().user.id, limit))


@bp.route("/api/titles/{title_id}/similar", methods=["GET"])
def similar_titles(title_id: str) -> Response:
    limit = page_size(query("limit"), default=12, maximum=50)
    return json_response(services.recommender.similar_to(services.catalogue.details(title_id),
                                                         limit))
