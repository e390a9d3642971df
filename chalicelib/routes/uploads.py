"""Resumable uploads, uploaders' title access and titles made by uploaders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    ACCESS,
    ADMIN,
    ANY_STAFF,
    PROGRESS,
    UPLOADS,
    Op,
)
from chalicelib.openapi.queries import (
    LIMIT,
    Param,
)
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import BODY_TYPES, Json, json_response, page_size
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    audit,
    body,
    query,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services

if TYPE_CHECKING:
    from chalicelib.uploads import schemas as upload_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    upload_schemas = lazy_module("chalicelib.uploads.schemas")

bp = Blueprint(__name__)


def require_upload_id(upload_id: str) -> None:
    from chalicelib.uploads.names import UPLOAD_ID

    if not UPLOAD_ID.match(upload_id):
        raise catalogued("upload_not_found")


@declare(bp, "POST", "/api/admin/uploads", Op(
    "Start a resumable upload (an S3 multipart upload)", "uploads", "UploadParts", 201,
    "chalicelib.uploads.schemas:UploadIn", roles=ANY_STAFF, errors=(404, 413, 415, 422),
    description=f"{UPLOADS} {ACCESS}"), content_types=["application/json"])
def start_upload() -> Json[api.UploadParts]:
    from chalicelib.uploads.service import Declared

    data = body(upload_schemas.UploadIn)
    started = services.uploads.start(current().user, Declared(
        file_name=data.file_name, size=data.size, content_type=data.content_type,
        title_id=data.title_id, episode=data.episode, last_modified=data.last_modified))
    audit("upload.start", started["key"], title_id=data.title_id, size=data.size)
    return json_response(started, 201)


@declare(bp, "GET", "/api/admin/uploads", Op(
    "Your uploads; with a file's name, size and last-modified time, the ones to resume",
    "uploads", "UploadList", roles=ANY_STAFF, errors=(400,),
    query=(
        Param("file_name", "The file's name as the client saw it", max_length=255),
        Param("size", "The file's size in bytes", "integer", minimum=1),
        Param("last_modified", "The file's last-modified time, ms since 1970", "integer",
        minimum=0),
        Param("state", "UPLOADING, COMPLETING, COMPLETED or ABORTED", max_length=16),
        LIMIT)))
def my_uploads() -> Json[api.UploadList]:
    """The caller's uploads; with file_name, size and last_modified, that file's unfinished
    ones (what the upload page resumes)."""
    size, modified = query("size"), query("last_modified")
    for name, value, least in (("size", size, 1), ("last_modified", modified, 0)):
        if value is not None and not (is_whole_number(value) and int(value) >= least):
            raise catalogued("bad_filter", name=name,
                             problem=f"must be a whole number from {least}")
    if len(query("file_name") or "") > 255:
        raise catalogued("bad_filter", name="file_name", problem="is at most 255 characters")
    state = query("state")
    if state is not None and state not in ("UPLOADING", "COMPLETING", "COMPLETED", "ABORTED"):
        raise catalogued("bad_filter", name="state",
                         problem="is one of UPLOADING, COMPLETING, COMPLETED, ABORTED")
    found = services.upload_listing.mine(
        current().user, page_size(query("limit"), default=20, maximum=100),
        file_name=query("file_name"), size=int(size) if size else None,
        last_modified=int(modified) if modified else None, state=state)
    return json_response({"uploads": found}, headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/api/admin/uploads/{upload_id}", Op(
    "An upload's state, then its encode's", "uploads", "UploadStatus", roles=ANY_STAFF,
    errors=(404,), description=PROGRESS))
def upload_status(upload_id: str) -> Json[api.UploadStatus]:
    return json_response(services.upload_listing.status(current().user, upload_id),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/api/admin/uploads/{upload_id}/parts", Op(
    "The parts S3 already holds (to resume)", "uploads", "UploadParts", roles=ANY_STAFF,
    errors=(404, 409)))
def upload_parts(upload_id: str) -> Json[api.UploadParts]:
    return json_response(services.uploads.parts(current().user, upload_id),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "POST", "/api/admin/uploads/{upload_id}/parts", Op(
    "Presigned URLs for a batch of parts", "uploads", "PartUrls",
    body="chalicelib.uploads.schemas:SignIn", roles=ANY_STAFF,
    errors=(404, 409, 415, 422)), content_types=["application/json"])
def sign_upload_parts(upload_id: str) -> Json[api.PartUrls]:
    require_upload_id(upload_id)  # an unknown id is a 404 whatever the body
    data = body(upload_schemas.SignIn)
    return json_response(services.uploads.sign(current().user, upload_id, data.part_numbers),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "POST", "/api/admin/uploads/{upload_id}/complete", Op(
    "Complete an upload with its parts' ETags; the encode starts", "uploads", "Upload",
    body="chalicelib.uploads.schemas:CompleteIn", roles=ANY_STAFF,
    errors=(404, 409, 415, 422)), content_types=["application/json"])
def complete_upload(upload_id: str) -> Json[api.Upload]:
    require_upload_id(upload_id)  # an unknown id is a 404 whatever the body
    data = body(upload_schemas.CompleteIn)
    done = services.uploads.complete(current().user, upload_id,
                                     [(p.part_number, p.etag) for p in data.parts])
    audit("upload.complete", done["key"], title_id=done["title_id"], size=done["size"])
    return json_response(done)


@declare(bp, "DELETE", "/api/admin/uploads/{upload_id}", Op(
    "Cancel an unfinished upload (S3 drops its parts)", "uploads", "Upload",
    roles=ANY_STAFF, errors=(404, 409)))
def abort_upload(upload_id: str) -> Json[api.Upload]:
    aborted = services.uploads.abort(current().user, upload_id)
    audit("upload.abort", aborted["key"], owner=aborted["owner"], size=aborted["size"])
    return json_response(aborted)


@declare(bp, "GET", "/api/admin/upload-access", Op(
    "Your access level and the titles you may upload to", "uploads",
    "UploadAccessList", roles=ANY_STAFF, description=ACCESS))
def my_upload_access() -> Json[api.UploadAccessList]:
    """The caller's access level and the titles they may upload to."""
    return json_response(services.upload_access.of(current().user),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "POST", "/api/admin/titles", Op(
    "Create a title to upload to (you hold it from then on)", "uploads", "NewTitle", 201,
    "chalicelib.uploads.schemas:NewTitleIn", roles=ANY_STAFF, errors=(415, 422),
    description=ACCESS), content_types=["application/json"])
def create_title() -> Json[api.NewTitle]:
    data = body(upload_schemas.NewTitleIn)
    created = services.new_titles.create(current().user, data.kind, data.name, data.year,
                                         data.overview)
    audit("title.create", created["id"], kind=data.kind, name=data.name)
    return json_response(created, 201, {"Location": f"/api/titles/{created['id']}"})


@declare(bp, "GET", "/api/admin/unfinished-uploads", Op(
    "Every unfinished upload, with how much S3 holds", "uploads", "UnfinishedUploads",
    roles=ADMIN,
    query=(LIMIT,)))
def unfinished_uploads() -> Json[api.UnfinishedUploads]:
    limit = page_size(query("limit"), default=50, maximum=100)
    return json_response({"uploads": services.upload_listing.unfinished(limit)},
                         headers={"Cache-Control": "no-store"})


@declare(bp, "GET", "/api/admin/users/{user_id}/upload-access", Op(
    "A user's upload access level and titles", "admin", "UploadAccessList", roles=ADMIN,
    errors=(404,), description=ACCESS))
def admin_upload_access(user_id: str) -> Json[api.UploadAccessList]:
    return json_response(services.upload_access.of(services.users.existing(user_id)),
                         headers={"Cache-Control": "no-store"})


@declare(bp, "PUT", "/api/admin/users/{user_id}/upload-access/{title_id}", Op(
    "Let a user upload to a title (or series); audited", "admin", "UploadAccessEntry",
    201, roles=ADMIN, errors=(404,),
    also={200: ("The title was already on the user's list", "UploadAccessEntry")},
    description=ACCESS), content_types=BODY_TYPES)
def admin_grant_upload_access(user_id: str, title_id: str) -> Json[api.UploadAccessEntry]:
    user = services.users.existing(user_id)
    entry, new = services.upload_access.grant(user.id, title_id, current().user)
    if new:
        audit("upload_access.grant", user.id, title_id=title_id, user_email=user.email)
    return json_response(entry, 201 if new else 200)


@declare(bp, "DELETE", "/api/admin/users/{user_id}/upload-access/{title_id}", Op(
    "Take a title off a user's upload list; audited", "admin", "UploadAccessEntry",
    roles=ADMIN, errors=(404,), description=ACCESS))
def admin_revoke_upload_access(user_id: str, title_id: str) -> Json[api.UploadAccessEntry]:
    user = services.users.existing(user_id)
    revoked = services.upload_access.revoke(user.id, title_id)
    audit("upload_access.revoke", user.id, title_id=title_id, user_email=user.email,
          via=revoked["via"])
    return json_response(revoked)
