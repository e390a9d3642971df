"""Apply, from the template's own values, what moto's CloudFormation silently ignores.

Checked against moto 5.2's server: stacks create tables, queues (with redrive) and buckets
(with encryption) but drop a bucket's CORS, public access block, lifecycle rules and event
notifications, a table's TTL and point-in-time recovery, `AWS::SQS::QueuePolicy` and
`AWS::SES::EmailIdentity`.
Each applier reads one property from the template, resolves its intrinsics against the
stack, and makes the API call real AWS would have made. All of them are idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from infra.intrinsics import StackContext

Applier = Callable[[StackContext, str, dict[str, Any]], None]


def _cors(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    rules = props.get("CorsConfiguration", {}).get("CorsRules")
    if not rules:
        return
    api_rules = []
    for rule in rules:
        api_rule: dict[str, Any] = {"AllowedMethods": rule["AllowedMethods"],
                                    "AllowedOrigins": rule["AllowedOrigins"]}
        for cfn_name, api_name in (("AllowedHeaders", "AllowedHeaders"),
                                   ("ExposedHeaders", "ExposeHeaders"),
                                   ("MaxAge", "MaxAgeSeconds"), ("Id", "ID")):
            if cfn_name in rule:
                api_rule[api_name] = rule[cfn_name]
        api_rules.append(api_rule)
    ctx.clients["s3"].put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": api_rules})


def _public_access_block(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        ctx.clients["s3"].put_public_access_block(Bucket=bucket,
                                                  PublicAccessBlockConfiguration=block)


def _lifecycle(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    rules = props.get("LifecycleConfiguration", {}).get("Rules")
    if not rules:
        return
    api_rules = []
    for rule in rules:
        api_rule: dict[str, Any] = {"Status": rule["Status"],
                                    "Filter": {"Prefix": rule.get("Prefix", "")}}
        if "Id" in rule:
            api_rule["ID"] = rule["Id"]
        if "AbortIncompleteMultipartUpload" in rule:
            api_rule["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
        api_rules.append(api_rule)
    ctx.clients["s3"].put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": api_rules})


def _key_filter(cfn_filter: dict[str, Any] | None) -> dict[str, Any]:
    if not cfn_filter:
        return {}
    rules = cfn_filter.get("S3Key", {}).get("Rules", [])
    return {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]}
                                               for r in rules]}}}


def _notifications(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    config = props.get("NotificationConfiguration")
    if not config:
        return
    api_config: dict[str, Any] = {}
    for cfn_key, target_key, arn_key in (
        ("QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "Topic", "TopicArn"),
        ("LambdaConfigurations", "Function", "LambdaFunctionArn"),
    ):
        entries = config.get(cfn_key, [])
        if entries:
            api_config[cfn_key] = [{arn_key: e[target_key], "Events": [e["Event"]],
                                    **_key_filter(e.get("Filter"))} for e in entries]
    current = ctx.clients["s3"].get_bucket_notification_configuration(Bucket=bucket)
    current.pop("ResponseMetadata", None)
    if _same_notifications(current, api_config):
        return  # setting it again would make S3 send another s3:TestEvent
    ctx.clients["s3"].put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=api_config)


def _same_notifications(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def normalise(config: dict[str, Any]) -> list[str]:
        out = []
        for key, entries in config.items():
            if key.endswith("Configurations"):
                for entry in entries:
                    entry = {k: v for k, v in entry.items() if k != "Id"}
                    rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
                    for rule in rules:
                        rule["Name"] = rule["Name"].lower()
                    out.append(json.dumps([key, entry], sort_keys=True))
        return sorted(out)

    return normalise(current) == normalise(wanted)


def _ttl(ctx: StackContext, table: str, props: dict[str, Any]) -> None:
    spec = props.get("TimeToLiveSpecification")
    if not spec or not spec.get("Enabled"):
        return
    dynamodb = ctx.clients["dynamodb"]
    current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": spec["AttributeName"]})


def _pitr(ctx: StackContext, table: str, props: dict[str, Any]) -> None:
    spec = props.get("PointInTimeRecoverySpecification")
    if spec and spec.get("PointInTimeRecoveryEnabled"):
        ctx.clients["dynamodb"].update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


def _queue_policy(ctx: StackContext, _physical_id: str, props: dict[str, Any]) -> None:
    policy = json.dumps(props["PolicyDocument"])
    for queue_url in props["Queues"]:
        ctx.clients["sqs"].set_queue_attributes(QueueUrl=queue_url,
                                                Attributes={"Policy": policy})


def _email_identity(ctx: StackContext, _physical_id: str, props: dict[str, Any]) -> None:
    ctx.clients["ses"].verify_email_identity(EmailAddress=props["EmailIdentity"])


APPLIERS: dict[str, list[Applier]] = {
    "AWS::S3::Bucket": [_public_access_block, _cors, _lifecycle, _notifications],
    "AWS::DynamoDB::Table": [_ttl, _pitr],
    "AWS::SQS::QueuePolicy": [_queue_policy],
    "AWS::SES::EmailIdentity": [_email_identity],
}


def apply_ignored_properties(ctx: StackContext) -> list[str]:
    """Apply every ignored property; returns `Logical.Property` names for the progress line."""
    applied = []
    for logical, resource in ctx.template["Resources"].items():
        appliers = APPLIERS.get(resource.get("Type", ""), [])
        if not appliers:
            continue
        props = ctx.resolve(resource.get("Properties", {}))
        physical_id = ctx.physical_ids.get(logical, logical)
        for applier in appliers:
            applier(ctx, physical_id, props)
            applied.append(f"{logical}.{applier.__name__.lstrip('_')}")
    return applied
