"""Which uploads a person sees: their own (to resume one), every unfinished one (admins), and
an upload's state from its first part to its published stream."""

from __future__ import annotations

import time
from itertools import islice

from chalicelib.auth.users import User
from chalicelib.jobs.models import JobModel
from chalicelib.jobs.progress import summarize
from chalicelib.openapi import responses as api
from chalicelib.uploads.models import ABORTED, COMPLETED, UPLOADING, UploadModel
from chalicelib.uploads.service import MultipartUploads, public


class UploadListing:
    def __init__(self, uploads: MultipartUploads) -> None:
        self.uploads = uploads

    def mine(self, viewer: User, limit: int, file_name: str | None = None,
             size: int | None = None, last_modified: int | None = None,
             state: str | None = None) -> list[api.Upload]:
        """The viewer's uploads, newest first; with a file's name, size and last-modified
        time, the unfinished uploads of that file (what a page offers to resume)."""
        conditions = []
        if state is not None:
            conditions.append(UploadModel.state == state)
        if file_name is not None:
            conditions.append(UploadModel.file_name == file_name)
        if size is not None:
            conditions.append(UploadModel.size == size)
        if last_modified is not None:
            conditions.append(UploadModel.last_modified == last_modified)
        condition = None
        for each in conditions:  # DynamoDB filters the pages, so no match hides behind others
            condition = each if condition is None else condition & each
        found = UploadModel.by_owner.query(viewer.id, scan_index_forward=False,
                                           filter_condition=condition)
        return [public(record) for record in islice(found, limit)]

    def unfinished(self, limit: int) -> list[api.UnfinishedUpload]:
        """Every upload still open, newest first, with how much of it S3 holds."""
        listed: list[api.UnfinishedUpload] = []
        for record in UploadModel.by_state.query(UPLOADING, scan_index_forward=False,
                                                 limit=limit):
            entry: api.UnfinishedUpload
            try:
                stored = self.uploads.stored_parts(record)
            except Exception:  # expired meanwhile: listed as it stands, without progress
                # mypy wants every optional key named beside a ** (parts_uploaded is left out)
                entry = {**public(record), "bytes_uploaded": None,  # type: ignore[typeddict-item]
                         "progress": None}
            else:
                done = sum(p.size for p in stored.values())
                entry = {**public(record), "bytes_uploaded": done,
                         "parts_uploaded": len(stored),
                         "progress": round(done / max(1, int(record.size)), 4)}
            listed.append(entry)
        return listed

    def status(self, viewer: User, upload_id: str) -> api.UploadStatus:
        """Where an upload is: still uploading, aborted, waiting for the encoder, or its
        encode job's state and progress."""
        record = self.uploads.settle(self.uploads.owned(viewer, upload_id))
        answer: api.UploadStatus = {"upload_id": upload_id, "key": record.key,
                                  "upload_state": record.state, "title_id": record.title_id,
                                  "state": record.state, "progress": 0}
        if record.state == ABORTED:
            answer["error"] = record.reason
        if record.state != COMPLETED:
            return answer
        jobs = list(JobModel.by_key.query(record.key, scan_index_forward=False, limit=1))
        if not jobs:
            answer["state"] = "RECEIVED"
            return answer
        job = jobs[0]
        detail = summarize(job, time.time())
        answer.update({"state": job.status, "job_id": job.job_id,
                       "progress": round(detail.percent / 100, 4),
                       "progress_detail": detail.as_dict(), "stages": job.stages or {},
                       "title_id": job.title_id, "asset_id": job.asset_id,
                       "error": job.error})
        return answer
