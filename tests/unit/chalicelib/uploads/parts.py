"""Sending a part as the browser does (straight to S3), for the in-process upload tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.services import Services
from chalicelib.uploads.models import UploadModel


def send(services: Services, upload: Mapping[str, Any], number: int, body: bytes) -> str:
    """PUT one part as a browser would with the signed URL; S3's ETag for it.

    moto answers AWS's own host names only through boto3, so the part goes by boto3 here."""
    record = UploadModel.get(upload["upload_id"], consistent_read=True)
    sent = services.resources.s3.upload_part(
        Bucket=services.settings.uploads_bucket, Key=upload["key"],
        UploadId=record.s3_upload_id, PartNumber=number, Body=body)
    return str(sent["ETag"])
