"""The query parameters of each route, with their limits: the one source for both the OpenAPI
document (``operations``) and the checks every API request passes (``query_checks``).

Kept apart from ``operations`` so that checking a request loads no pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: Literal["string", "integer"] = "string"
    max_length: int | None = None
    min_length: int | None = None
    format: str | None = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None


LIMIT = Param("limit", "Page size", "integer", minimum=1, maximum=100)
CURSOR = Param("cursor", "The `next` value of the previous page", max_length=512)
EPISODE = Param("episode", "For a series: the episode, as `S1E3`", max_length=16)
FILTERS = (Param("type", "`movie` or `series`", max_length=16),
           Param("genre", "A genre name", max_length=64),
           Param("year", "A release year", max_length=8),
           Param("country", "An ISO 3166-1 alpha-2 code", max_length=8))
#: Pages take their query hints leniently: a value they cannot use is ignored, not refused.
NEXT = Param("next", "Where to go after logging in (a local path; anything else: home)")
TOKEN = Param("token", "A password-reset token from the mail (checked when it is used)")
HOW_MANY = Param("limit", "How many", "integer", minimum=1, maximum=50)

#: (method, path) -> the query parameters the route reads.
QUERIES: dict[tuple[str, str], tuple[Param, ...]] = {
    ("GET", "/api/me/payments"): (LIMIT, CURSOR),
    ("GET", "/api/titles"): (*FILTERS, LIMIT, CURSOR),
    ("GET", "/api/search"): (
        Param("q", "What to look for", max_length=100, min_length=1, required=True),
        Param("limit", "How many results", "integer", minimum=1, maximum=50)),
    ("GET", "/api/rankings/countries/{country}"): (LIMIT,),
    ("GET", "/api/titles/{title_id}/play"): (EPISODE,),
    ("GET", "/api/me/continue-watching"): (HOW_MANY,),
    ("GET", "/api/me/history"): (LIMIT, CURSOR),
    ("GET", "/api/me/recommendations"): (HOW_MANY,),
    ("GET", "/api/titles/{title_id}/similar"): (HOW_MANY,),
    ("GET", "/api/admin/uploads"): (
        Param("file_name", "The file's name as the client saw it", max_length=255),
        Param("size", "The file's size in bytes", "integer", minimum=1),
        Param("last_modified", "The file's last-modified time, ms since 1970", "integer",
              minimum=0),
        Param("state", "UPLOADING, COMPLETING, COMPLETED or ABORTED", max_length=16),
        LIMIT),
    ("GET", "/api/admin/unfinished-uploads"): (LIMIT,),
    ("GET", "/api/admin/jobs"): (
        Param("panel", "`active`, `queued`, `recent` or `failed`", max_length=16),
        Param("title", "A title id: that title's jobs", max_length=64),
        LIMIT),
    ("GET", "/api/admin/dashboard"): (
        Param("since", "The previous answer's cursor", max_length=512),),
    ("GET", "/api/admin/audit"): (
        Param("limit", "How many", "integer", minimum=1, maximum=200),),
    ("GET", "/api/admin/users"): (
        Param("after", "The `next` value of the previous page", format="uuid"),),
    ("GET", "/browse"): (*FILTERS, CURSOR),
    ("GET", "/search"): (Param("q", "What to look for", max_length=100),),
    ("GET", "/titles/{title_id}"): (
        Param("season", "Season number (another value: the first season)"),),
    ("GET", "/watch/{title_id}"): (EPISODE,),
    ("GET", "/register"): (NEXT,),
    ("GET", "/login"): (NEXT, Param("reset", "`sent` or `done` (a notice)")),
    ("GET", "/reset"): (TOKEN,),
    ("GET", "/reset-password"): (TOKEN,),
    ("GET", "/account"): (Param("subscribed", "Set after PayPal approval"),),
    ("GET", "/history"): (CURSOR,),
    ("GET", "/upload"): (Param("title", "Attach the upload to this title"),),
}
