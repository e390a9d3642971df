"""Apply, from the template's own values, what moto's CloudFormation silently ignores.

Verified against moto 5.2's server by describing each resource after a stack deploy:
- ignored, applied here: a bucket's `CorsConfiguration`, `PublicAccessBlockConfiguration`,
  `LifecycleConfiguration` and `NotificationConfiguration`; a table's
  `TimeToLiveSpecification` and `PointInTimeRecoverySpecification`; `AWS::SQS::QueuePolicy`
  (no such resource type: the queue gets no Policy) and `AWS::SES::EmailIdentity`.
- honoured by moto: bucket `BucketEncryption`; queue `RedrivePolicy`, `VisibilityTimeout`,
  `MessageRetentionPeriod`, `SqsManagedSseEnabled`; table keys, GSIs and billing mode.
- ignored and not fixable through the API: a table's `SSESpecification` (moto reads the API's
  `Enabled` where CloudFormation says `SSEEnabled`, and its UpdateTable drops SSE). Harmless
  on an emulator; real AWS encrypts every table anyway.

Each applier reads one property from the template, already resolved against the stack, and
makes the API call real AWS would have made. All of them are idempotent, and a property the
translation does not know raises `UnsupportedProperty` instead of being dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from infra.intrinsics import StackContext

Applier = Callable[[StackContext, str, dict[str, Any]], None]


class UnsupportedProperty(ValueError):
    """The template uses a sub-property these appliers cannot translate to the API."""


def _only(where: str, value: dict[str, Any], known: set[str]) -> None:
    unknown = set(value) - known
    if unknown:
        raise UnsupportedProperty(f"{where}: cannot apply {sorted(unknown)} on moto; "
                                  "extend localcloud/emulator/gaps.py")


# --- S3 buckets -------------------------------------------------------------------------------

_CORS_KEYS = {"AllowedHeaders": "AllowedHeaders", "AllowedMethods": "AllowedMethods",
              "AllowedOrigins": "AllowedOrigins", "ExposedHeaders": "ExposeHeaders",
              "Id": "ID", "MaxAge": "MaxAgeSeconds"}


def _cors(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    rules = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if not rules:
        return
    api_rules = []
    for rule in rules:
        _only(f"{bucket} CorsRules", rule, set(_CORS_KEYS))
        api_rules.append({_CORS_KEYS[key]: value for key, value in rule.items()})
    ctx.clients["s3"].put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": api_rules})


def _public_access_block(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        ctx.clients["s3"].put_public_access_block(Bucket=bucket,
                                                  PublicAccessBlockConfiguration=block)


def _lifecycle_filter(rule: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if "Prefix" in rule:
        parts.append({"Prefix": rule["Prefix"]})
    parts.extend({"Tag": tag} for tag in rule.get("TagFilters", []))
    for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if key in rule:
            parts.append({key: int(rule[key])})
    if not parts:
        return {"Prefix": ""}
    if len(parts) == 1:
        return parts[0]
    combined: dict[str, Any] = {}
    for part in parts:
        if "Tag" in part:
            combined.setdefault("Tags", []).append(part["Tag"])
        else:
            combined.update(part)
    return {"And": combined}


def _lifecycle_rule(bucket: str, rule: dict[str, Any]) -> dict[str, Any]:
    _only(f"{bucket} LifecycleConfiguration rule", rule, {
        "Id", "Status", "Prefix", "TagFilters", "ObjectSizeGreaterThan", "ObjectSizeLessThan",
        "AbortIncompleteMultipartUpload", "ExpirationInDays", "ExpirationDate",
        "ExpiredObjectDeleteMarker", "NoncurrentVersionExpirationInDays",
        "NoncurrentVersionExpiration", "Transitions", "NoncurrentVersionTransitions"})
    api: dict[str, Any] = {"Status": rule["Status"], "Filter": _lifecycle_filter(rule)}
    if "Id" in rule:
        api["ID"] = rule["Id"]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"]
    if expiration:
        api["Expiration"] = expiration
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    elif "NoncurrentVersionExpirationInDays" in rule:
        api["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
    if "Transitions" in rule:
        api["Transitions"] = [
            {("Days" if k == "TransitionInDays" else "Date" if k == "TransitionDate" else k): v
             for k, v in t.items()} for t in rule["Transitions"]]
    if "NoncurrentVersionTransitions" in rule:
        api["NoncurrentVersionTransitions"] = [
            {("NoncurrentDays" if k == "TransitionInDays" else k): v for k, v in t.items()}
            for t in rule["NoncurrentVersionTransitions"]]
    return api


def _lifecycle(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    rules = (props.get("LifecycleConfiguration") or {}).get("Rules")
    if rules:
        ctx.clients["s3"].put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={"Rules": [_lifecycle_rule(bucket, r) for r in rules]})


#: CloudFormation list -> (its target key, the S3 API's ARN key); the list names match.
_NOTIFICATION_KINDS = {
    "QueueConfigurations": ("Queue", "QueueArn"),
    "TopicConfigurations": ("Topic", "TopicArn"),
    "LambdaConfigurations": ("Function", "LambdaFunctionArn"),
}


def _key_filter(where: str, cfn_filter: dict[str, Any] | None) -> dict[str, Any]:
    if not cfn_filter:
        return {}
    _only(f"{where} Filter", cfn_filter, {"S3Key"})
    rules = cfn_filter.get("S3Key", {}).get("Rules", [])
    return {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]}
                                               for r in rules]}}}


def notification_configuration(bucket: str, config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's `NotificationConfiguration` (resolved) in the S3 API's shape."""
    _only(f"{bucket} NotificationConfiguration", config,
          {*_NOTIFICATION_KINDS, "EventBridgeConfiguration"})
    api: dict[str, Any] = {}
    for kind, (target_key, arn_key) in _NOTIFICATION_KINDS.items():
        entries = []
        for entry in config.get(kind, []):
            _only(f"{bucket} {kind}", entry, {"Event", "Filter", target_key})
            entries.append({arn_key: entry[target_key], "Events": [entry["Event"]],
                            **_key_filter(f"{bucket} {kind}", entry.get("Filter"))})
        if entries:
            api[kind] = entries
    if (config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
        api["EventBridgeConfiguration"] = {}
    return api


def _normalised_notifications(config: dict[str, Any]) -> list[str]:
    """Comparable form: without generated Ids, rule names lower-case, order ignored."""
    out = []
    for kind, entries in config.items():
        if kind == "EventBridgeConfiguration":
            out.append(kind)
        if not kind.endswith("Configurations"):
            continue
        for entry in entries:
            copy = json.loads(json.dumps({k: v for k, v in entry.items() if k != "Id"}))
            for rule in copy.get("Filter", {}).get("Key", {}).get("FilterRules", []):
                rule["Name"] = rule["Name"].lower()
            copy["Events"] = sorted(copy.get("Events", []))
            out.append(json.dumps([kind, copy], sort_keys=True))
    return sorted(out)


def _notifications(ctx: StackContext, bucket: str, props: dict[str, Any]) -> None:
    config = props.get("NotificationConfiguration")
    if not config:
        return
    wanted = notification_configuration(bucket, config)
    s3 = ctx.clients["s3"]
    current = dict(s3.get_bucket_notification_configuration(Bucket=bucket))
    current.pop("ResponseMetadata", None)
    if _normalised_notifications(current) == _normalised_notifications(wanted):
        return  # setting it again would make S3 send another s3:TestEvent
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=wanted)


# --- DynamoDB tables --------------------------------------------------------------------------

def _ttl(ctx: StackContext, table: str, props: dict[str, Any]) -> None:
    spec = props.get("TimeToLiveSpecification")
    if not spec:
        return
    dynamodb = ctx.clients["dynamodb"]
    current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    want = bool(spec.get("Enabled"))
    if want == enabled and (not want or current.get("AttributeName") == spec["AttributeName"]):
        return
    if want and enabled:  # another attribute: switch it off first, as AWS requires
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": False, "AttributeName": current["AttributeName"]})
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": want, "AttributeName": spec.get("AttributeName")
        or current.get("AttributeName", "")})


def _pitr(ctx: StackContext, table: str, props: dict[str, Any]) -> None:
    spec = props.get("PointInTimeRecoverySpecification")
    if not spec:
        return
    dynamodb = ctx.clients["dynamodb"]
    want = bool(spec.get("PointInTimeRecoveryEnabled"))
    current = dynamodb.describe_continuous_backups(TableName=table)[
        "ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    if (current.get("PointInTimeRecoveryStatus") == "ENABLED") == want:
        return
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": want})


# --- SQS and SES ------------------------------------------------------------------------------

def _queue_policy(ctx: StackContext, _physical_id: str, props: dict[str, Any]) -> None:
    document = props["PolicyDocument"]
    policy = document if isinstance(document, str) else json.dumps(document)
    for queue_url in props["Queues"]:
        ctx.clients["sqs"].set_queue_attributes(QueueUrl=queue_url,
                                                Attributes={"Policy": policy})


def _email_identity(ctx: StackContext, _physical_id: str, props: dict[str, Any]) -> None:
    ses = ctx.clients["ses"]
    identity = props["EmailIdentity"]
    if identity in ses.list_identities().get("Identities", []):
        return
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


APPLIERS: dict[str, list[Applier]] = {
    "AWS::S3::Bucket": [_public_access_block, _cors, _lifecycle, _notifications],
    "AWS::DynamoDB::Table": [_ttl, _pitr],
    "AWS::SQS::QueuePolicy": [_queue_policy],
    "AWS::SES::EmailIdentity": [_email_identity],
}


def apply_ignored_properties(ctx: StackContext) -> list[str]:
    """Apply (or confirm) every ignored property; returns the `Logical.applier` names run."""
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
