"""Start, sign, complete and abort multipart uploads; the API signs, the bytes go to S3.

An upload starts with what the uploader declares (file name, size, content type, title), which
fixes its part size and part count. The uploader asks for presigned ``UploadPart`` URLs in
batches, sends the parts straight to S3 (in parallel, retrying each), and completes with the
part ETags; completion is checked against what S3 lists and the declared size before S3 is
asked to join the parts. S3's ``ObjectCreated`` event then starts the encoder, once, as for
any upload. Only the uploader who started an upload may sign or complete it; they and admins
may abort it. Starting and completing an upload for a title both need the uploader to hold
that title (:mod:`chalicelib.uploads.access`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.auth.users import User
from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.openapi import responses as api
from chalicelib.platform.aws import error_code
from chalicelib.platform.clock import iso, parse_iso
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import logger
from chalicelib.uploads.access import UploadAccess
from chalicelib.uploads.models import (
    ABORTED,
    COMPLETED,
    COMPLETING,
    UPLOADING,
    UploadModel,
)
from chalicelib.uploads.names import (
    SUBTITLE_SUFFIXES,
    UPLOAD_ID,
    VIDEO_SUFFIXES,
    is_uploadable,
    safe_file_name,
)
from chalicelib.uploads.parts import (
    StoredPart,
    expected_part_bytes,
    part_count,
    part_list_problem,
    part_size_for,
)

#: At most this many part URLs per signing request.
SIGN_BATCH = 100
#: A COMPLETING upload whose completion has said nothing for this long is looked at again
#: (the API call that was completing it died): completed if S3 has the object, else reopened.
STALE_COMPLETING_SECONDS = 120


@dataclass(frozen=True)
class Declared:
    """What the uploader says about the file when starting."""

    file_name: str
    size: int
    content_type: str
    title_id: str | None = None
    episode: str | None = None
    last_modified: int | None = None


def is_admin(user: User) -> bool:
    return "admin" in user.roles


class MultipartUploads:
    def __init__(self, s3: Any, bucket: str, max_bytes: int, access: UploadAccess,
                 url_seconds: int = 900, clock: Callable[[], float] = time.time) -> None:
        self.s3 = s3
        self.access = access
        self.bucket = bucket
        self.max_bytes = max_bytes
        self.url_seconds = url_seconds
        self.clock = clock

    # -- starting ----------------------------------------------------------------------------
    def start(self, owner: User, declared: Declared) -> api.UploadParts:
        name = safe_file_name(declared.file_name)
        if not is_uploadable(name):
            raise catalogued("bad_upload_name",
                             suffixes=", ".join(VIDEO_SUFFIXES + SUBTITLE_SUFFIXES))
        if declared.size > self.max_bytes:
            raise catalogued("upload_too_large", limit=self.max_bytes)
        if declared.title_id is not None:
            try:
                TitleModel.get(declared.title_id, attributes_to_get=["id"])
            except TitleModel.DoesNotExist:
                raise catalogued("title_not_found") from None
        self.access.require(owner, declared.title_id)
        upload_id = uuid.uuid4().hex
        key = f"uploads/{upload_id}/{name}"
        metadata = {"uploader": owner.id, "upload-id": upload_id}
        if declared.title_id:
            metadata["title-id"] = declared.title_id
            if declared.episode:
                metadata["episode"] = declared.episode
        created = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                  ContentType=declared.content_type,
                                                  Metadata=metadata)
        part_size = part_size_for(declared.size)
        stamp = iso()
        record = UploadModel(
            upload_id, owner=owner.id, owner_email=owner.email,
            file_name=declared.file_name, key=key, size=declared.size,
            last_modified=declared.last_modified, content_type=declared.content_type,
            title_id=declared.title_id, episode=declared.episode if declared.title_id else None,
            s3_upload_id=str(created["UploadId"]), part_size=part_size,
            part_count=part_count(declared.size, part_size), state=UPLOADING,
            created_at=stamp, updated_at=stamp)
        try:
            record.save(condition=UploadModel.upload_id.does_not_exist())
        except Exception:
            # no record, no upload: S3 must not keep parts nobody can complete
            self._abort_in_s3(key, str(created["UploadId"]))
            raise
        logger.info("upload started", upload_id=upload_id, size=declared.size,
                    parts=record.part_count, part_size=part_size)
        return {**public(record), "parts": [], "bytes_uploaded": 0}

    # -- signing and listing parts ---------------------------------------------------------
    def sign(self, viewer: User, upload_id: str, numbers: Sequence[int]) -> api.PartUrls:
        record = self.owned(viewer, upload_id, write=True)
        self._require_open(record)
        count = int(record.part_count)
        if not numbers or len(numbers) > SIGN_BATCH or any(n < 1 or n > count
                                                           for n in numbers):
            raise catalogued("bad_part_numbers", count=count, batch=SIGN_BATCH)
        urls: list[api.PartUrl] = [{"part_number": n,
                 "size": expected_part_bytes(int(record.size), int(record.part_size), n),
                 "url": self.s3.generate_presigned_url(
                     "upload_part", ExpiresIn=self.url_seconds,
                     Params={"Bucket": self.bucket, "Key": record.key,
                             "UploadId": record.s3_upload_id, "PartNumber": n})}
                for n in sorted(set(numbers))]
        return {"upload_id": upload_id, "expires_in": self.url_seconds, "urls": urls}

    def parts(self, viewer: User, upload_id: str) -> api.UploadParts:
        """The parts S3 already holds: what a resuming uploader need not send again."""
        record = self.owned(viewer, upload_id)
        stored = self.stored_parts(record) if record.state == UPLOADING else {}
        listed: list[api.StoredPart] = [{"part_number": p.number, "etag": p.etag, "size": p.size}
                  for p in sorted(stored.values(), key=lambda p: p.number)]
        return {**public(record), "parts": listed,
                "bytes_uploaded": sum(p.size for p in stored.values())}

    def stored_parts(self, record: UploadModel) -> dict[int, StoredPart]:
        found: dict[int, StoredPart] = {}
        marker = 0
        while True:
            try:
                page = self.s3.list_parts(Bucket=self.bucket, Key=record.key,
                                          UploadId=record.s3_upload_id,
                                          PartNumberMarker=marker, MaxParts=1000)
            except ClientError as exc:
                if error_code(exc) == "NoSuchUpload":
                    self._expired(record)
                raise
            for part in page.get("Parts", []):
                number = int(part["PartNumber"])
                found[number] = StoredPart(number, str(part["ETag"]), int(part["Size"]))
            if not page.get("IsTruncated"):
                return found
            marker = int(page["NextPartNumberMarker"])

    # -- completing --------------------------------------------------------------------------
    def complete(self, viewer: User, upload_id: str,
                 given: Sequence[tuple[int, str]]) -> api.Upload:
        record = self.owned(viewer, upload_id, write=True)
        self._require_open(self.settle(record))
        # the title may have been taken off the uploader's list since the upload started
        self.access.require(viewer, record.title_id)
        problem = part_list_problem(int(record.size), int(record.part_size), given,
                                    self.stored_parts(record))
        if problem:
            raise catalogued("upload_parts_mismatch", problem=problem)
        self._move(record, UPLOADING, COMPLETING)
        try:
            done = self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=record.key, UploadId=record.s3_upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in given]})
        except ClientError as exc:
            code = error_code(exc)
            if code == "NoSuchUpload":
                self._expired(record)
            self._move(record, COMPLETING, UPLOADING, reason=f"S3 refused the parts: {code}")
            if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
                raise catalogued("upload_parts_mismatch", problem=f"S3 said {code}") from None
            raise
        etag = str(done.get("ETag", ""))
        self._move(record, COMPLETING, COMPLETED, etag=etag)
        logger.info("upload completed", upload_id=upload_id, size=int(record.size),
                    parts=len(given))
        return public(record)

    def settle(self, record: UploadModel) -> UploadModel:
        """An upload left COMPLETING by a call that died (no word for a while) ends as
        COMPLETED when S3 has the whole object, else goes back to UPLOADING; any other
        upload is returned as it is."""
        if record.state != COMPLETING:
            return record
        if self.clock() - parse_iso(record.updated_at).timestamp() < STALE_COMPLETING_SECONDS:
            return record
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=record.key)
        except ClientError:
            head = None
        if head is not None and int(head["ContentLength"]) == int(record.size):
            self._move(record, COMPLETING, COMPLETED, etag=str(head.get("ETag", "")))
        else:
            self._move(record, COMPLETING, UPLOADING)
        return record

    # -- aborting ----------------------------------------------------------------------------
    def abort(self, viewer: User, upload_id: str) -> api.Upload:
        """Cancel an unfinished upload: S3 drops the parts it holds."""
        record = self.owned(viewer, upload_id)
        self._require_open(record)
        who = "its uploader" if viewer.id == record.owner else f"an admin ({viewer.email})"
        self._move(record, UPLOADING, ABORTED, reason=f"cancelled by {who}")
        self._abort_in_s3(record.key, record.s3_upload_id)
        logger.info("upload aborted", upload_id=upload_id, by=viewer.id)
        return public(record)

    def _abort_in_s3(self, key: str, s3_upload_id: str) -> None:
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=s3_upload_id)
        except ClientError as exc:
            if error_code(exc) != "NoSuchUpload":
                # the bucket's lifecycle rule removes the parts after 7 days
                logger.warning("S3 kept an aborted upload's parts", key=key,
                               error=error_code(exc))

    # -- records -----------------------------------------------------------------------------
    def owned(self, viewer: User, upload_id: str, write: bool = False) -> UploadModel:
        """The upload, when `viewer` started it (or, to look or abort, is an admin); the same
        404 otherwise, so ids of other people's uploads cannot be probed."""
        if not UPLOAD_ID.match(upload_id):
            raise catalogued("upload_not_found")
        try:
            record = UploadModel.get(upload_id, consistent_read=True)
        except UploadModel.DoesNotExist:
            raise catalogued("upload_not_found") from None
        if record.owner != viewer.id and (write or not is_admin(viewer)):
            raise catalogued("upload_not_found")
        return record

    @staticmethod
    def _require_open(record: UploadModel) -> None:
        if record.state == COMPLETED:
            raise catalogued("upload_already_completed",
                             status_url=f"/api/admin/uploads/{record.upload_id}")
        if record.state == ABORTED:
            raise catalogued("upload_aborted", reason=record.reason or "it was cancelled")
        if record.state == COMPLETING:
            raise catalogued("upload_completing")

    def _expired(self, record: UploadModel) -> None:
        """S3 no longer knows the multipart upload (aborted by the lifecycle rule)."""
        from pynamodb.exceptions import UpdateError

        reason = "S3 no longer holds its parts (unfinished uploads expire after 7 days)"
        try:
            record.update(actions=[UploadModel.state.set(ABORTED), UploadModel.reason.set(reason),
                                   UploadModel.updated_at.set(iso())],
                          condition=UploadModel.state.is_in(UPLOADING, COMPLETING))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        raise catalogued("upload_aborted", reason=reason)

    def _move(self, record: UploadModel, was: str, to: str, reason: str | None = None,
              etag: str | None = None) -> None:
        """Conditional state change; a 409 when someone else moved the upload first."""
        from pynamodb.exceptions import UpdateError

        stamp = iso()
        actions: list[Any] = [UploadModel.state.set(to), UploadModel.updated_at.set(stamp)]
        if reason is not None:
            actions.append(UploadModel.reason.set(reason))
        if etag is not None:
            actions.append(UploadModel.etag.set(etag))
        if to == COMPLETED:
            actions.append(UploadModel.completed_at.set(stamp))
        try:
            record.update(actions=actions, condition=UploadModel.state == was)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            record.refresh(consistent_read=True)
            self._require_open(record)
            raise catalogued("upload_completing") from None


def public(record: UploadModel) -> api.Upload:
    """An upload as its uploader (or an admin) sees it."""
    return {
        "upload_id": record.upload_id, "state": record.state, "key": record.key,
        "file_name": record.file_name, "size": int(record.size),
        "last_modified": int(record.last_modified) if record.last_modified is not None else None,
        "content_type": record.content_type, "title_id": record.title_id,
        "episode": record.episode, "part_size": int(record.part_size),
        "part_count": int(record.part_count), "owner": record.owner,
        "owner_email": record.owner_email, "reason": record.reason,
        "created_at": record.created_at, "updated_at": record.updated_at,
        "completed_at": record.completed_at,
        "status_url": f"/api/admin/uploads/{record.upload_id}",
    }
