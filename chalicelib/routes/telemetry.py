"""Playback quality (QoE): the player's beacons, the report and its console page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import ADMIN, USER, Op
from chalicelib.openapi.queries import Param
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.http import Json, json_response
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import body, query, viewer_id
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services
from chalicelib.web.render import page

if TYPE_CHECKING:
    from chalicelib.telemetry import schemas as telemetry_schemas
else:  # pydantic loads with the first request that parses a body
    telemetry_schemas = lazy_module("chalicelib.telemetry.schemas")

bp = Blueprint(__name__)

DAYS = Param("days", "The last N UTC days, today included (default 1: today)", "integer",
             minimum=1, maximum=35)
BEACONS = ("The player sends a small batch of one play's events every ~10 s and when the "
           "page goes away (`navigator.sendBeacon`, `text/plain`). `play_id` is the play "
           "grant's; a play that is not the caller's is 404 `play_not_found`. `seq` numbers "
           "the play's batches: a batch received twice counts once. A play counts once, by "
           "its first outcome: started, failed to start (an error before the first frame; "
           "it may still start), or left before the first frame.")


@declare(bp, "POST", "/api/me/playback-events", Op(
    "Report a play's quality: start-up time, rebuffering, switches, errors", "viewing",
    "PlaybackEventsAccepted", 202, body="chalicelib.telemetry.schemas:PlaybackEventsIn",
    roles=USER, errors=(404, 422), description=BEACONS),
         content_types=["application/json", "text/plain"])
def playback_events() -> Json[api.PlaybackEventsAccepted]:
    batch = body(telemetry_schemas.PlaybackEventsIn)
    recorded = services.playback_quality.record(viewer_id(), batch)  # the grant's owner
    return json_response({"counted": not recorded.duplicate, "events": len(batch.events)},
                         202)


@declare(bp, "GET", "/api/admin/playback", Op(
    "Playback quality per title and rendition over the last days", "operations",
    "PlaybackQuality", roles=ADMIN, errors=(400,), query=(DAYS,)))
def playback_report() -> Json[api.PlaybackQuality]:
    return json_response(quality_report(query("days")), headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/admin/playback", Op(
    "Playback quality: video start time, rebuffering, start failures", "pages", "html",
    roles=ADMIN, errors=(400,), query=(DAYS,)))
def playback_page() -> Response:
    return page("playback.html", current(), report=quality_report(query("days")),
                choices=(1, 7, 35))


def quality_report(days_text: str | None) -> api.PlaybackQuality:
    # the report refuses a number of days out of its range (0 stands for one that is none)
    days = 1 if days_text is None else int(days_text) if is_whole_number(days_text) else 0
    return services.playback_quality.report(days, services.labels.titles)
