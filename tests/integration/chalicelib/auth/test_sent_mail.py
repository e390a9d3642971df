"""Tests read account mail from the emulator whatever else it holds (issue 18, finding 12)."""

from __future__ import annotations

import pytest

from chalicelib.platform.resources import Resources
from tests.integration.auth_client import sent_mail
from tests.support import unique

pytestmark = pytest.mark.integration


def _leave_a_key_of_a_deleted_bucket(resources: Resources) -> None:
    """S3 state that moto's full model dump (`/moto-api/data.json`) cannot serialise."""
    s3 = resources.s3
    bucket = unique("gone").lower()
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="part")
    s3.upload_part(Bucket=bucket, Key="part", UploadId=upload["UploadId"], PartNumber=1,
                   Body=b"x" * 16)
    s3.abort_multipart_upload(Bucket=bucket, Key="part", UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=bucket)


def test_sent_mail_is_read_even_when_the_emulator_holds_undumpable_state(
        resources: Resources) -> None:
    to = f"{unique('mailbox')}@example.com"
    resources.client("ses").send_email(
        Source=resources.settings.mail_from, Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": "Checking the mailbox"},
                 "Body": {"Text": {"Data": "first line\nsecond line"}}})
    _leave_a_key_of_a_deleted_bucket(resources)

    (mail,) = sent_mail(str(resources.settings.aws_endpoint_url), to)

    assert mail["subject"] == "Checking the mailbox"
    assert mail["body"] == "first line\nsecond line"
    assert mail["to"] == [to]


def test_sent_mail_lists_only_the_recipients_own_messages(resources: Resources) -> None:
    first, second = (f"{unique('mailbox')}@example.com" for _ in range(2))
    for to in (first, second, first):
        resources.client("ses").send_email(
            Source=resources.settings.mail_from, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": f"to {to}"}, "Body": {"Text": {"Data": "hello"}}})

    endpoint = str(resources.settings.aws_endpoint_url)
    assert [m["subject"] for m in sent_mail(endpoint, first)] == [f"to {first}"] * 2
    assert [m["subject"] for m in sent_mail(endpoint, second)] == [f"to {second}"]
