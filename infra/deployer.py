"""Create or update the `infra/` stack on the configured target and wait for it.

On the embedded target (moto) the properties moto's CloudFormation ignores are then applied
from the same template (see `localcloud.emulator.gaps`), so every target ends up configured
alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.platform.aws import make_client
from chalicelib.platform.config import Settings, Target
from infra.intrinsics import StackContext
from infra.template import TEMPLATE_PATH, load_template
from localcloud.emulator.gaps import apply_ignored_properties

#: (done, total, what) for a progress bar; the CLI passes one, tests usually pass nothing.
ProgressFn = Callable[[float, float, str], None]


def no_progress(_done: float, _total: float, _what: str) -> None:
    return None


TERMINAL_OK = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
#: Stable states an update may start from (besides TERMINAL_OK).
UPDATABLE = frozenset({"UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})
NO_CHANGES = "No updates are to be performed"
#: CloudFormation's limit for an inline TemplateBody; beyond it the template must go via S3.
MAX_TEMPLATE_BODY_BYTES = 51_200
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 1800.0


class DeployError(RuntimeError):
    """The stack did not reach a complete state; the message carries CloudFormation's reasons."""


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(cfn.describe_stacks(StackName=name)["Stacks"][0])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _failure_reasons(cfn: Any, stack: dict[str, Any]) -> str:
    """The failed resources' status reasons, newest first (the root cause is usually last)."""
    name = stack["StackName"]
    events = cfn.describe_stack_events(StackName=name).get("StackEvents", [])
    reasons = [f"{e.get('LogicalResourceId')} {e.get('ResourceStatus')}: "
               f"{e.get('ResourceStatusReason')}"
               for e in events if "FAILED" in e.get("ResourceStatus", "")
               and e.get("ResourceStatusReason")]
    if not reasons and stack.get("StackStatusReason"):
        reasons = [str(stack["StackStatusReason"])]
    return "; ".join(reasons[:8]) or "CloudFormation gave no reason"


def _wait(cfn: Any, name: str, progress: ProgressFn, total: int,
          timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """Poll until the stack leaves *_IN_PROGRESS; the stack when it completed, else DeployError."""
    deadline = time.monotonic() + timeout
    while True:
        stack = _stack(cfn, name)
        if stack is None:
            raise DeployError(f"stack {name} disappeared while deploying")
        status = str(stack["StackStatus"])
        if not status.endswith("_IN_PROGRESS"):
            if status in TERMINAL_OK:
                return stack
            raise DeployError(f"stack {name} ended in {status}: {_failure_reasons(cfn, stack)}")
        if time.monotonic() >= deadline:
            raise DeployError(f"stack {name} still {status} after {timeout:.0f}s")
        resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
        done = sum(1 for r in resources if str(r.get("ResourceStatus", "")).endswith("_COMPLETE"))
        progress(min(done, total), total, f"{name}: {status}")
        time.sleep(POLL_SECONDS)


def _create_or_update(cfn: Any, name: str, body: str, parameters: list[dict[str, str]],
                      progress: ProgressFn, total: int) -> bool:
    """Start the change; False when the stack is already up to date."""
    existing = _stack(cfn, name)
    if existing is not None and str(existing["StackStatus"]).endswith("_IN_PROGRESS"):
        progress(0, total, f"{name}: waiting for the change already under way")
        try:
            existing = _wait(cfn, name, progress, total)
        except DeployError:
            existing = _stack(cfn, name)  # a failed earlier change: handled below
    if existing is not None and existing["StackStatus"] in ("ROLLBACK_COMPLETE",
                                                            "DELETE_COMPLETE"):
        if existing["StackStatus"] == "ROLLBACK_COMPLETE":
            # A stack whose first creation failed cannot be updated, only replaced.
            cfn.delete_stack(StackName=name)
            cfn.get_waiter("stack_delete_complete").wait(StackName=name)
        existing = None
    if existing is not None and existing["StackStatus"] not in TERMINAL_OK | UPDATABLE:
        raise DeployError(f"stack {name} is in {existing['StackStatus']} and cannot be updated: "
                          f"{_failure_reasons(cfn, existing)}")
    kwargs: dict[str, Any] = {"StackName": name, "TemplateBody": body, "Parameters": parameters,
                              "Capabilities": ["CAPABILITY_NAMED_IAM"]}
    try:
        if existing is None:
            cfn.create_stack(**kwargs, OnFailure="ROLLBACK")
        else:
            cfn.update_stack(**kwargs)
    except ClientError as exc:
        if existing is not None and NO_CHANGES in str(exc):
            return False
        action = "create" if existing is None else "update"
        raise DeployError(f"CloudFormation refused to {action} stack {name}: "
                          f"{exc.response.get('Error', {}).get('Message', exc)}") from exc
    return True


def _parameters(template: dict[str, Any], settings: Settings,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Values for the parameters this template declares (others keep their defaults)."""
    known = {"ResourcePrefix": settings.resource_prefix, "MailFrom": settings.mail_from,
             "EncoderTimeoutSeconds": str(settings.encoder_timeout_seconds), **(extra or {})}
    declared = template.get("Parameters") or {}
    unknown = set(extra or {}) - set(declared)
    if unknown:
        raise DeployError(f"the template declares no parameter {', '.join(sorted(unknown))}")
    return {key: value for key, value in known.items() if key in declared}


def _stack_context(cfn: Any, clients: dict[str, Any], session: boto3.Session, settings: Settings,
                   template: dict[str, Any], stack: dict[str, Any]) -> StackContext:
    name = str(stack["StackName"])
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    physical_ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
                    if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}
    # The stack's own parameter values, defaults included, as CloudFormation resolved them.
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "")
                  for p in stack.get("Parameters", []) if "ParameterKey" in p}
    for key, spec in (template.get("Parameters") or {}).items():
        if key not in parameters and "Default" in spec:
            parameters[key] = str(spec["Default"])
    stack_arn = str(stack.get("StackId", ""))
    arn_parts = stack_arn.split(":")
    if len(arn_parts) > 5 and arn_parts[4]:
        account_id = arn_parts[4]
    else:
        clients.setdefault("sts", make_client(session, settings, "sts"))
        account_id = str(clients["sts"].get_caller_identity()["Account"])
    return StackContext(
        template=template,
        parameters=parameters,
        physical_ids=physical_ids,
        clients=clients,
        region=settings.region,
        account_id=account_id,
        stack_name=name,
        partition=arn_parts[1] if len(arn_parts) > 5 and arn_parts[1] else "aws",
    )


def deploy(settings: Settings, session: boto3.Session, *, template_path: Path = TEMPLATE_PATH,
           stack_name: str | None = None, progress: ProgressFn | None = None,
           parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """Create or update the stack on `settings.target` and wait; returns the stack's outputs.

    `parameters` adds values for other parameters the template declares (e.g. the encoder's
    ImageUri). Re-deploying an unchanged template is a quiet no-op. On the embedded target
    (moto) the properties moto's CloudFormation ignores are applied afterwards, idempotently.
    Raises `DeployError` with CloudFormation's reasons when the stack fails or rolls back.
    """
    report = progress or no_progress
    name = stack_name or settings.stack_name
    template = load_template(template_path)
    body = template_path.read_text()
    if len(body.encode()) > MAX_TEMPLATE_BODY_BYTES:
        raise DeployError(f"{template_path} is over CloudFormation's {MAX_TEMPLATE_BODY_BYTES}"
                          " byte TemplateBody limit; split it or upload it to S3 (TemplateURL)")
    values = _parameters(template, settings, parameters)
    cfn = make_client(session, settings, "cloudformation")
    total = len(template["Resources"])
    report(0, total, f"{name}: deploying to {settings.target.value}")
    changed = _create_or_update(cfn, name, body,
                                [{"ParameterKey": k, "ParameterValue": v}
                                 for k, v in values.items()], report, total)
    stack = _wait(cfn, name, report, total) if changed else _stack(cfn, name)
    if stack is None:
        raise DeployError(f"stack {name} disappeared while deploying")
    if settings.target is Target.EMBEDDED:
        clients = {service: make_client(session, settings, service)
                   for service in ("s3", "sqs", "dynamodb", "ses")}
        ctx = _stack_context(cfn, clients, session, settings, template, stack)
        applied = apply_ignored_properties(ctx)
        report(total, total, f"{name}: {len(applied)} properties moto ignores are in place")
    report(total, total, f"{name}: {'deployed' if changed else 'up to date'}")
    return {str(o["OutputKey"]): str(o["OutputValue"]) for o in stack.get("Outputs") or []}
