"""The emulator answers the clients people already use: boto3, the AWS CLI, localstack-client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from localstack_client.session import Session as LocalstackSession

from chalicelib.resources import Resources

pytestmark = pytest.mark.integration


def test_the_aws_cli_lists_the_template_buckets(resources: Resources) -> None:
    settings = resources.settings
    aws = Path(sys.executable).with_name("aws")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": settings.region}
    listing = subprocess.run([str(aws), "--endpoint-url", str(settings.aws_endpoint_url), "s3",
                              "ls"], env=env, capture_output=True, text=True, check=True,
                             timeout=60).stdout
    assert settings.uploads_bucket in listing
    assert settings.media_bucket in listing


def test_localstack_client_reaches_the_same_endpoint(resources: Resources) -> None:
    settings = resources.settings
    endpoint = urlparse(str(settings.aws_endpoint_url))
    session = LocalstackSession(localstack_host=f"{endpoint.hostname}:{endpoint.port}",
                                region_name=settings.region)
    sqs = session.client("sqs")
    urls = sqs.list_queues(QueueNamePrefix=settings.resource_prefix)["QueueUrls"]
    assert {settings.encode_queue, settings.encode_dlq} <= {u.rsplit("/", 1)[-1] for u in urls}
