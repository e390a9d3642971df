"""Deploying `infra/` into the real moto server, and what that deployment must provide."""

from __future__ import annotations

import json

import pytest

from chalicelib.aws import make_session
from chalicelib.config import Settings
from chalicelib.resources import Resources
from infra.deployer import deploy

pytestmark = pytest.mark.integration


def test_boto3_lists_the_buckets_and_queues_the_template_defines(resources: Resources) -> None:
    settings = resources.settings
    buckets = {b["Name"] for b in resources.s3.list_buckets()["Buckets"]}
    assert {settings.uploads_bucket, settings.media_bucket} <= buckets
    queues = resources.sqs.list_queues(QueueNamePrefix=settings.resource_prefix)["QueueUrls"]
    assert {url.rsplit("/", 1)[-1] for url in queues} == {settings.encode_queue,
                                                         settings.encode_dlq}


def test_redrive_ttl_cors_and_public_access_are_in_place(resources: Resources) -> None:
    settings = resources.settings
    url = resources.sqs.get_queue_url(QueueName=settings.encode_queue)["QueueUrl"]
    attrs = resources.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 3
    assert redrive["deadLetterTargetArn"].endswith(f":{settings.encode_dlq}")
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}

    ttl = resources.dynamodb.describe_time_to_live(TableName=settings.table_name("idempotency"))
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                            "AttributeName": "expiration"}
    cors = resources.s3.get_bucket_cors(Bucket=settings.media_bucket)["CORSRules"]
    assert cors[0]["AllowedMethods"] == ["GET", "HEAD"]
    block = resources.s3.get_public_access_block(Bucket=settings.media_bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_redeploying_is_a_quiet_no_op_that_sends_no_new_test_event(
    resources: Resources, stack_outputs: dict[str, str]
) -> None:
    settings: Settings = resources.settings
    queue_url = resources.sqs.get_queue_url(QueueName=settings.encode_queue)["QueueUrl"]
    _test_events_waiting(resources, queue_url, delete=True)  # the first deploy's own
    again = deploy(settings, make_session(settings))
    assert again == stack_outputs
    notifications = resources.s3.get_bucket_notification_configuration(
        Bucket=settings.uploads_bucket)["QueueConfigurations"]
    assert len(notifications) == 1
    assert notifications[0]["QueueArn"] == stack_outputs["EncodeJobsQueueArn"]
    assert _test_events_waiting(resources, queue_url, delete=False) == 0


def _test_events_waiting(resources: Resources, queue_url: str, *, delete: bool) -> int:
    """Count (and optionally delete) s3:TestEvent messages; hand back every other message."""
    messages = resources.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1,
                                             MaxNumberOfMessages=10).get("Messages", [])
    count = 0
    for message in messages:
        if "s3:TestEvent" in message["Body"]:
            count += 1
            if delete:
                resources.sqs.delete_message(QueueUrl=queue_url,
                                             ReceiptHandle=message["ReceiptHandle"])
                continue
        resources.sqs.change_message_visibility(QueueUrl=queue_url, VisibilityTimeout=0,
                                                ReceiptHandle=message["ReceiptHandle"])
    return count
