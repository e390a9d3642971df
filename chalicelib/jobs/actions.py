"""Steering the encoder: retry a failed job, re-encode a title, a title's upload settings.

A retry or a re-encode copies the job's source (from ``failed/``, ``uploads/`` or
``processed/``) back under ``uploads/`` with its metadata: S3's event starts a new job as for
any upload. A re-encode is marked ``force`` so the encoder encodes the content again instead
of linking the asset it already published. Both put media onto a title, so both need the
caller to hold it (:mod:`chalicelib.uploads.access`), as an upload does.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from chalicelib.auth.users import User
from chalicelib.jobs.console import MAX_JOB_ID, JobsConsole
from chalicelib.jobs.models import FINAL, JobModel, TitleSettingsModel, job_id_for
from chalicelib.openapi.responses import Accepted, EncodeSettings
from chalicelib.platform.errors import catalogued
from chalicelib.uploads.access import UploadAccess


class JobActions:
    def __init__(self, s3: Any, bucket: str, console: JobsConsole,
                 access: UploadAccess, s3_copies: Any = None) -> None:
        self.s3 = s3
        #: S3 for copying a whole source back: a long read timeout (platform.s3_copy).
        self.s3_copies = s3_copies or s3
        self.bucket = bucket
        self.console = console
        self.access = access

    def retry(self, viewer: User, job_id: str) -> Accepted:
        job = self.console.job(viewer, job_id)
        if job.status not in FINAL:
            raise catalogued("job_running", status=job.status.lower())
        if job.status == "PUBLISHED":
            raise catalogued("job_published")
        self.access.require(viewer, job.title_id)  # the retry publishes onto the title again
        return self._again(job, ("failed/", "uploads/"), "retry", force=False,
                           message="Retry accepted: a new job starts on the same file.")

    def reencode(self, viewer: User, title_id: str) -> Accepted:
        if not 0 < len(title_id) <= MAX_JOB_ID:
            raise catalogued("nothing_to_reencode")
        self.access.require(viewer, title_id)
        published = [j for j in JobModel.by_title.query(title_id, scan_index_forward=False,
                                                        limit=50)
                     if j.status == "PUBLISHED" and self.console.visible(viewer, j)]
        if not published:
            raise catalogued("nothing_to_reencode")
        # under uploads/ still for the seconds the encoder takes to archive it once published
        return self._again(published[0], ("processed/", "uploads/"), "reencode", force=True,
                           message="Re-encode accepted: the title's latest source is encoded "
                                   "again and replaces its stream when done.")

    @staticmethod
    def settings(title_id: str, only_latest: bool, cooldown_s: int) -> EncodeSettings:
        """A title's encode settings; 404 for a title the catalogue does not have."""
        from chalicelib.catalogue.titles.browse import find_title

        find_title(title_id)
        TitleSettingsModel(f"settings#{title_id}", only_latest=only_latest,
                           cooldown_s=cooldown_s).save()
        return {"title_id": title_id, "only_latest": only_latest, "cooldown_s": cooldown_s}

    def _source(self, job: JobModel, prefixes: tuple[str, ...]) -> str | None:
        """Where the job's file is now (the encoder moves it when it is done with it)."""
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import is_missing

        rest = str(job.key).removeprefix("uploads/")
        for prefix in prefixes:
            key = prefix + rest
            try:
                self.s3.head_object(Bucket=self.bucket, Key=key)
                return key
            except ClientError as exc:
                if not is_missing(exc):
                    raise
        return None

    def _again(self, job: JobModel, prefixes: tuple[str, ...], why: str, *, force: bool,
               message: str) -> Accepted:
        """Copy the job's source back under uploads/. The encoder archives a source by a copy
        and then a delete, so a source can leave uploads/ while it is looked for or copied: it is
        looked for once more, under the archive's prefix it went to."""
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import error_code, is_missing

        source = self._source(job, prefixes)
        if source is not None:
            try:
                return self._copy(source, why, force=force, message=message)
            except ClientError as exc:  # gone, or replaced while it was copied
                if not is_missing(exc) and error_code(exc) not in ("PreconditionFailed", "412"):
                    raise
        source = self._source(job, prefixes)  # not seen, or gone: it may have moved meanwhile
        if source is None:
            raise catalogued("job_source_gone")
        return self._copy(source, why, force=force, message=message)

    def _copy(self, source: str, why: str, *, force: bool, message: str) -> Accepted:
        from chalicelib.platform.s3_copy import copy_within

        head = self.s3.head_object(Bucket=self.bucket, Key=source)
        metadata = dict(head.get("Metadata") or {})
        if force:
            metadata["force"] = "1"
        target = f"uploads/{why}/{uuid.uuid4().hex}/{PurePosixPath(source).name}"
        extra: dict[str, Any] = {"Metadata": metadata, "MetadataDirective": "REPLACE",
                                 "CopySourceIfMatch": head["ETag"]}
        if head.get("ContentType"):
            extra["ContentType"] = head["ContentType"]
        copy_within(self.s3_copies, self.bucket, source, target, extra)
        etag = str(self.s3.head_object(Bucket=self.bucket, Key=target)["ETag"])
        return {"accepted": True, "key": target,
                "job_id": job_id_for(self.bucket, target, etag), "message": message}
