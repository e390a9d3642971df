"""Browse, search and rank the catalogue; IMDb lists and TMDB imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.catalogue.filters import Filters
from chalicelib.catalogue.imdb_upload import ACCEPTED_TYPES, parse_imdb_csv
from chalicelib.catalogue.posters import placeholder_svg
from chalicelib.digits import is_whole_number
from chalicelib.errors import catalogued
from chalicelib.http import json_response, page_size
from chalicelib.ids import is_uuid
from chalicelib.lazy import lazy_module
from chalicelib.routes.common import (
    audit,
    body,
    query,
    request,
    requires,
)
from chalicelib.routes.root import services, settings

if TYPE_CHECKING:
    from chalicelib.catalogue import schemas as catalogue_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    catalogue_schemas = lazy_module("chalicelib.catalogue.schemas")

bp = Blueprint(__name__)


@bp.route("/api/titles", methods=["GET"])
def titles() -> Response:
    filters = Filters.parse(query("type"), query("genre"), query("year"), query("country"))
    found, cursor = services.catalogue.browse(filters, page_size(query("limit")), query("cursor"))
    return json_response({"titles": found, "next": cursor})


@bp.route("/api/titles/{title_id}", methods=["GET"])
def title(title_id: str) -> Response:
    return json_response(services.catalogue.details(title_id))


@bp.route("/api/titles/{title_id}/seasons/{number}", methods=["GET"])
def season(title_id: str, number: str) -> Response:
    if not is_whole_number(number) or len(number) > 4:
        raise catalogued("season_not_found", season=number[:8])
    return json_response(services.catalogue.season(title_id, int(number)))


@bp.route("/api/search", methods=["GET"])
def search() -> Response:
    q = query("q")
    results = services.search.search(q, page_size(query("limit"), default=10, maximum=50))
    return json_response({"query": q, "results": results})


@bp.route("/api/rankings/countries/{country}", methods=["GET"])
def country_ranking(country: str) -> Response:
    limit = page_size(query("limit"), default=10, maximum=100)
    return json_response(services.catalogue.ranking(country, limit))


@bp.route("/posters/placeholder.svg", methods=["GET"])
def poster_placeholder() -> Response:
    return Response(body=placeholder_svg(), status_code=200,
                    headers={"Content-Type": "image/svg+xml",
                             "Cache-Control": "public, max-age=86400"})


@bp.route("/api/me/imports/imdb", methods=["POST"], content_types=ACCEPTED_TYPES)
@requires()
def import_imdb_list() -> Response:
    rows = parse_imdb_csv(request(), settings.max_body_bytes)
    return json_response(services.imdb_import.run(current().user.id, rows))


@bp.route("/api/admin/imports/tmdb", methods=["POST"], content_types=["application/json"])
@requires("admin")
def start_tmdb_import() -> Response:
    data = body(catalogue_schemas.TmdbImportIn)
    run = services.imports.start(list(data.kinds), data.date, data.limit, current().user.id)
    audit("import.start", str(run["id"]), kinds=list(data.kinds), day=str(run["export_date"]))
    return json_response(run, 202, {"Location": f"/api/admin/imports/{run['id']}"})


@bp.route("/api/admin/imports", methods=["GET"])
@requires("admin")
def import_runs() -> Response:
    return json_response({"runs": services.imports.recent()})


@bp.route("/api/admin/imports/{run_id}", methods=["GET"])
@requires("admin")
def import_run(run_id: str) -> Response:
    if not is_uuid(run_id):
        raise catalogued("import_not_found")
    return json_response(services.imports.status(run_id))
