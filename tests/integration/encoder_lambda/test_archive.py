"""Archiving an encoded upload on the emulated S3: a large source is copied in parts with
its metadata (retry and re-encode read the title from it), a replaced one is left for its
own job, and an archive cut short after the job was published is finished by the message's
next delivery (it used to stay under uploads/ for good)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ReadTimeoutError

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel, job_id_for
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from encoder_lambda.archive import archive_source
from encoder_lambda.jobs import JobStore
from encoder_lambda.pipeline import Pipeline
from tests.integration.encoder_lambda.test_encoder_pipeline import upload
from tests.media_clips import clip
from tests.support import unique

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
#: S3's smallest part: the multipart copy is taken for anything over 5 MiB here.
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)


def exists(resources: Resources, key: str) -> bool:
    listed = resources.s3.list_objects_v2(Bucket=resources.settings.uploads_bucket,
                                          Prefix=key)
    return any(o["Key"] == key for o in listed.get("Contents", []))


def test_a_large_source_is_copied_in_parts_with_its_metadata(resources: Resources) -> None:
    s3, bucket = resources.s3, resources.settings.uploads_bucket
    body = os.urandom(12 * MIB)
    name = f"{unique()}/big film.mp4"
    s3.put_object(Bucket=bucket, Key=f"uploads/{name}", Body=body, ContentType="video/mp4",
                  Metadata={"title-id": "wd-archived", "episode": "S1E2"})
    etag = s3.head_object(Bucket=bucket, Key=f"uploads/{name}")["ETag"]

    assert archive_source(s3, bucket, f"uploads/{name}", etag, "processed/", SMALL_PARTS)
    archived = s3.get_object(Bucket=bucket, Key=f"processed/{name}")
    assert hashlib.sha256(archived["Body"].read()).digest() == hashlib.sha256(body).digest()
    assert archived["Metadata"] == {"title-id": "wd-archived", "episode": "S1E2"}
    assert archived["ContentType"] == "video/mp4"
    assert archived["ETag"].strip('"').endswith("-3")  # three parts of 5, 5 and 2 MiB
    assert not exists(resources, f"uploads/{name}")
    # again (a redelivery): nothing left to move
    assert archive_source(s3, bucket, f"uploads/{name}", etag, "processed/") is False


def test_a_replaced_upload_is_left_for_its_own_job(resources: Resources) -> None:
    s3, bucket = resources.s3, resources.settings.uploads_bucket
    key = f"uploads/{unique()}/film.mp4"
    s3.put_object(Bucket=bucket, Key=key, Body=b"the first take")
    first = s3.head_object(Bucket=bucket, Key=key)["ETag"]
    s3.put_object(Bucket=bucket, Key=key, Body=b"the second take")
    assert archive_source(s3, bucket, key, first, "processed/") is False
    assert exists(resources, key)
    assert not exists(resources, "processed/" + key.removeprefix("uploads/"))


class CutShort:
    """S3 whose first copy times out, as a whole-film CopyObject did on a 5 s read timeout."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.copies = 0

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        self.copies += 1
        if self.copies == 1:
            raise ReadTimeoutError(endpoint_url="http://s3")
        return self.s3.copy(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)


def test_an_archive_cut_short_after_publishing_is_finished_by_the_next_delivery(
        resources: Resources, catalogue_services: Services, tmp_path: Path) -> None:
    bind_models(resources.settings, JOB_MODELS)
    settings = resources.settings
    copies = CutShort(resources.s3)
    pipeline = Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                        JobStore(lease_seconds=1.0), attach_asset, preset="ultrafast",
                        s3_copies=copies)
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Archived Film", source="generated", year=2020)])
    key = f"uploads/{unique()}/film.mp4"
    sent = upload(resources, clip(tmp_path / "film.mp4", seconds=2), key, title_id)

    with pytest.raises(ReadTimeoutError):  # the invocation fails: SQS delivers it again
        pipeline.process(sent)
    job = JobModel.get(job_id_for(sent.bucket, key, sent.etag))
    assert job.status == "PUBLISHED" and exists(resources, key)

    assert pipeline.process(sent) == "PUBLISHED"  # the redelivery
    assert not exists(resources, key)
    archived = resources.s3.head_object(Bucket=sent.bucket,
                                        Key="processed/" + key.removeprefix("uploads/"))
    assert archived["Metadata"] == {"title-id": title_id}
    assert JobModel.get(job.job_id).attempts == 1  # encoded once
