"""The emulator answers the clients people already use: boto3, the AWS CLI, localstack-client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from localstack_client.session import Session as LocalstackSession

from chalicelib.platform.resources import Resources

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


def test_ranged_gets_return_exactly_the_bytes_asked_for(resources: Resources,
                                                        tmp_path: Path) -> None:
    """moto_speedups serves ranges without copying the whole object: answers stay the same."""
    from botocore.exceptions import ClientError

    s3, bucket = resources.s3, resources.settings.data_bucket
    body = os.urandom(3 * 1024 * 1024 + 17)
    key = f"tests/ranges-{os.getpid()}.bin"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    try:
        def ranged(spec: str) -> tuple[bytes, str | None]:
            found = s3.get_object(Bucket=bucket, Key=key, Range=spec)
            return found["Body"].read(), found.get("ContentRange")

        assert ranged("bytes=0-9") == (body[:10], f"bytes 0-9/{len(body)}")
        assert ranged("bytes=1048576-") == (body[1048576:],
                                            f"bytes 1048576-{len(body) - 1}/{len(body)}")
        assert ranged("bytes=-5")[0] == body[-5:]
        assert ranged(f"bytes=10-{len(body) * 2}")[0] == body[10:]
        assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-1,5-6")["Body"].read() == body
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={len(body)}-")
        assert refused.value.response["Error"]["Code"] == "InvalidRange"
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
        from boto3.s3.transfer import TransferConfig

        target = tmp_path / "copy.bin"
        s3.download_file(bucket, key, str(target),
                         Config=TransferConfig(multipart_threshold=1024 * 1024,
                                               multipart_chunksize=1024 * 1024))
        assert target.read_bytes() == body
    finally:
        s3.delete_object(Bucket=bucket, Key=key)


def test_queries_return_range_key_order_in_both_directions(resources: Resources) -> None:
    """Queries through moto_speedups (one partition, handed over already sorted) return that
    partition alone, in range-key order, page after page, forwards and backwards."""
    import random
    import uuid

    client = resources.dynamodb
    table = resources.settings.table_name("title-facets")
    facet = f"order-probe#{uuid.uuid4().hex}"
    ranks = [f"{random.random():.9f}#{n}" for n in range(120)]
    for partition, keys in ((facet, ranks), (f"{facet}-next", ["0", "5", "z"])):
        for rank in keys:
            client.put_item(TableName=table, Item={
                "facet": {"S": partition}, "rank": {"S": rank}, "id": {"S": rank},
                "kind": {"S": "film"}, "name": {"S": rank}})

    def every_page(forward: bool) -> list[str]:
        found: list[str] = []
        start: dict[str, object] | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = client.query(TableName=table, KeyConditionExpression="facet = :f",
                                ExpressionAttributeValues={":f": {"S": facet}}, Limit=25,
                                ScanIndexForward=forward, **extra)
            found += [item["rank"]["S"] for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    assert every_page(forward=True) == sorted(ranks)
    assert every_page(forward=False) == sorted(ranks, reverse=True)
