"""The CloudFormation template, its intrinsics resolver, moto gap translation and the deployer's
state machine (against a scripted CloudFormation client; the real one is in integration)."""

from __future__ import annotations

from typing import Any, cast

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.platform.config import Settings
from infra import deployer
from infra.deployer import DeployError, deploy
from infra.intrinsics import StackContext, UnresolvableError
from infra.template import load_template, resources_of_type
from localcloud.emulator.gaps import UnsupportedProperty, notification_configuration

NAMED = {"AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
         "AWS::DynamoDB::Table": "TableName"}


def context(template: dict[str, Any], prefix: str = "demo") -> StackContext:
    return StackContext(template=template,
                        parameters={"ResourcePrefix": prefix, "MailFrom": "m@example.com"},
                        physical_ids={}, clients={}, region="eu-west-1",
                        account_id="111122223333", stack_name=prefix)


# --- the template -----------------------------------------------------------------------------

# cfn-lint: tests/unit/infra/test_chalice_package.py lints every template in one run.

def test_short_tags_load_as_their_long_forms() -> None:
    template = load_template()
    queue = template["Resources"]["EncodeJobsQueue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${ResourcePrefix}-encode-jobs"}
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["EncodeJobsDLQ",
                                                                            "Arn"]}
    policy = template["Resources"]["EncodeJobsQueuePolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["EncodeJobsQueue", "Arn"]}
    assert context(template).resolve(statement["Condition"]) == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::demo-uploads"},
        "StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_buckets_block_public_access_encrypt_and_allow_the_browser_flows() -> None:
    buckets = resources_of_type(load_template(), "AWS::S3::Bucket")
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    media_rules = buckets["MediaBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert {"GET", "HEAD"} <= {m for rule in media_rules for m in rule["AllowedMethods"]}
    upload_rules = buckets["UploadsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert "PUT" in {m for rule in upload_rules for m in rule["AllowedMethods"]}
    assert "ETag" in {h for rule in upload_rules for h in rule.get("ExposedHeaders", [])}
    lifecycle = buckets["UploadsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"DaysAfterInitiation": 7} in [r.get("AbortIncompleteMultipartUpload")
                                          for r in lifecycle]


def test_the_idempotency_table_is_a_powertools_store() -> None:
    table = load_template()["Resources"]["IdempotencyTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_every_bucket_queue_and_table_has_name_and_arn_outputs() -> None:
    template = load_template()
    outputs = [o["Value"] for o in template["Outputs"].values()]
    for logical, resource in template["Resources"].items():
        if resource["Type"] in NAMED:
            assert {"Ref": logical} in outputs, f"{logical} has no name/URL output"
            assert {"Fn::GetAtt": [logical, "Arn"]} in outputs, f"{logical} has no ARN output"


# --- intrinsics -------------------------------------------------------------------------------

def test_sub_resolves_parameters_and_pseudo_parameters() -> None:
    ctx = context({"Resources": {}})
    text = "arn:${AWS::Partition}:s3:::${ResourcePrefix}-x/${AWS::Region}/${AWS::AccountId}"
    assert ctx.resolve({"Fn::Sub": text}) == "arn:aws:s3:::demo-x/eu-west-1/111122223333"
    assert ctx.resolve({"Fn::Sub": ["${A}-${ResourcePrefix}", {"A": "a"}]}) == "a-demo"
    assert ctx.resolve({"Fn::Join": ["-", ["x", {"Ref": "ResourcePrefix"}]]}) == "x-demo"
    assert ctx.resolve({"Fn::Sub": "${!Literal}-${ResourcePrefix}"}) == "${Literal}-demo"


def test_sub_and_getatt_use_the_stacks_physical_ids() -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"},
                              "B": {"Type": "AWS::S3::Bucket"}}}
    ctx = StackContext(template=template, parameters={},
                       physical_ids={"Q": "http://h/123/q-name", "B": "b-name"}, clients={},
                       region="eu-west-1", account_id="1", stack_name="s")
    assert ctx.resolve({"Fn::GetAtt": ["Q", "QueueName"]}) == "q-name"
    assert ctx.resolve({"Fn::Sub": "${Q.QueueUrl}|${B.Arn}|${B}"}) == (
        "http://h/123/q-name|arn:aws:s3:::b-name|b-name")


def test_no_value_drops_the_property_and_unknown_references_are_refused() -> None:
    ctx = context({"Resources": {}})
    assert ctx.resolve({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}) == {
        "B": [1]}
    with pytest.raises(UnresolvableError):
        ctx.resolve({"Ref": "Nope"})
    with pytest.raises(UnresolvableError):
        ctx.resolve({"Fn::If": ["c", 1, 2]})


# --- moto gap translation ---------------------------------------------------------------------

def test_cfn_notification_configuration_becomes_the_s3_api_shape() -> None:
    cfn = {"QueueConfigurations": [{
        "Event": "s3:ObjectCreated:*", "Queue": "arn:aws:sqs:r:1:q",
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"},
                                       {"Name": "suffix", "Value": ".mp4"}]}}}]}
    assert notification_configuration("b", cfn) == {"QueueConfigurations": [{
        "QueueArn": "arn:aws:sqs:r:1:q", "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"},
                                           {"Name": "suffix", "Value": ".mp4"}]}}}]}


def test_untranslatable_properties_fail_loudly() -> None:
    with pytest.raises(UnsupportedProperty, match="Mystery"):
        notification_configuration("b", {"QueueConfigurations": [
            {"Event": "e", "Queue": "q", "Mystery": 1}]})


# --- the deployer's state machine -------------------------------------------------------------

class ScriptedCloudFormation:
    """Answers describe_stacks from a script of statuses; records create/update calls."""

    def __init__(self, statuses: list[str | None], update_error: str | None = None,
                 events: list[dict[str, str]] | None = None) -> None:
        self.statuses = statuses
        self.update_error = update_error
        self.events = events or []
        self.calls: list[str] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            raise ClientError({"Error": {"Code": "ValidationError",
                                         "Message": f"Stack with id {StackName} does not exist"}},
                              "DescribeStacks")
        return {"Stacks": [{"StackName": StackName, "StackStatus": status,
                            "StackId": f"arn:aws:cloudformation:r:1:stack/{StackName}/x",
                            "Outputs": [{"OutputKey": "K", "OutputValue": "V"}]}]}

    def describe_stack_resources(self, StackName: str) -> dict[str, Any]:
        return {"StackResources": [{"LogicalResourceId": "A",
                                    "ResourceStatus": "CREATE_COMPLETE"}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        return {"StackEvents": self.events}

    def create_stack(self, **kwargs: Any) -> None:
        self.calls.append("create")
        assert kwargs["Parameters"] == [{"ParameterKey": "ResourcePrefix",
                                         "ParameterValue": "demo"},
                                        {"ParameterKey": "MailFrom",
                                         "ParameterValue": "no-reply@notflix.example"},
                                        {"ParameterKey": "EncoderTimeoutSeconds",
                                         "ParameterValue": "900"}]

    def update_stack(self, **_kwargs: Any) -> None:
        self.calls.append("update")
        if self.update_error:
            raise ClientError({"Error": {"Code": "ValidationError",
                                         "Message": self.update_error}}, "UpdateStack")


class FakeSession:
    def __init__(self, cfn: ScriptedCloudFormation) -> None:
        self.cfn = cfn

    def client(self, service: str, **_kwargs: Any) -> ScriptedCloudFormation:
        assert service == "cloudformation"
        return self.cfn


def run_deploy(cfn: ScriptedCloudFormation, monkeypatch: pytest.MonkeyPatch,
               progress: list[str] | None = None) -> dict[str, str]:
    monkeypatch.setattr(deployer, "POLL_SECONDS", 0)
    settings = Settings.from_env({"NOTFLIX_TARGET": "aws", "NOTFLIX_PREFIX": "demo"})
    seen = progress if progress is not None else []
    return deploy(settings, cast(boto3.Session, FakeSession(cfn)),
                  progress=lambda done, total, what: seen.append(what))


def test_a_new_stack_is_created_and_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = ScriptedCloudFormation([None, "CREATE_IN_PROGRESS", "CREATE_COMPLETE"])
    progress: list[str] = []
    assert run_deploy(cfn, monkeypatch, progress) == {"K": "V"}
    assert cfn.calls == ["create"]
    assert progress[-1] == "demo: deployed"


def test_an_unchanged_stack_is_a_quiet_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = ScriptedCloudFormation(["CREATE_COMPLETE"],
                                 update_error="No updates are to be performed.")
    progress: list[str] = []
    assert run_deploy(cfn, monkeypatch, progress) == {"K": "V"}
    assert cfn.calls == ["update"]
    assert progress[-1] == "demo: up to date"


def test_a_rollback_raises_with_the_failed_resources_reasons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = [{"LogicalResourceId": "MediaBucket", "ResourceStatus": "UPDATE_FAILED",
               "ResourceStatusReason": "demo-media already exists"},
              {"LogicalResourceId": "UsersTable", "ResourceStatus": "UPDATE_COMPLETE"}]
    cfn = ScriptedCloudFormation(["UPDATE_COMPLETE", "UPDATE_ROLLBACK_IN_PROGRESS",
                                  "UPDATE_ROLLBACK_COMPLETE"], events=events)
    with pytest.raises(DeployError, match=r"UPDATE_ROLLBACK_COMPLETE: MediaBucket "
                                          r"UPDATE_FAILED: demo-media already exists"):
        run_deploy(cfn, monkeypatch)


def test_a_refused_update_is_a_deploy_error(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = ScriptedCloudFormation(["UPDATE_COMPLETE"], update_error="Template format error")
    with pytest.raises(DeployError, match="refused to update stack demo: Template format"):
        run_deploy(cfn, monkeypatch)


def test_a_change_under_way_is_waited_for_before_updating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfn = ScriptedCloudFormation(["UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE",
                                  "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"])
    assert run_deploy(cfn, monkeypatch) == {"K": "V"}
    assert cfn.calls == ["update"]
