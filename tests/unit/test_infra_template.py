from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import Settings
from infra.intrinsics import StackContext, UnresolvableError
from infra.template import TEMPLATE_PATH, load_template, resources_of_type

NAMED = {"AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
         "AWS::DynamoDB::Table": "TableName"}


def test_cfn_lint_reports_nothing() -> None:
    lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(lint), str(TEMPLATE_PATH)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def context(template: dict[str, Any], prefix: str = "demo") -> StackContext:
    return StackContext(template=template,
                        parameters={"ResourcePrefix": prefix, "MailFrom": "m@example.com"},
                        physical_ids={}, clients={}, region="eu-west-1",
                        account_id="111122223333", stack_name=prefix)


def test_every_name_derives_from_the_prefix_as_config_computes_it() -> None:
    template = load_template()
    ctx = context(template)
    settings = Settings.from_env({"NOTFLIX_PREFIX": "demo"})
    names = {ctx.resolve(r["Properties"][NAMED[r["Type"]]])
             for r in template["Resources"].values() if r["Type"] in NAMED}
    assert names == {settings.uploads_bucket, settings.media_bucket, settings.encode_queue,
                     settings.encode_dlq, *(settings.table_name(t) for t in (
                         "idempotency", "users", "user-emails", "login-history",
                         "password-resets", "subscriptions", "payments"))}


def test_the_encode_queue_redrives_to_its_dlq_after_three_receives() -> None:
    queue = load_template()["Resources"]["EncodeJobsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["EncodeJobsDLQ",
                                                                            "Arn"]}


def test_only_uploads_prefix_notifies_the_encode_queue() -> None:
    (bucket,) = [r for r in resources_of_type(load_template(), "AWS::S3::Bucket").values()
                 if "NotificationConfiguration" in r["Properties"]]
    (config,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]


def test_sub_resolves_parameters_and_pseudo_parameters() -> None:
    ctx = context({"Resources": {}})
    text = "arn:${AWS::Partition}:s3:::${ResourcePrefix}-x/${AWS::Region}/${AWS::AccountId}"
    assert ctx.resolve({"Fn::Sub": text}) == "arn:aws:s3:::demo-x/eu-west-1/111122223333"
    assert ctx.resolve({"Fn::Sub": ["${A}-${ResourcePrefix}", {"A": "a"}]}) == "a-demo"
    assert ctx.resolve({"Fn::Join": ["-", ["x", {"Ref": "ResourcePrefix"}]]}) == "x-demo"


def test_unknown_references_are_refused() -> None:
    ctx = context({"Resources": {}})
    with pytest.raises(UnresolvableError):
        ctx.resolve({"Ref": "Nope"})
    with pytest.raises(UnresolvableError):
        ctx.resolve({"Fn::If": ["c", 1, 2]})
