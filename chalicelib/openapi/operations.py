"""What each route takes and answers: the one table the OpenAPI document is built from.

Request bodies name the pydantic models the handlers parse with; responses name the models in
``responses``. ``tests/unit/test_openapi.py`` fails when a route of the app is missing here
(or an entry names a route that no longer exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import BaseModel

from chalicelib.openapi import responses as r
from chalicelib.openapi.queries import QUERIES, Param

#: Non-JSON answers: pages, files, redirects.
Media = Literal["html", "text", "svg", "static", "redirect", "stream"]
Body = type[BaseModel] | Media | None


@dataclass(frozen=True)
class Op:
    summary: str
    tag: str
    out: Body
    ok: int = 200
    #: "package.module:Model" (imported when the document is built) or a media kind.
    body: str | None = None
    #: None: anyone; (): any logged-in user; otherwise one of these roles.
    roles: tuple[str, ...] | None = None
    #: Filled from ``queries.QUERIES`` (the limits requests are checked against).
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    #: Other successful statuses: {status: (description, body)}.
    also: dict[int, tuple[str, Body]] = field(default_factory=dict)
    description: str = ""


USER = ()
ANY_STAFF = ("uploader", "admin")
ADMIN = ("admin",)
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
SEE_OTHER: dict[int, tuple[str, Body]] = {303: ("A form post: where the browser goes next",
                                                "redirect")}

#: (method, path) -> operation; every route of app.py has one entry.
OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): Op("Health of each dependency", "operations", r.Health,
                           also={503: ("A dependency is down", r.Health)}),
    # -- auth
    ("POST", "/api/auth/register"): Op(
        "Create an account and log in", "auth", r.LoggedIn, 201,
        "chalicelib.auth.schemas:RegisterIn", errors=(403, 409, 422, 429), also=SEE_OTHER),
    ("POST", "/api/auth/login"): Op(
        "Log in with email and password", "auth", r.LoggedIn,
        body="chalicelib.auth.schemas:LoginIn", errors=(401, 403, 422, 429), also=SEE_OTHER),
    ("POST", "/api/auth/logout"): Op(
        "End this session", "auth", None, 204, roles=USER, also=SEE_OTHER),
    ("POST", "/api/auth/password-reset"): Op(
        "Mail a password-reset link", "auth", r.Message, 202,
        "chalicelib.auth.schemas:ResetRequestIn", errors=(403, 429), also=SEE_OTHER),
    ("POST", "/api/auth/password-reset/confirm"): Op(
        "Choose a new password with a reset token", "auth", r.Message,
        body="chalicelib.auth.schemas:ResetConfirmIn", errors=(403, 422, 429),
        also=SEE_OTHER),
    # -- me
    ("GET", "/api/me"): Op("The logged-in user and their subscription", "me", r.Me,
                           roles=USER),
    ("PATCH", "/api/me"): Op("Change the display name", "me", r.User,
                             body="chalicelib.auth.schemas:ProfilePatch", roles=USER),
    ("POST", "/api/me/password"): Op(
        "Change the password (other sessions end)", "me", r.User,
        body="chalicelib.auth.schemas:PasswordChangeIn", roles=USER, errors=(403, 422, 429)),
    ("GET", "/api/me/logins"): Op("Recent logins to this account", "me", r.Logins,
                                  roles=USER),
    # -- payments
    ("GET", "/api/plans"): Op("The plans on offer", "payments", r.Plans),
    ("POST", "/api/subscriptions"): Op(
        "Start a PayPal subscription (approve it at `approve_url`)", "payments",
        r.SubscriptionCreated, 201, "chalicelib.payments.schemas:SubscribeIn", roles=USER,
        errors=(409, 422, 502), also=SEE_OTHER),
    ("POST", "/api/subscriptions/cancel"): Op(
        "Cancel the subscription (paid time remains)", "payments", r.Subscription, roles=USER,
        errors=(404, 409, 502), also=SEE_OTHER),
    ("GET", "/api/me/payments"): Op("The payments ledger, newest first", "payments",
                                    r.Payments, roles=USER),
    ("POST", "/webhooks/paypal"): Op(
        "PayPal's webhook (signature-verified; each event applied once)", "payments",
        r.WebhookOutcome, body="object", errors=(401,)),
    # -- catalogue
    ("GET", "/api/titles"): Op("Browse films and series", "catalogue", r.TitlePage),
    ("GET", "/api/titles/{title_id}"): Op("A title's details", "catalogue", r.Title,
                                          errors=(404,)),
    ("GET", "/api/titles/{title_id}/seasons/{number}"): Op(
        "A season's episodes", "catalogue", r.Season, errors=(404,)),
    ("GET", "/api/search"): Op(
        "Search titles by name (typo-tolerant)", "catalogue", r.SearchResults),
    ("GET", "/api/rankings/countries/{country}"): Op(
        "Best-rated titles of a country", "catalogue", r.CountryRanking, errors=(404,)),
    ("GET", "/posters/placeholder.svg"): Op("The poster shown when a title has none",
                                            "catalogue", "svg"),
    ("POST", "/api/me/imports/imdb"): Op(
        "Import an IMDb ratings/watchlist CSV export", "me", r.ImdbImport, body="csv",
        roles=USER, errors=(413, 422)),
    ("POST", "/api/admin/imports/tmdb"): Op(
        "Start a TMDB catalogue import", "operations", r.ImportRun, 202,
        "chalicelib.catalogue.schemas:TmdbImportIn", roles=ADMIN, errors=(409, 422)),
    ("GET", "/api/admin/imports"): Op("Recent catalogue imports", "operations", r.ImportRuns,
                                      roles=ADMIN),
    ("GET", "/api/admin/imports/{run_id}"): Op("One import's progress", "operations",
                                               r.ImportRun, roles=ADMIN, errors=(404,)),
    # -- viewing
    ("POST", "/api/me/progress"): Op(
        "Record the playback position (also counts plays)", "viewing", r.ProgressRecorded,
        body="chalicelib.usage.schemas:ProgressIn", roles=USER, errors=(402, 404, 409, 422)),
    ("GET", "/api/titles/{title_id}/play"): Op(
        "Authorise playback: the stream's URLs and where to resume", "viewing", r.PlayGrant,
        roles=USER, errors=(402, 404, 409)),
    ("GET", "/stream/{asset_id}/{name}"): Op(
        "A stream file: manifests, playlists and WebVTT served; segments and images "
        "redirected to short-lived signed URLs", "viewing", "stream", roles=USER,
        errors=(402, 404), also={302: ("The file's signed URL", "redirect")}),
    ("GET", "/api/me/continue-watching"): Op(
        "Titles in progress, most recent first", "viewing", r.ContinueWatching, roles=USER),
    ("GET", "/api/me/history"): Op("Viewing history, newest first", "viewing", r.History,
                                   roles=USER),
    ("GET", "/api/me/recommendations"): Op(
        "Recommended titles with reasons (popular titles when degraded)", "viewing",
        r.Recommendations, roles=USER),
    ("GET", "/api/titles/{title_id}/similar"): Op(
        "Titles like this one", "viewing", r.Recommendations, errors=(404,)),
    # -- uploads and operations
    ("POST", "/api/admin/uploads"): Op(
        "Start a resumable upload (an S3 multipart upload)", "uploads", r.UploadParts, 201,
        "chalicelib.uploads.schemas:UploadIn", roles=ANY_STAFF, errors=(404, 413, 415, 422),
        description=f"{UPLOADS} {ACCESS}"),
    ("GET", "/api/admin/uploads"): Op(
        "Your uploads; with a file's name, size and last-modified time, the ones to resume",
        "uploads", r.UploadList, roles=ANY_STAFF, errors=(400,)),
    ("GET", "/api/admin/uploads/{upload_id}"): Op(
        "An upload's state, then its encode's", "uploads", r.UploadStatus, roles=ANY_STAFF,
        errors=(404,), description=PROGRESS),
    ("GET", "/api/admin/uploads/{upload_id}/parts"): Op(
        "The parts S3 already holds (to resume)", "uploads", r.UploadParts, roles=ANY_STAFF,
        errors=(404, 409)),
    ("POST", "/api/admin/uploads/{upload_id}/parts"): Op(
        "Presigned URLs for a batch of parts", "uploads", r.PartUrls,
        body="chalicelib.uploads.schemas:SignIn", roles=ANY_STAFF,
        errors=(404, 409, 415, 422)),
    ("POST", "/api/admin/uploads/{upload_id}/complete"): Op(
        "Complete an upload with its parts' ETags; the encode starts", "uploads", r.Upload,
        body="chalicelib.uploads.schemas:CompleteIn", roles=ANY_STAFF,
        errors=(404, 409, 415, 422)),
    ("DELETE", "/api/admin/uploads/{upload_id}"): Op(
        "Cancel an unfinished upload (S3 drops its parts)", "uploads", r.Upload,
        roles=ANY_STAFF, errors=(404, 409)),
    ("GET", "/api/admin/upload-access"): Op(
        "Your access level and the titles you may upload to", "uploads",
        r.UploadAccessList, roles=ANY_STAFF, description=ACCESS),
    ("POST", "/api/admin/titles"): Op(
        "Create a title to upload to (you hold it from then on)", "uploads", r.NewTitle, 201,
        "chalicelib.uploads.schemas:NewTitleIn", roles=ANY_STAFF, errors=(415, 422),
        description=ACCESS),
    ("GET", "/api/admin/unfinished-uploads"): Op(
        "Every unfinished upload, with how much S3 holds", "uploads", r.UnfinishedUploads,
        roles=ADMIN),
    ("GET", "/api/admin/jobs"): Op(
        "Encode jobs by panel, or a title's jobs", "operations", r.JobPanel, roles=ANY_STAFF,
        errors=(404,)),
    ("GET", "/api/admin/jobs/{job_id}"): Op("One encode job", "operations", r.Job,
                                            roles=ANY_STAFF, errors=(404,),
                                            description=PROGRESS),
    ("GET", "/api/admin/jobs/{job_id}/log"): Op("An encode job's log", "operations", "text",
                                                roles=ANY_STAFF, errors=(404,)),
    ("POST", "/api/admin/jobs/{job_id}/cancel"): Op(
        "Cancel an encode job", "operations", r.JobCancelled, 202, roles=ANY_STAFF,
        errors=(404, 409)),
    ("POST", "/api/admin/jobs/{job_id}/retry"): Op(
        "Retry a failed or cancelled job", "operations", r.Accepted, 202, roles=ANY_STAFF,
        errors=(404, 409)),
    ("POST", "/api/admin/titles/{title_id}/reencode"): Op(
        "Encode a title's source again", "operations", r.Accepted, 202, roles=ANY_STAFF,
        errors=(404, 409)),
    ("PUT", "/api/admin/titles/{title_id}/encode-settings"): Op(
        "A title's encode rules: only the latest upload, cooldown", "operations",
        r.EncodeSettings, body="chalicelib.jobs.schemas:EncodeSettingsIn", roles=ADMIN,
        errors=(404, 422)),
    ("POST", "/api/admin/retention"): Op(
        "What the retention cleanup deletes (dry run), or run it", "operations",
        r.RetentionReport, body="chalicelib.jobs.schemas:RetentionIn", roles=ADMIN,
        errors=(422,)),
    ("GET", "/api/admin/dashboard"): Op(
        "Job panels changed since a cursor", "operations", r.Dashboard, roles=ANY_STAFF),
    ("POST", "/api/admin/webhooks"): Op(
        "Create an ingest webhook (its secret is shown once)", "operations",
        r.WebhookCreated, 201, "chalicelib.ingest.schemas:WebhookIn", roles=ADMIN,
        errors=(422,)),
    ("GET", "/api/admin/webhooks"): Op("Ingest webhooks", "operations", r.Webhooks,
                                       roles=ADMIN),
    ("POST", "/webhooks/ingest"): Op(
        "An external system asks for an ingest (HMAC-signed)", "operations", r.Accepted, 202,
        "chalicelib.ingest.schemas:IngestIn", errors=(401, 403, 404, 409, 422)),
    ("GET", "/api/admin/audit"): Op(
        "Recent admin actions", "operations", r.AuditLog, roles=ADMIN),
    ("GET", "/api/admin/users"): Op(
        "Users, 50 at a time", "admin", r.UserPage, roles=ADMIN),
    ("PUT", "/api/admin/users/{user_id}/roles"): Op(
        "Set a user's roles", "admin", r.User, body="chalicelib.auth.schemas:RolesIn",
        roles=ADMIN, errors=(404, 422)),
    ("GET", "/api/admin/users/{user_id}/upload-access"): Op(
        "A user's upload access level and titles", "admin", r.UploadAccessList, roles=ADMIN,
        errors=(404,), description=ACCESS),
    ("PUT", "/api/admin/users/{user_id}/upload-access/{title_id}"): Op(
        "Let a user upload to a title (or series); audited", "admin", r.UploadAccessEntry,
        201, roles=ADMIN, errors=(404,),
        also={200: ("The title was already on the user's list", r.UploadAccessEntry)},
        description=ACCESS),
    ("DELETE", "/api/admin/users/{user_id}/upload-access/{title_id}"): Op(
        "Take a title off a user's upload list; audited", "admin", r.UploadAccessEntry,
        roles=ADMIN, errors=(404,), description=ACCESS),
    # -- pages (HTML)
    ("GET", "/"): Op("Home page", "pages", "html"),
    ("GET", "/browse"): Op("Browse page", "pages", "html"),
    ("GET", "/search"): Op("Search page", "pages", "html"),
    ("GET", "/titles/{title_id}"): Op(
        "Title page", "pages", "html", errors=(404,)),
    ("GET", "/watch/{title_id}"): Op("Player page", "pages", "html", roles=USER,
                                     errors=(402, 404, 409)),
    ("GET", "/register"): Op("Registration page", "pages", "html"),
    ("GET", "/login"): Op("Login page", "pages", "html"),
    ("GET", "/reset"): Op("Password-reset page", "pages", "html"),
    ("GET", "/reset-password"): Op("Password-reset page (the mail's link)", "pages", "html"),
    ("GET", "/plans"): Op("Plans page", "pages", "html"),
    ("GET", "/account"): Op("Account page", "pages", "html", roles=USER),
    ("GET", "/history"): Op("Viewing history page", "pages", "html", roles=USER),
    ("GET", "/upload"): Op("Upload page", "pages", "html", roles=ANY_STAFF),
    ("GET", "/admin"): Op("Admin console", "pages", "html", roles=ADMIN),
    ("GET", "/console"): Op("Encode jobs console", "pages", "html", roles=ANY_STAFF),
    ("GET", "/docs"): Op("This API's documentation", "pages", "html"),
    ("GET", "/openapi.json"): Op("This API's OpenAPI document", "pages", "static"),
    ("GET", "/static/{name}"): Op("A stylesheet or image", "pages", "static", errors=(404,)),
    ("GET", "/static/{folder}/{name}"): Op("A script", "pages", "static", errors=(404,)),
}
OPERATIONS = {key: replace(op, query=QUERIES.get(key, ())) for key, op in OPERATIONS.items()}
