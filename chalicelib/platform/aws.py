"""boto3 sessions and clients for the configured target, built once and handed around."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from chalicelib.platform.config import Settings

#: Short timeouts and one retry: a Lambda must fail fast rather than hang. An unreachable or
#: hung AWS endpoint costs a request at most ~2 x (2 s connect or 5 s read) before the API
#: answers 503 (see ``outages``); a 5 s silent socket is an outage, not a slow answer.
#: (botocore's ``max_attempts`` counts retries only; ``total_max_attempts`` counts every try.)
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 2},
)
#: S3's presigned URLs (stream files, browser uploads) signed with SigV4, as every region takes.
S3_CONFIG = CLIENT_CONFIG.merge(Config(signature_version="s3v4"))
#: Credentials moto and LocalStack accept; never used against real AWS.
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def make_session(settings: Settings) -> boto3.Session:
    if settings.local:
        return boto3.Session(
            region_name=settings.region,
            aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
        )
    return boto3.Session(region_name=settings.region)


def make_client(session: boto3.Session, settings: Settings, service: str,
                extra: Config | None = None) -> Any:
    """A low-level client; on local targets it points at the emulator's endpoint."""
    config = (S3_CONFIG if service == "s3" else CLIENT_CONFIG).merge(
        Config(read_timeout=settings.aws_read_timeout_s))
    if extra is not None:
        config = config.merge(extra)
    return session.client(  # type: ignore[call-overload]
        service, endpoint_url=settings.aws_endpoint_url, config=config)


#: What S3 answers for an object (or a HEAD of one) that is not there.
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if response else ""


def is_missing(exc: Exception) -> bool:
    """True when a ClientError says the S3 object does not exist."""
    return error_code(exc) in _MISSING_CODES
