"""One declaration per route: who may call it, what it takes and what it answers.

This module holds the declarations' shape and their registry; ``chalicelib.routes.declare``
registers a handler with its declaration.

A handler is registered with :func:`declare`, next to its code. The declaration drives
everything about the route's contract at once:

- Chalice's route (method, path, content types);
- the role check (``requires``) when ``roles`` is not None;
- the query parameters' limits the middleware holds every `/api/` request to
  (``chalicelib.platform.query_checks``);
- the route's entry in `/openapi.json` (``chalicelib.openapi.document``), with its request
  body model, response model, other answers and errors.

Nothing here imports pydantic: models are named (``"package.module:Model"`` for bodies, a
model of ``chalicelib.openapi.responses`` by name for answers) and resolved only when the
document is built, so a cold start pays nothing for the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.openapi.queries import Param

#: Non-JSON answers: pages, files, redirects.
Media = Literal["html", "text", "svg", "static", "redirect", "stream"]
MEDIA_KINDS = frozenset({"html", "text", "svg", "static", "redirect", "stream"})
#: A media kind, the name of a model in ``chalicelib.openapi.responses``, or no body.
Body = str | None

USER: tuple[str, ...] = ()
ANY_STAFF = ("uploader", "admin")
ADMIN = ("admin",)
SEE_OTHER: dict[int, tuple[str, Body]] = {303: ("A form post: where the browser goes next",
                                                "redirect")}
PROGRESS = ("`progress_detail` says how far the encode has come as of the answer: chunks "
            "and tasks done of total, percent (100 only once published), each stage's "
            "elapsed time, `eta_seconds` (null until there is a basis) and `summary`, the "
            "same as one line of text. `progress` is its percent as a fraction.")
UPLOADS = ("The bytes go straight to S3 as a multipart upload; the API only signs. Start with "
           "the file's name, size and type (parts are `part_size` bytes, the last one "
           "smaller), ask for part URLs in batches of up to 100, PUT each part to its URL "
           "and keep the `ETag` S3 answers, then complete with every part's number and "
           "ETag. To resume, find the upload by file name, size and last-modified time "
           "and list the parts S3 already holds. Completing starts the encode.")
ACCESS = ("Admins may upload to every title. An uploader may upload to the titles an admin "
          "assigned them (a series covers all its episodes) and to the titles they created; "
          "an upload, retry or re-encode for any other title is refused with 403 "
          "`upload_title_not_assigned`. An upload without a title needs no assignment.")


@dataclass(frozen=True)
class Op:
    summary: str
    tag: str
    out: Body
    ok: int = 200
    #: "package.module:Model" (imported when the document is built) or "csv" / "object".
    body: str | None = None
    #: None: anyone; (): any logged-in user; otherwise one of these roles.
    roles: tuple[str, ...] | None = None
    #: The query parameters the route reads, with the limits requests are held to.
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    #: Other successful statuses: {status: (description, body)}.
    also: dict[int, tuple[str, Body]] = field(default_factory=dict)
    description: str = ""


#: (method, path) -> the route's declaration; filled as the route modules are imported.
DECLARED: dict[tuple[str, str], Op] = {}
