"""Errors on pages: the catalogue's message in the layout, or the login page for a visitor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from chalice.app import Request, Response

from chalicelib.platform.errors import AppError
from chalicelib.platform.http import local_path, requested_target, route_template
from chalicelib.web.form_pages import form_page_for, render_failed_form
from chalicelib.web.render import page

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal

#: Paths answered in JSON (or by redirects) whatever the client accepts.
API_PREFIXES = ("/api/", "/stream/", "/webhooks/", "/health", "/static/", "/posters/",
                "/openapi")


def is_form_post(request: Request) -> bool:
    """A browser's form submission (register, log in, subscribe...) to an API route."""
    return (request.method == "POST" and "text/html" in str(request.headers.get("accept", ""))
            and str(request.headers.get("content-type", "")).startswith(
                "application/x-www-form-urlencoded"))


def is_page(request: Request) -> bool:
    path = request.path or "/"
    return (not path.startswith(API_PREFIXES)
            and "text/html" in str(request.headers.get("accept", "")))


#: Who is asking, for an error page's navigation (None: a visitor, or not known).
Identify = Callable[[Request], "Principal | None"]


def page_errors(identify: Identify) -> Callable[[Request, AppError], Response | None]:
    """The middleware's HTML error handler, drawing the navigation for whoever is asking."""

    def handler(request: Request, error: AppError) -> Response | None:
        return page_error(request, error, identify)

    return handler


def page_error(request: Request, error: AppError, identify: Identify | None = None
               ) -> Response | None:
    """The HTML answer to an error on a page or a form, or None for API requests."""
    if is_form_post(request):
        return form_error(request, error)
    if not is_page(request):
        return None
    if error.status == 401:
        return login_first(requested_target(request))
    if error.code == "subscription_required":  # what the plans include, and the way to one
        return Response(body="", status_code=303, headers={"Location": "/plans?needed=1"})
    return page("error.html", who_is_asking(request, identify), status=error.status,
                error=error, back_to=way_back(request, error))


def who_is_asking(request: Request, identify: Identify | None) -> Principal | None:
    """The logged-in user, so an error page shows their navigation, not "Log in"; nobody if
    that cannot be told (the error page must not fail on it)."""
    if identify is None:
        return None
    try:
        return identify(request)
    except Exception:
        return None


def way_back(request: Request, error: AppError) -> str | None:
    """For a page asked with a query it cannot answer (``?season=9``), the page without it."""
    if error.code == "season_not_found":
        return requested_target(request).split("?", 1)[0]
    return None


def form_error(request: Request, error: AppError) -> Response:
    """The form's own page with the message and the fields refilled; a logged-out post goes
    to log in and back to the form's page."""
    form = form_page_for(route_template(request))
    if form is not None and error.code == "not_authenticated":  # no mistake: log in first
        return login_first(form.path)
    rendered = render_failed_form(request, form, error) if form is not None else None
    if rendered is not None:
        return rendered
    return page("error.html", None, status=error.status, error=error,
                plans_link=error.code == "subscription_required", back_to=referring_page(request))


def login_first(target: str) -> Response:
    return Response(body="", status_code=303,
                    headers={"Location": f"/login?next={quote(target)}"})


def referring_page(request: Request) -> str | None:
    """The page of this site the form was posted from (its path and query), if it says."""
    referer = urlsplit(str(request.headers.get("referer", "")))
    if not referer.path or referer.netloc != str(request.headers.get("host", "")):
        return None
    target = referer.path + (f"?{referer.query}" if referer.query else "")
    return local_path(target, "") or None
