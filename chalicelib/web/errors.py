"""Errors on pages: the catalogue's message in the layout, or the login page for a visitor."""

from __future__ import annotations

from urllib.parse import quote

from chalice.app import Request, Response

from chalicelib.platform.errors import AppError
from chalicelib.platform.http import requested_target
from chalicelib.web.render import page

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


def page_error(request: Request, error: AppError) -> Response | None:
    """The HTML answer to an error on a page or a form, or None for API requests."""
    if is_form_post(request):  # the message, and a way back to the form
        return page("error.html", None, status=error.status, error=error,
                    plans_link=error.code == "subscription_required", back=True)
    if not is_page(request):
        return None
    if error.status == 401:
        return Response(body="", status_code=303,
                        headers={"Location": f"/login?next={quote(requested_target(request))}"})
    return page("error.html", None, status=error.status, error=error,
                plans_link=error.code == "subscription_required")
