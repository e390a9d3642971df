"""Archiving an upload once its job is final: ``uploads/<name>`` moves to ``processed/`` (or
``failed/``), where retention finds it and retry or re-encode copy it back.

The copy is S3's managed copy (chalicelib.platform.s3_copy), on a client with a long read
timeout. The source's metadata (title, episode, uploader) goes with it;
only the object the job encoded (its ETag) is copied and then deleted, so a newer upload at
the same key is left for its own job.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from chalicelib.platform.aws import is_missing
from chalicelib.platform.s3_copy import TRANSFER, copy_within

logger = Logger(service="notflix-encoder", use_rfc3339=True)

REPLACED = ("PreconditionFailed", "412", "NoSuchKey", "404")


def archive_source(s3: Any, bucket: str, key: str, etag: str, prefix: str,
                   config: TransferConfig = TRANSFER) -> bool:
    """Move ``key`` (the object whose ETag is ``etag``) under ``prefix``; False when it was
    replaced or is gone already (nothing to do)."""
    etag = etag.strip('"')
    head = _head(s3, bucket, key)
    if head is None or (etag and str(head.get("ETag", "")).strip('"') != etag):
        logger.info("upload replaced or gone; not archived", key=key)
        return False
    extra: dict[str, Any] = {"Metadata": dict(head.get("Metadata") or {}),
                             "MetadataDirective": "REPLACE"}
    if etag:
        extra["CopySourceIfMatch"] = f'"{etag}"'
    if head.get("ContentType"):
        extra["ContentType"] = head["ContentType"]
    target = prefix + key.removeprefix("uploads/")
    try:
        copy_within(s3, bucket, key, target, extra, config)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) in REPLACED:
            logger.info("upload replaced or gone; not archived", key=key)
            return False
        raise
    after = _head(s3, bucket, key)
    if after is not None and (not etag or str(after.get("ETag", "")).strip('"') == etag):
        s3.delete_object(Bucket=bucket, Key=key)
    logger.info("upload archived", key=key, to=target)
    return True


def left_behind(s3: Any, bucket: str, key: str, etag: str) -> bool:
    """The job's own upload is still under uploads/ (its archive did not finish)."""
    head = _head(s3, bucket, key)
    return head is not None and str(head.get("ETag", "")).strip('"') == etag.strip('"')


def _head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if is_missing(exc):
            return None
        raise
