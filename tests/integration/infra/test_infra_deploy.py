"""Deploying `infra/` into a real moto server over HTTP, and what the deployment provides.

The module starts its own moto server (nothing else: no Redis, no Neo4j) and gives every test
its own resource prefix, so the tests are independent of each other and of any running stack.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from chalicelib.platform.aws import make_client, make_session
from chalicelib.platform.config import Settings
from infra.deployer import deploy
from infra.template import TEMPLATE_PATH, load_template

pytestmark = pytest.mark.integration

MOTO_START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private moto server (with the fixes the stack applies to it) on a free loopback port
    for this module's tests."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "localcloud.emulator.main", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + MOTO_START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"moto exited with {server.returncode}: {log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto did not answer within {MOTO_START_TIMEOUT}s")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Deployed:
    settings: Settings
    outputs: dict[str, str]
    s3: Any
    sqs: Any
    dynamodb: Any
    cfn: Any

    @property
    def queue_url(self) -> str:
        return str(self.sqs.get_queue_url(QueueName=self.settings.encode_queue)["QueueUrl"])

    def drain(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Receive and delete every message waiting on the queue; their parsed bodies."""
        url = queue_url or self.queue_url
        bodies: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _settings(endpoint: str) -> Settings:
    return Settings.from_env({"NOTFLIX_TARGET": "embedded", "NOTFLIX_AWS_ENDPOINT": endpoint,
                              "NOTFLIX_PREFIX": f"t-{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def deployed(moto_endpoint: str) -> Deployed:
    """The template deployed under a prefix of this test's own."""
    settings = _settings(moto_endpoint)
    session = make_session(settings)
    outputs = deploy(settings, session)
    return Deployed(settings, outputs, *(make_client(session, settings, service)
                                         for service in ("s3", "sqs", "dynamodb",
                                                         "cloudformation")))


def _is_test_event(body: dict[str, Any]) -> bool:
    return body.get("Event") == "s3:TestEvent"


def test_boto3_lists_the_templates_buckets_and_both_queues(deployed: Deployed) -> None:
    settings = deployed.settings
    buckets = {b["Name"] for b in deployed.s3.list_buckets()["Buckets"]}
    assert {settings.uploads_bucket, settings.media_bucket, settings.data_bucket} <= buckets
    queues = deployed.sqs.list_queues(QueueNamePrefix=settings.resource_prefix)["QueueUrls"]
    assert {url.rsplit("/", 1)[-1] for url in queues} == {
        settings.encode_queue, settings.encode_dlq, settings.encode_tasks_queue,
        settings.encode_tasks_dlq, settings.import_queue, f"{settings.import_queue}-dlq",
        settings.graph_queue, f"{settings.graph_queue}-dlq",
        settings.reset_queue, f"{settings.reset_queue}-dlq"}
    assert set(deployed.outputs) == set(load_template()["Outputs"])
    assert deployed.outputs["UploadsBucketName"] == settings.uploads_bucket
    assert deployed.outputs["MediaBucketArn"] == f"arn:aws:s3:::{settings.media_bucket}"
    assert deployed.outputs["EncodeJobsQueueName"] == settings.encode_queue
    assert deployed.outputs["EncodeJobsDLQArn"].endswith(f":{settings.encode_dlq}")
    assert deployed.outputs["IdempotencyTableName"] == settings.table_name("idempotency")


def test_the_encode_queue_redrives_to_the_dlq_after_three_receives(deployed: Deployed) -> None:
    settings = deployed.settings
    attrs = deployed.sqs.get_queue_attributes(QueueUrl=deployed.queue_url,
                                              AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 3
    assert redrive["deadLetterTargetArn"] == deployed.outputs["EncodeJobsDLQArn"]
    assert int(attrs["VisibilityTimeout"]) == 900
    dlq_url = deployed.sqs.get_queue_url(QueueName=settings.encode_dlq)["QueueUrl"]
    dlq = deployed.sqs.get_queue_attributes(QueueUrl=dlq_url,
                                            AttributeNames=["MessageRetentionPeriod"])
    assert int(dlq["Attributes"]["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_ttl_and_point_in_time_recovery_are_on_for_the_idempotency_table(
    deployed: Deployed,
) -> None:
    table = deployed.settings.table_name("idempotency")
    ttl = deployed.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    backups = deployed.dynamodb.describe_continuous_backups(TableName=table)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    described = deployed.dynamodb.describe_table(TableName=table)["Table"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_buckets_carry_cors_public_access_block_encryption_and_lifecycle(
    deployed: Deployed,
) -> None:
    settings, s3 = deployed.settings, deployed.s3
    for bucket in (settings.uploads_bucket, settings.media_bucket):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                         "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    media = s3.get_bucket_cors(Bucket=settings.media_bucket)["CORSRules"]
    assert media[0]["AllowedMethods"] == ["GET", "HEAD"]
    assert "Content-Range" in media[0]["ExposeHeaders"]
    uploads = s3.get_bucket_cors(Bucket=settings.uploads_bucket)["CORSRules"]
    assert uploads[0]["AllowedMethods"] == ["PUT"]  # parts of a multipart upload
    assert uploads[0]["ExposeHeaders"] == ["ETag"]  # the page reads each part's ETag
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=settings.uploads_bucket)["Rules"]
    assert lifecycle[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_the_queue_policy_lets_the_uploads_bucket_send(deployed: Deployed) -> None:
    attrs = deployed.sqs.get_queue_attributes(QueueUrl=deployed.queue_url,
                                              AttributeNames=["Policy"])["Attributes"]
    (statement,) = json.loads(attrs["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Resource"] == deployed.outputs["EncodeJobsQueueArn"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:s3:::{deployed.settings.uploads_bucket}")
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"].isdigit()


def test_an_upload_under_uploads_reaches_the_queue_and_others_do_not(deployed: Deployed) -> None:
    bucket = deployed.settings.uploads_bucket
    deployed.drain()  # the s3:TestEvent sent when the notification was configured
    key = "uploads/My Film é.mp4"
    # Outside the prefix first: had it been delivered, it would be on the queue before ours.
    deployed.s3.put_object(Bucket=bucket, Key="elsewhere/My Film é.mp4", Body=b"not a film")
    deployed.s3.put_object(Bucket=deployed.settings.media_bucket, Key=key, Body=b"other bucket")
    deployed.s3.put_object(Bucket=bucket, Key=key, Body=b"film")
    bodies = [b for b in deployed.drain() if not _is_test_event(b)]
    records = [record for body in bodies for record in body["Records"]]
    assert len(records) == 1, records
    (record,) = records
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == key


def test_redeploying_is_a_quiet_no_op(deployed: Deployed) -> None:
    settings = deployed.settings
    deployed.drain()  # the first deploy's own s3:TestEvent
    progress: list[tuple[float, float, str]] = []
    again = deploy(settings, make_session(settings),
                   progress=lambda done, total, what: progress.append((done, total, what)))
    assert again == deployed.outputs
    assert progress[-1][2] == f"{settings.stack_name}: up to date"
    assert all(0 <= done <= total for done, total, _ in progress)
    stack = deployed.cfn.describe_stacks(StackName=settings.stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"  # no update was started
    notifications = deployed.s3.get_bucket_notification_configuration(
        Bucket=settings.uploads_bucket)["QueueConfigurations"]
    assert len(notifications) == 1
    assert notifications[0]["QueueArn"] == deployed.outputs["EncodeJobsQueueArn"]
    assert deployed.drain() == []  # the notification was not set again: no new s3:TestEvent


def test_a_changed_template_updates_the_stack_in_place(deployed: Deployed,
                                                       tmp_path: Path) -> None:
    settings = deployed.settings
    deployed.s3.put_object(Bucket=settings.media_bucket, Key="keep/me.txt", Body=b"kept")
    changed = tmp_path / "template.yaml"
    original = TEMPLATE_PATH.read_text()
    probe = '\nOutputs:\n  ProbeOutput:\n    Value: !Sub "${ResourcePrefix}-probe"\n'
    changed.write_text(original.replace("\nOutputs:\n", probe, 1))
    assert changed.read_text() != original
    outputs = deploy(settings, make_session(settings), template_path=changed)
    assert outputs == {**deployed.outputs, "ProbeOutput": f"{settings.resource_prefix}-probe"}
    stack = deployed.cfn.describe_stacks(StackName=settings.stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    body = deployed.s3.get_object(Bucket=settings.media_bucket, Key="keep/me.txt")["Body"]
    assert body.read() == b"kept"
    deployed.drain()
    deployed.s3.put_object(Bucket=settings.uploads_bucket, Key="uploads/after.mp4", Body=b"x")
    keys = [unquote_plus(r["s3"]["object"]["key"]) for b in deployed.drain()
            if not _is_test_event(b) for r in b["Records"]]
    assert keys == ["uploads/after.mp4"]
