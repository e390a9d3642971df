"""Browse, search and rank the catalogue; IMDb lists and TMDB imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.catalogue.importing.imdb_upload import ACCEPTED_TYPES, parse_imdb_csv
from chalicelib.catalogue.search.index import MAX_RESULTS
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.catalogue.titles.posters import (
    generated_path,
    parse_poster_name,
    placeholder_svg,
)
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    ADMIN,
    USER,
    Op,
)
from chalicelib.openapi.queries import (
    CURSOR,
    FILTERS,
    LIMIT,
    Param,
)
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import Json, etag_matches, json_response, page_size
from chalicelib.platform.ids import is_uuid
from chalicelib.platform.lazy import lazy_module
from chalicelib.profiles import maturity
from chalicelib.routes.common import (
    audit,
    body,
    caller_ceiling,
    query,
    request,
    viewer_id,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services, settings

if TYPE_CHECKING:
    from chalicelib.catalogue import schemas as catalogue_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    catalogue_schemas = lazy_module("chalicelib.catalogue.schemas")

bp = Blueprint(__name__)


@declare(bp, "GET", "/api/titles", Op("Browse films and series", "catalogue", "TitlePage",
    query=(*FILTERS, LIMIT, CURSOR)))
def titles() -> Json[api.TitlePage]:
    filters = Filters.parse(query("type"), query("genre"), query("year"), query("country"),
                            query("available"))
    limit = page_size(query("limit"))
    found, cursor = services.maturity.fill(
        lambda after: services.catalogue.browse(filters, limit, after), limit, query("cursor"),
        caller_ceiling())
    return json_response({"titles": found, "next": cursor})


@declare(bp, "GET", "/api/titles/{title_id}", Op("A title's details", "catalogue", "Title",
    errors=(404,)))
def title(title_id: str) -> Json[api.Title]:
    found = services.catalogue.details(title_id)
    maturity.check(found["maturity"], caller_ceiling())
    return json_response(found)


@declare(bp, "GET", "/api/titles/{title_id}/seasons/{number}", Op(
    "A season's episodes", "catalogue", "Season", errors=(404,)))
def season(title_id: str, number: str) -> Json[api.Season]:
    if not is_whole_number(number) or len(number) > 4:
        raise catalogued("season_not_found", season=number[:8])
    found = services.catalogue.season(title_id, int(number))
    services.maturity.require(title_id, caller_ceiling())
    return json_response(found)


@declare(bp, "GET", "/api/search", Op(
    "Search titles by name, director, cast or genre (typo-tolerant)", "catalogue",
    "SearchResults",
    query=(
        Param("q", "What to look for", max_length=100, min_length=1, required=True),
        Param("limit", "How many results a page", "integer", minimum=1, maximum=50),
        Param("page", "Which page (from 1; the `next` value of the previous page)", "integer",
              minimum=1, maximum=MAX_RESULTS))))
def search() -> Json[api.SearchResults]:
    limit = page_size(query("limit"), default=10, maximum=50)
    number = query("page")
    found = services.search.search(query("q"), limit, int(number) if number is not None else 1)
    found["results"] = services.maturity.visible(found["results"], caller_ceiling())
    return json_response(found)


@declare(bp, "GET", "/api/rankings/countries/{country}", Op(
    "Best-rated titles of a country", "catalogue", "CountryRanking", errors=(404,),
    query=(LIMIT,)))
def country_ranking(country: str) -> Json[api.CountryRanking]:
    limit = page_size(query("limit"), default=10, maximum=100)
    found = services.catalogue.ranking(country, limit)
    found["titles"] = services.maturity.visible(found["titles"], caller_ceiling())
    return json_response(found)


@declare(bp, "GET", "/posters/placeholder.svg", Op("The poster shown when a title has none",
    "catalogue", "svg"))
def poster_placeholder() -> Response:
    return Response(body=placeholder_svg(), status_code=200,
                    headers={"Content-Type": "image/svg+xml",
                             "Cache-Control": "public, max-age=86400"})


#: A generated poster changes only with the title's name, year or genres (the ETag says which).
GENERATED_CACHE = "public, max-age=604800, stale-while-revalidate=86400"
#: Shorter than the signed URL a frame redirects to lives (an hour).
FRAME_CACHE = "public, max-age=1800"


@declare(bp, "GET", "/posters/{name}", Op(
    "A title's poster: `<title id>.svg` is drawn from its name, year and genres; "
    "`<title id>.jpg` redirects to its own poster frame", "catalogue", "svg",
    errors=(400, 404), also={
        302: ("`.jpg`: a signed URL of the frame, or the generated poster when the title "
              "has no stream yet", "redirect"),
        304: ("`.svg`: the poster named by If-None-Match has not changed", None)}))
def poster(name: str) -> Response:
    parsed = parse_poster_name(name)
    if parsed is None:
        raise catalogued("bad_poster_name")
    title_id, kind = parsed
    if kind == "jpg":
        frame = services.artwork.frame_url(title_id)
        return Response(body="", status_code=302,
                        headers={"Location": frame or generated_path(title_id),
                                 "Cache-Control": FRAME_CACHE})
    drawn = services.artwork.generated(title_id)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "image/svg+xml; charset=utf-8", "Cache-Control": GENERATED_CACHE,
        "ETag": drawn.etag}
    if etag_matches(request().headers.get("if-none-match"), drawn.etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=drawn.body, status_code=200, headers=headers)


@declare(bp, "POST", "/api/me/imports/imdb", Op(
    "Import an IMDb ratings/watchlist CSV export", "me", "ImdbImport", body="csv",
    roles=USER, errors=(413, 422)), content_types=ACCEPTED_TYPES)
def import_imdb_list() -> Json[api.ImdbImport]:
    rows = parse_imdb_csv(request(), settings.max_body_bytes)
    return json_response(services.imdb_import.run(viewer_id(), rows))


@declare(bp, "POST", "/api/admin/imports/tmdb", Op(
    "Start a TMDB catalogue import", "operations", "ImportRun", 202,
    "chalicelib.catalogue.schemas:TmdbImportIn", roles=ADMIN, errors=(409, 422)),
         content_types=["application/json"])
def start_tmdb_import() -> Json[api.ImportRun]:
    if not settings.tmdb_configured:  # refused before a run is made to fail
        raise catalogued("tmdb_not_configured")
    data = body(catalogue_schemas.TmdbImportIn)
    run = services.imports.start(list(data.kinds), data.date, data.limit, current().user.id)
    audit("import.start", str(run["id"]), kinds=list(data.kinds), day=str(run["export_date"]))
    return json_response(run, 202, {"Location": f"/api/admin/imports/{run['id']}"})


@declare(bp, "GET", "/api/admin/imports", Op("Recent catalogue imports", "operations", "ImportRuns",
    roles=ADMIN))
def import_runs() -> Json[api.ImportRuns]:
    return json_response({"runs": services.imports.recent()})


@declare(bp, "GET", "/api/admin/imports/{run_id}", Op("One import's progress", "operations",
    "ImportRun", roles=ADMIN, errors=(404,)))
def import_run(run_id: str) -> Json[api.ImportRun]:
    if not is_uuid(run_id):
        raise catalogued("import_not_found")
    return json_response(services.imports.status(run_id))
