"""The HTML pages, the API document and static files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response

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
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import AppError, catalogued
from chalicelib.platform.http import BODY_TYPES, json_response, local_path, requested_target
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    audit,
    body,
    query,
    request,
    the_app,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services, settings
from chalicelib.web import form_pages
from chalicelib.web.country import viewer_country
from chalicelib.web.form_pages import FormPage, form_context
from chalicelib.web.render import page
from chalicelib.web.static import static_file

if TYPE_CHECKING:
    from chalicelib.jobs import schemas as job_schemas
    from chalicelib.openapi import document as openapi_document
    from chalicelib.openapi import reference as openapi_reference
else:  # pydantic and email-validator load with the first request that parses a body
    job_schemas = lazy_module("chalicelib.jobs.schemas")
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
    return page("home.html", who, **services.pages.home(who, viewer_country(headers())))


@declare(bp, "GET", "/browse", Op("Browse page", "pages", "html",
    query=(*FILTERS, CURSOR)))
def browse_page() -> Response:
    who = viewer()
    return page("browse.html", who, listed=services.pages.listed(who),
                back=requested_target(request()), **services.pages.browse(
        query("type"), query("genre"), query("year"), query("country"), query("cursor"),
        query("available"), ceiling=who.ceiling if who else None))


@declare(bp, "GET", "/search", Op("Search page", "pages", "html",
    query=(Param("q", "What to look for", max_length=100),
           Param("page", "Which page of results (from 1)"))))
def search_page() -> Response:
    who = viewer()
    return page("search.html", who, listed=services.pages.listed(who),
                back=requested_target(request()), **services.pages.search(
        query("q"), query("page"), ceiling=who.ceiling if who else None))


@declare(bp, "GET", "/titles/{title_id}", Op(
    "Title page", "pages", "html", errors=(404,),
    query=(
        Param("season", "Season number (none: the first; one the series lacks: 404)"),)))
def title_page(title_id: str) -> Response:
    who = viewer()
    return page("title.html", who, **services.pages.title(who, title_id, query("season")))


@declare(bp, "GET", "/watch/{title_id}", Op("Player page", "pages", "html", roles=USER,
    errors=(402, 404, 409),
    query=(EPISODE,)))
def watch_page(title_id: str) -> Response:
    who = current()
    return page("watch.html", who, **services.pages.watch(who, title_id, query("episode")))


@declare(bp, "GET", "/register", Op("Registration page", "pages", "html",
    query=(NEXT,)))
def register_page() -> Response:
    return page("register.html", viewer(), next=local_path(query("next"), ""))


@declare(bp, "GET", "/login", Op("Login page", "pages", "html",
    query=(NEXT, Param("reset", "`sent` or `done` (a notice)"))))
def login_page() -> Response:
    notices = {"sent": "If an account uses that email, a reset link is on its way.",
               "done": "Your password is changed; log in with it."}
    return page("login.html", viewer(), next=local_path(query("next")),
                notice=notices.get(query("reset") or ""))


@declare(bp, "GET", "/reset", Op("Password-reset page", "pages", "html", errors=(400,),
    query=(TOKEN,)))
def reset_page() -> Response:
    """Ask for a reset link, or (with ?token= from the mail) choose the new password."""
    return reset_form(query("token"))


@declare(bp, "GET", "/reset-password", Op("Password-reset page (the mail's link)", "pages", "html",
    errors=(400,), query=(TOKEN,)))
def reset_password_page() -> Response:
    """Where the reset mail's link points: the same page."""
    return reset_form(query("token"))


def reset_form(token: str | None) -> Response:
    """The new-password form for a usable link; for a used, expired or unknown one, says so
    at once (before a new password is typed) and offers to send another."""
    if token:
        try:
            services.accounts.check_reset_link(token)
        except AppError as error:
            return page("reset.html", viewer(), status=error.status, token=None,
                        **form_context(error, {}))
    return page("reset.html", viewer(), token=token)


@declare(bp, "GET", "/plans", Op("Plans page", "pages", "html", query=(
    Param("needed", "Set when watching needed a subscription (a notice)"),
    Param("welcome", "Set after registering (a notice)"))))
def plans_page() -> Response:
    who = viewer()
    notice = ("Watching needs a subscription: here is what each plan includes."
              if query("needed") else
              "Welcome to Notflix: choose a plan to start watching." if query("welcome")
              else None)
    return page("plans.html", who, notice=notice,
                **services.pages.plans(who.user if who else None))


@declare(bp, "GET", "/account", Op("Account page", "pages", "html", roles=USER,
    query=(Param("subscribed", "Set after PayPal approval"),
           Param("plan_changed", "Set after a plan change's approval (the new plan's key)"),
           Param("restarted", "Set after a restart's approval"),
           Param("cancelled", "Set after cancelling"),
           Param("subscription_id", "PayPal's subscription id (sent back on approval)"))))
def account_page() -> Response:
    who = current()
    notices = {"subscribed": "Thank you: your subscription is active.",
               "plan_changed": "Your plan change is approved; it shows here as soon as PayPal "
                               "confirms it.",
               "restarted": "Welcome back: your subscription continues.",
               "cancelled": "Your subscription is cancelled; you can watch until your paid "
                            "time ends, and restart it before then."}
    notice = next((text for key, text in notices.items() if query(key)), None)
    return page("account.html", who, notice=notice, **services.pages.account(who.user))


@declare(bp, "GET", "/account/cancel", Op("Confirm cancelling the subscription", "pages",
    "html", roles=USER))
def cancel_page() -> Response:
    who = current()
    return page("cancel.html", who, **services.pages.account(who.user))


@declare(bp, "GET", "/history", Op("Viewing history page", "pages", "html", roles=USER,
    query=(CURSOR,)))
def history_page() -> Response:
    who = current()
    return page("history.html", who, **services.pages.history(who, query("cursor")))


@declare(bp, "GET", "/profiles", Op("Who's watching: the profile picker", "pages", "html",
    roles=USER, query=(NEXT,)))
def profiles_page() -> Response:
    return page("profiles.html", current(), **_picker(current()))


@declare(bp, "GET", "/profiles/manage", Op("Add, edit and delete profiles", "pages", "html",
    roles=USER, errors=(403,)))
def profiles_manage_page() -> Response:
    who = current()
    if who.profile is not None and who.profile.kids:
        raise catalogued("kids_profile_restricted")
    return page("profiles_manage.html", who, **_manage(who))


def _picker(who: Principal, wanted: str | None = None) -> dict[str, Any]:
    return {"profiles": services.profiles.profiles(who.user), "current": who.viewer_id,
            "next": local_path(query("next") or "/"), "pin_for": wanted,
            "kids": bool(who.profile and who.profile.kids)}


def _manage(who: Principal) -> dict[str, Any]:
    from chalicelib.profiles.maturity import KIDS_CEILINGS
    from chalicelib.profiles.store import AVATARS, MAX_PROFILES

    return {"profiles": services.profiles.profiles(who.user), "avatars": AVATARS,
            "ceilings": KIDS_CEILINGS, "maximum": MAX_PROFILES}


@declare(bp, "GET", "/upload", Op("Upload page", "pages", "html", roles=ANY_STAFF,
    query=(Param("title", "Attach the upload to this title"),)))
def upload_page() -> Response:
    return page("upload.html", current(), title_id=query("title"))


@declare(bp, "GET", "/admin", Op("Admin console", "pages", "html", roles=ADMIN, query=(
    Param("q", "Find users whose email or name holds this", max_length=100),
    Param("after", "The users page's cursor (its \"More\" link)", max_length=200))))
def admin_page() -> Response:
    return page("admin.html", current(), **services.pages.admin(
        query("q"), query("after"), tmdb_configured=settings.tmdb_configured))


RETENTION_DAYS = Param("days", "Older than this many days (default: the setting)", "integer",
                       minimum=0, maximum=3650)


@declare(bp, "GET", "/admin/retention", Op("Retention cleanup: what it would delete",
    "pages", "html", roles=ADMIN, errors=(400,), query=(
        RETENTION_DAYS,
        Param("keep_monthly", "Keep each month's last encode of a title (1)"))))
def retention_page() -> Response:
    days = query("days")
    if days is None:  # the settings' defaults
        return retention_report(None, None, dry_run=True)
    # the page's own form sends both; an unchecked box sends no keep_monthly
    return retention_report(retention_days(days), query("keep_monthly") is not None,
                            dry_run=True)


def retention_days(text: str) -> int:
    """The page's `days`, held to its documented range (pages are not checked centrally):
    a 400 for anything else, never a date arithmetic overflow."""
    low, high = RETENTION_DAYS.minimum or 0, RETENTION_DAYS.maximum or 0
    if not (is_whole_number(text) and low <= int(text) <= high):
        raise catalogued("bad_query_param", name="days",
                         problem=f"must be a whole number from {low} to {high}")
    return int(text)


@declare(bp, "POST", "/admin/retention", Op("Run the retention cleanup shown by its page",
    "pages", "html", roles=ADMIN, body="chalicelib.jobs.schemas:RetentionRunForm",
    errors=(422,)), content_types=BODY_TYPES)
def run_retention_page() -> Response:
    data = body(job_schemas.RetentionRunForm)
    return retention_report(data.days, data.keep_monthly, dry_run=False)


def retention_report(days: int | None, keep_monthly: bool | None, dry_run: bool) -> Response:
    who = current()
    days = settings.retention_days if days is None else days
    keep = settings.retention_keep_monthly if keep_monthly is None else keep_monthly
    report = services.retention.run(datetime.now(UTC), days, keep, dry_run)
    if not dry_run:
        audit("retention.run", f"{days} days", deleted=report["deleted_files"])
    return page("retention.html", who, report=report)


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


# -- forms that fail come back as their page (chalicelib.web.form_pages) ---------------------
def _next_of(request: Request, default: str = "/") -> str:
    params = request.query_params
    return local_path(params.get("next") if params is not None else None, default)


def _register_failed(error: AppError, values: dict[str, str], request: Request) -> Response:
    return page("register.html", None, status=error.status, next=_next_of(request, ""),
                **form_context(error, values))


def _login_failed(error: AppError, values: dict[str, str], request: Request) -> Response:
    return page("login.html", None, status=error.status, next=_next_of(request),
                **form_context(error, values))


def _reset_request_failed(error: AppError, values: dict[str, str], _request: Request
                          ) -> Response:
    return page("reset.html", None, status=error.status, token=None,
                **form_context(error, values))


def _reset_confirm_failed(error: AppError, values: dict[str, str], _request: Request
                          ) -> Response:
    # a refused password keeps the link (the form again); a dead link offers a new one
    token = None if error.code == "reset_token_invalid" else values.get("token")
    return page("reset.html", None, status=error.status, token=token,
                **form_context(error, {}))


def _plans_failed(error: AppError, values: dict[str, str], _request: Request) -> Response:
    who = viewer()
    return page("plans.html", who, status=error.status, **form_context(error, values),
                **services.pages.plans(who.user if who else None))


def _retention_failed(error: AppError, _values: dict[str, str], _request: Request
                      ) -> Response:
    who = viewer()
    if who is None or "admin" not in who.user.roles:  # a refusal is not the admin's page
        raise PermissionError("the retention page is for admins")
    report = services.retention.run(datetime.now(UTC), settings.retention_days,
                                    settings.retention_keep_monthly, True)
    return page("retention.html", who, status=error.status, report=report,
                **form_context(error, {}))


def _account_failed(error: AppError, values: dict[str, str], _request: Request) -> Response:
    who = viewer()  # the error handler runs outside the view: current() is not set
    if who is None:
        raise PermissionError("the account page needs a logged-in user")
    return page("account.html", who, status=error.status, **form_context(error, values),
                **services.pages.account(who.user))


form_pages.register("/api/auth/register",
                    FormPage("/register", _register_failed, ("display_name", "email")))
form_pages.register("/api/auth/login", FormPage("/login", _login_failed, ("email",)))
form_pages.register("/api/auth/password-reset",
                    FormPage("/reset", _reset_request_failed, ("email",)))
form_pages.register("/api/auth/password-reset/confirm",
                    FormPage("/reset", _reset_confirm_failed, ("token",)))
form_pages.register("/api/subscriptions", FormPage("/plans", _plans_failed, ("plan",)))
form_pages.register("/admin/retention", FormPage("/admin/retention", _retention_failed))
form_pages.register("/api/subscriptions/cancel", FormPage("/account/cancel", _account_failed))
form_pages.register("/api/subscriptions/plan", FormPage("/plans", _plans_failed, ("plan",)))
form_pages.register("/api/subscriptions/restart", FormPage("/account", _account_failed))


def _choose_failed(error: AppError, _values: dict[str, str], request_: Request) -> Response:
    who = viewer()
    if who is None:
        raise PermissionError("the profile picker needs a logged-in user")
    wanted = str(request_.uri_params.get("profile_id", "")) if request_.uri_params else ""
    return page("profiles.html", who, status=error.status, pin_message=error.message,
                **_picker(who, wanted or None))


def _manage_failed(error: AppError, values: dict[str, str], _request: Request) -> Response:
    who = viewer()
    if who is None:
        raise PermissionError("the profiles page needs a logged-in user")
    return page("profiles_manage.html", who, status=error.status,
                **form_context(error, values), **_manage(who))


form_pages.register("/api/me/profiles/{profile_id}/choose",
                    FormPage("/profiles", _choose_failed))
form_pages.register("/api/me/profiles", FormPage("/profiles/manage", _manage_failed,
                                                 ("name",)))
form_pages.register("/api/me/profiles/{profile_id}/edit",
                    FormPage("/profiles/manage", _manage_failed))
form_pages.register("/api/me/profiles/{profile_id}/delete",
                    FormPage("/profiles/manage", _manage_failed))
