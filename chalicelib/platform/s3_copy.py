"""Server-side copies of whole films within S3: boto3's managed copy, one CopyObject for a
small object and parallel UploadPartCopy requests for a large one (CopyObject stops at 5 GB,
and one call for a film is far longer than a 5 s read timeout). Give it a client with a
long read timeout (``Resources.s3_long_calls``)."""

from __future__ import annotations

from typing import Any

from boto3.s3.transfer import TransferConfig

#: Parts of 64 MiB, four at a time (boto3 raises the part size when an object would need
#: more than S3's 10,000 parts).
TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024,
                          multipart_chunksize=64 * 1024 * 1024, max_concurrency=4)


def copy_within(s3: Any, bucket: str, source: str, target: str, extra: dict[str, Any],
                config: TransferConfig = TRANSFER) -> None:
    """Copy ``source`` to ``target`` in one bucket; ``extra``: CopyObject's arguments
    (Metadata with MetadataDirective, ContentType, CopySourceIfMatch)."""
    s3.copy({"Bucket": bucket, "Key": source}, bucket, target, ExtraArgs=extra, Config=config)
