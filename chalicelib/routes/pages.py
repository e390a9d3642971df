"""The HTML pages, the API document and static files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import Principal, current
from chalicelib.http import json_response, local_path
from chalicelib.lazy import lazy_module
from chalicelib.routes.common import (
    query,
    request,
    requires,
    the_app,
)
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


@bp.route("/", methods=["GET"])
def home_page() -> Response:
    who = viewer()
    return page("home.html", who, **services.pages.home(who.user if who else None,
                                                        viewer_country(headers())))


@bp.route("/browse", methods=["GET"])
def browse_page() -> Response:
    return page("browse.html", viewer(), **services.pages.browse(
        query("type"), query("genre"), query("year"), query("country"), query("cursor")))


@bp.route("/search", methods=["GET"])
def search_page() -> Response:
    return page("search.html", viewer(), **services.pages.search(query("q")))


@bp.route("/titles/{title_id}", methods=["GET"])
def title_page(title_id: str) -> Response:
    who = viewer()
    return page("title.html", who, **services.pages.title(who.user if who else None, title_id,
                                                          query("season")))


@bp.route("/watch/{title_id}", methods=["GET"])
@requires()
def watch_page(title_id: str) -> Response:
    who = current()
    return page("watch.html", who, play=services.playback.play(who.user.id, title_id,
                                                               query("episode")))


@bp.route("/register", methods=["GET"])
def register_page() -> Response:
    return page("register.html", viewer(), next=local_path(query("next")))


@bp.route("/login", methods=["GET"])
def login_page() -> Response:
    notices = {"sent": "If an account uses that email, a reset link is on its way.",
               "done": "Your password is changed; log in with it."}
    return page("login.html", viewer(), next=local_path(query("next")),
                notice=notices.get(query("reset") or ""))


@bp.route("/reset", methods=["GET"])
def reset_page() -> Response:
    """Ask for a reset link, or (with ?token= from the mail) choose the new password."""
    return page("reset.html", viewer(), token=query("token"))


@bp.route("/reset-password", methods=["GET"])
def reset_password_page() -> Response:
    """Where the reset mail's link points: the same page."""
    return page("reset.html", viewer(), token=query("token"))


@bp.route("/plans", methods=["GET"])
def plans_page() -> Response:
    who = viewer()
    return page("plans.html", who, **services.pages.plans(who.user if who else None))


@bp.route("/account", methods=["GET"])
@requires()
def account_page() -> Response:
    who = current()
    notice = "Thank you: your subscription is active." if query("subscribed") else None
    return page("account.html", who, notice=notice, **services.pages.account(who.user))


@bp.route("/history", methods=["GET"])
@requires()
def history_page() -> Response:
    who = current()
    return page("history.html", who, **services.pages.history(who.user, query("cursor")))


@bp.route("/upload", methods=["GET"])
@requires("uploader", "admin")
def upload_page() -> Response:
    return page("upload.html", current(), title_id=query("title"))


@bp.route("/admin", methods=["GET"])
@requires("admin")
def admin_page() -> Response:
    return page("admin.html", current(), **services.pages.admin())


@bp.route("/console", methods=["GET"])
@requires("uploader", "admin")
def console_page() -> Response:
    who = current()
    audit_entries = services.audit.recent(30) if "admin" in who.user.roles else None
    return page("console.html", who, audit=audit_entries,
                panels=[("active", "Active"), ("queued", "Queued"), ("recent", "Published"),
                        ("failed", "Failed or cancelled")])


def api_document() -> dict[str, Any]:
    return openapi_document.document_for(
        tuple((method, path) for path, methods in the_app().routes.items() for method in methods))


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return json_response(api_document(), headers={"Cache-Control": "public, max-age=300"})


@bp.route("/docs", methods=["GET"])
def docs_page() -> Response:
    return page("docs.html", viewer(),
                tags=openapi_reference.operations_by_tag(api_document()))


@bp.route("/static/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    return static_file(None, name)


@bp.route("/static/{folder}/{name}", methods=["GET"])
def static_asset_in(folder: str, name: str) -> Response:
    return static_file(folder, name)
