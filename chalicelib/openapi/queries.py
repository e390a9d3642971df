"""Query parameters with their limits, and those several routes share.

Each route names its own in its declaration (``chalicelib.openapi.declarations``): the one
source for both the OpenAPI document and the checks every API request passes
(``chalicelib.platform.query_checks``). No pydantic here: checking a request loads no models.
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


#: The longest value the API document allows for any path parameter (an id).
PATH_PARAM_MAX_LENGTH = 256
LIMIT = Param("limit", "Page size", "integer", minimum=1, maximum=100)
CURSOR = Param("cursor", "The `next` value of the previous page", max_length=512)
EPISODE = Param("episode", "For a series: the episode, as `S1E3`", max_length=16)
FILTERS = (Param("type", "`film` or `series` (any case)", max_length=16),
           Param("genre", "A genre name (any case)", max_length=64),
           Param("year", "A release year", max_length=8),
           Param("country", "An ISO 3166-1 alpha-2 code", max_length=8),
           Param("available", "`1`: only titles that can be played now", max_length=8))
#: Pages take their query hints leniently: a value they cannot use is ignored, not refused.
NEXT = Param("next", "Where to go after logging in (a local path; anything else: home)")
TOKEN = Param("token", "A password-reset token from the mail (checked when it is used)")
HOW_MANY = Param("limit", "How many", "integer", minimum=1, maximum=50)
