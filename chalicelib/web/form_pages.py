"""A form that fails comes back as its own page, with the message and what the user typed.

Browsers post the site's forms to API routes (`/api/auth/register` ...). When one fails, the
answer is the form's page again, with the error above the fields and the fields filled in
(never a password), at the error's status: the user corrects and resubmits, without
JavaScript and without a separate error page whose only way back is the history.

Each form's page registers here (``chalicelib.routes.pages``), keyed by the route it posts to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Request, Response

from chalicelib.platform.errors import AppError
from chalicelib.platform.http import form_fields
from chalicelib.platform.logs import logger

#: Never echoed back into a page, whatever a form page asks to keep.
SECRET_FIELDS = frozenset({"password", "new_password", "current_password", "token_secret"})
MAX_FORM_BYTES = 64 * 1024

#: Renders the form's page: (the error, the fields to refill, the request) -> the response.
Render = Callable[[AppError, dict[str, str], Request], Response]


@dataclass(frozen=True)
class FormPage:
    """Where a form lives (``path``: the login redirect of a logged-out post comes back here),
    the fields it refills, and how its page is drawn."""

    path: str
    render: Render
    keep: tuple[str, ...] = field(default=())


_PAGES: dict[str, FormPage] = {}


def register(route: str, form_page: FormPage) -> None:
    _PAGES[route] = form_page


def form_page_for(route: str) -> FormPage | None:
    return _PAGES.get(route)


def submitted(request: Request, keep: tuple[str, ...]) -> dict[str, str]:
    """The kept fields of the posted form (the last value of each), secrets never."""
    body = request.raw_body or b""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_FORM_BYTES:
        return {}
    values = form_fields(raw)
    return {k: values[k] for k in keep if k in values and k not in SECRET_FIELDS}


def render_failed_form(request: Request, form: FormPage, error: AppError) -> Response | None:
    """The form's page with ``error``, or None when drawing it failed (the caller's plain
    error page is the answer then)."""
    try:
        return form.render(error, submitted(request, form.keep), request)
    except Exception:  # the error page must not fail because a form's page could not draw
        logger.exception("form page failed to render", form=form.path, error_code=error.code)
        return None


#: Errors about one field that carry no details (the password policy, a taken email).
CODE_FIELDS = {"password_too_short": ("password", "new_password"),
               "password_too_long": ("password", "new_password"),
               "password_too_common": ("password", "new_password"),
               "password_matches_account": ("password", "new_password"),
               "email_taken": ("email",)}


def field_errors(error: AppError | None) -> dict[str, str]:
    """Each field's first message (for the inputs): from a validation error's details, or
    the fields its code is about."""
    if error is None:
        return {}
    found: dict[str, str] = {name: error.message for name in CODE_FIELDS.get(error.code, ())}
    for detail in error.details or []:
        name = str(detail.get("field") or "")
        if name and name not in found:
            found[name] = str(detail.get("message") or "")
    return found


def form_context(error: AppError | None, values: dict[str, str]) -> dict[str, Any]:
    """What a form template reads: ``form_error``, ``field_errors`` and ``values``."""
    return {"form_error": error, "field_errors": field_errors(error), "values": values}
