"""The HTML pages, the API document and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import Principal, current
from chalicelib.openapi.declarations import (
    ADMIN,
    ANY_STAFF,
    USER,
    Op,
)
from chalicelib.openapi.queries import (
    CURSOR,
    EPISODE,
    FILTERS,
    NEXT,
    TOKEN,
    Param,
)
from chalicelib.platform.http import json_response, local_path
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    query,
    request,
    the_app,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services
from chalicelib.web.country import viewer_country
from chalicelib.web.render import page
from chalicelib.web.static import static_file

if TYPE_CHECKING:
    from chalicelib.openapi import document as openapi_document
    from chalicelib.openapi import reference as openapi_reference
else:  # pydantic and email-validator load with the first request that parses a body
    openapi_document = lazy_module("chalicelib.openapi.document")
    openapi_reference = lazy_module("chalicelib.openapi.reference")

bp = Blueprint(__name__)


def viewer() -> Principal | None:
    return services.guard.authenticate(request())


def headers() -> dict[str, str]:
    return {k.lower(): str(v) for k, v in request().headers.items()}


@declare(bp, "GET", "/", Op("Home page", "pages", "html"))
def home_page() -> Response:
    who = viewer()
    return page("home.html", who, **services.pages.home(who.user if who else None,
                                                        viewer_country(headers())))


@declare(bp, "GET", "/browse", Op("Browse page", "pages", "html",
    query=(*FILTERS, CURSOR)))
def browse_page() -> Response:
    return page("browse.html", viewer(), **services.pages.browse(
        query("type"), query("genre"), query("year"), query("country"), query("cursor"),
        query("available")))


@declare(bp, "GET", "/search", Op("Search page", "pages", "html",
    query=(Param("q", "What to look for", max_length=100),
           Param("page", "Which page of results (from 1)"))))
def search_page() -> Response:
    return page("search.html", viewer(), **services.pages.search(query("q"), query("page")))


@declare(bp, "GET", "/titles/{title_id}", Op(
    "Title page", "pages", "html", errors=(404,),
    query=(
        Param("season", "Season number (another value: the first season)"),)))
def title_page(title_id: str) -> Response:
    who = viewer()
    return page("title.html", who, **services.pages.title(who.user if who else None, title_id,
                                                          query("season")))


@declare(bp, "GET", "/watch/{title_id}", Op("Player page", "pages", "html", roles=USER,
    errors=(402, 404, 409),
    query=(EPISODE,)))
def watch_page(title_id: str) -> Response:
    who = current()
    return page("watch.html", who, play=services.playback.play(who.user.id, title_id,
                                                               query("episode")))


@declare(bp, "GET", "/register", Op("Registration page", "pages", "html",
    query=(NEXT,)))
def register_page() -> Response:
    return page("register.html", viewer(), next=local_path(query("next")))


@declare(bp, "GET", "/login", Op("Login page", "pages", "html",
    query=(NEXT, Param("reset", "`sent` or `done` (a notice)"))))
def login_page() -> Response:
    notices = {"sent": "If an account uses that email, a reset link is on its way.",
               "done": "Your password is changed; log in with it."}
    return page("login.html", viewer(), next=local_path(query("next")),
                notice=notices.get(query("reset") or ""))


@declare(bp, "GET", "/reset", Op("Password-reset page", "pages", "html",
    query=(TOKEN,)))
def reset_page() -> Response:
    """Ask for a reset link, or (with ?token= from the mail) choose the new password."""
    return page("reset.html", viewer(), token=query("token"))


@declare(bp, "GET", "/reset-password", Op("Password-reset page (the mail's link)", "pages", "html",
    query=(TOKEN,)))
def reset_password_page() -> Response:
    """Where the reset mail's link points: the same page."""
    return page("reset.html", viewer(), token=query("token"))


@declare(bp, "GET", "/plans", Op("Plans page", "pages", "html"))
def plans_page() -> Response:
    who = viewer()
    return page("plans.html", who, **services.pages.plans(who.user if who else None))


@declare(bp, "GET", "/account", Op("Account page", "pages", "html", roles=USER,
    query=(Param("subscribed", "Set after PayPal approval"),)))
def account_page() -> Response:
    who = current()
    notice = "Thank you: your subscription is active." if query("subscribed") else None
    return page("account.html", who, notice=notice, **services.pages.account(who.user))


@declare(bp, "GET", "/history", Op("Viewing history page", "pages", "html", roles=USER,
    query=(CURSOR,)))
def history_page() -> Response:
    who = current()
    return page("history.html", who, **services.pages.history(who.user, query("cursor")))


@declare(bp, "GET", "/upload", Op("Upload page", "pages", "html", roles=ANY_STAFF,
    query=(Param("title", "Attach the upload to this title"),)))
def upload_page() -> Response:
    return page("upload.html", current(), title_id=query("title"))


@declare(bp, "GET", "/admin", Op("Admin console", "pages", "html", roles=ADMIN))
def admin_page() -> Response:
    return page("admin.html", current(), **services.pages.admin())


@declare(bp, "GET", "/console", Op("Encode jobs console", "pages", "html", roles=ANY_STAFF))
def console_page() -> Response:
    who = current()
    audit_entries = services.audit.recent(30) if "admin" in who.user.roles else None
    return page("console.html", who, audit=audit_entries,
                panels=[("active", "Active"), ("queued", "Queued"), ("recent", "Published"),
                        ("failed", "Failed or cancelled")])


def api_document() -> dict[str, Any]:
    return openapi_document.document_for(
        tuple((method, path) for path, methods in the_app().routes.items() for method in methods))


@declare(bp, "GET", "/openapi.json", Op("This API's OpenAPI document", "pages", "static"))
def openapi() -> Response:
    return json_response(api_document(), headers={"Cache-Control": "public, max-age=300"})


@declare(bp, "GET", "/docs", Op("This API's documentation", "pages", "html"))
def docs_page() -> Response:
    return page("docs.html", viewer(),
                tags=openapi_reference.operations_by_tag(api_document()))


@declare(bp, "GET", "/static/{name}", Op("A stylesheet or image", "pages", "static", errors=(404,)))
def static_asset(name: str) -> Response:
    return static_file(None, name)


@declare(bp, "GET", "/static/{folder}/{name}", Op("A script", "pages", "static", errors=(404,)))
def static_asset_in(folder: str, name: str) -> Response:
    return static_file(folder, name)
