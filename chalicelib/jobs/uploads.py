"""Browser uploads: a presigned POST straight to S3, then the encode job's status.

The browser posts the file to the uploads bucket under ``uploads/<upload id>/<file name>``
with the title it plays for (``x-amz-meta-title-id``) and who sent it; S3's event starts the
encoder. The upload id is random (128 bits), so a status URL is only known to whoever
started the upload.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import PurePosixPath
from typing import Any

from chalicelib.catalogue.models import TitleModel
from chalicelib.errors import catalogued
from chalicelib.jobs.models import JobModel
from chalicelib.jobs.progress import summarize

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts")
SUBTITLE_SUFFIXES = (".srt", ".vtt")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_file_name(name: str) -> str:
    """The last path part with unusual characters replaced (``../x/a?.mp4`` -> ``a_.mp4``)."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    cleaned = SAFE_NAME.sub("_", base).strip(" .")
    return cleaned[-120:] if cleaned else ""


class Uploads:
    def __init__(self, s3: Any, bucket: str, max_bytes: int, url_seconds: int = 3600) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.max_bytes = max_bytes
        self.url_seconds = url_seconds

    def start(self, user_id: str, file_name: str, content_type: str, size: int,
              title_id: str | None) -> dict[str, Any]:
        name = safe_file_name(file_name)
        suffix = PurePosixPath(name).suffix.lower()
        if not name or suffix not in VIDEO_SUFFIXES + SUBTITLE_SUFFIXES:
            raise catalogued("bad_upload_name", suffixes=", ".join(VIDEO_SUFFIXES
                                                                   + SUBTITLE_SUFFIXES))
        if size > self.max_bytes:
            raise catalogued("upload_too_large", limit=self.max_bytes)
        if title_id is not None:
            try:
                TitleModel.get(title_id, attributes_to_get=["id"])
            except TitleModel.DoesNotExist:
                raise catalogued("title_not_found") from None
        upload_id = uuid.uuid4().hex
        key = f"uploads/{upload_id}/{name}"
        fields = {"Content-Type": content_type, "x-amz-meta-uploader": user_id}
        if title_id:
            fields["x-amz-meta-title-id"] = title_id
        conditions: list[Any] = [{k: v} for k, v in fields.items()]
        conditions.append(["content-length-range", 1, self.max_bytes])
        post = self.s3.generate_presigned_post(self.bucket, key, Fields=fields,
                                               Conditions=conditions,
                                               ExpiresIn=self.url_seconds)
        return {"upload_id": upload_id, "key": key, "url": post["url"],
                "fields": post["fields"], "status_url": f"/api/admin/uploads/{upload_id}",
                "expires_in": self.url_seconds}

    def status(self, upload_id: str) -> dict[str, Any]:
        """The newest job of an upload, or whether the file has arrived at all."""
        if not UPLOAD_ID.match(upload_id):
            raise catalogued("upload_not_found")
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"uploads/{upload_id}/",
                                         MaxKeys=1).get("Contents", [])
        keys = [str(o["Key"]) for o in listed]
        for prefix in ("processed/", "failed/"):
            if not keys:
                found = self.s3.list_objects_v2(Bucket=self.bucket,
                                                Prefix=f"{prefix}{upload_id}/",
                                                MaxKeys=1).get("Contents", [])
                keys = [f"uploads/{str(o['Key']).removeprefix(prefix)}" for o in found]
        if not keys:
            return {"upload_id": upload_id, "state": "WAITING_FOR_FILE", "progress": 0}
        key = keys[0]
        jobs = list(JobModel.by_key.query(key, scan_index_forward=False, limit=1))
        if not jobs:
            return {"upload_id": upload_id, "key": key, "state": "RECEIVED", "progress": 0}
        job = jobs[0]
        detail = summarize(job, time.time())
        return {"upload_id": upload_id, "key": key, "state": job.status,
                "job_id": job.job_id, "progress": round(detail.percent / 100, 4),
                "progress_detail": detail.as_dict(),
                "stages": job.stages or {}, "title_id": job.title_id,
                "asset_id": job.asset_id, "error": job.error}

