"""Create or update the `infra/` stack on the configured target and wait for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.aws import make_client
from chalicelib.config import Settings, Target
from infra.intrinsics import StackContext
from infra.moto_gaps import apply_ignored_properties
from infra.template import TEMPLATE_PATH, load_template

#: (done, total, what) for a progress bar; the CLI passes one, tests pass nothing.
ProgressFn = Callable[[float, float, str], None]


def no_progress(_done: float, _total: float, _what: str) -> None:
    return None

TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
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


def _failure_reasons(cfn: Any, name: str) -> str:
    events = cfn.describe_stack_events(StackName=name).get("StackEvents", [])
    reasons = [f"{e.get('LogicalResourceId')}: {e.get('ResourceStatusReason')}"
               for e in events if "FAILED" in e.get("ResourceStatus", "")
               and e.get("ResourceStatusReason")]
    return "; ".join(reasons[:5]) or "no reason given"


def _wait(cfn: Any, name: str, progress: ProgressFn, total_resources: int) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        stack = _stack(cfn, name)
        if stack is None:
            raise DeployError(f"stack {name} disappeared while deploying")
        status = stack["StackStatus"]
        if status in TERMINAL_OK:
            return stack
        if not status.endswith("_IN_PROGRESS"):
            raise DeployError(f"stack {name} ended in {status}: {_failure_reasons(cfn, name)}")
        resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
        done = sum(1 for r in resources if r.get("ResourceStatus", "").endswith("_COMPLETE"))
        progress(done, total_resources, f"{name}: {status}")
        time.sleep(POLL_SECONDS)
    raise DeployError(f"stack {name} did not finish within {TIMEOUT_SECONDS:.0f}s")


def _create_or_update(cfn: Any, name: str, body: str, parameters: list[dict[str, str]]) -> bool:
    """Start the change; False when the stack is already up to date."""
    existing = _stack(cfn, name)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        cfn.delete_stack(StackName=name)  # a failed first create cannot be updated
        cfn.get_waiter("stack_delete_complete").wait(StackName=name)
        existing = None
    kwargs = {"StackName": name, "TemplateBody": body, "Parameters": parameters,
              "Capabilities": ["CAPABILITY_NAMED_IAM"]}
    if existing is None:
        cfn.create_stack(**kwargs, OnFailure="ROLLBACK")
        return True
    try:
        cfn.update_stack(**kwargs)
    except ClientError as exc:
        if "No updates are to be performed" in str(exc):
            return False
        raise
    return True


def _stack_context(settings: Settings, session: boto3.Session, cfn: Any, name: str,
                   template: dict[str, Any], parameters: dict[str, str]) -> StackContext:
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    physical_ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
                    if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}
    sts = make_client(session, settings, "sts")
    return StackContext(
        template=template,
        parameters=parameters,
        physical_ids=physical_ids,
        clients={service: make_client(session, settings, service)
                 for service in ("s3", "sqs", "dynamodb", "ses")},
        region=settings.region,
        account_id=sts.get_caller_identity()["Account"],
        stack_name=name,
    )


def deploy(settings: Settings, session: boto3.Session, *, template_path: Path = TEMPLATE_PATH,
           stack_name: str | None = None, progress: ProgressFn = no_progress) -> dict[str, str]:
    """Apply the template to `settings.target`; returns the stack's outputs."""
    name = stack_name or settings.stack_name
    template = load_template(template_path)
    parameters = {"ResourcePrefix": settings.resource_prefix, "MailFrom": settings.mail_from}
    cfn = make_client(session, settings, "cloudformation")
    total = len(template["Resources"])
    progress(0, total, f"{name}: deploying to {settings.target.value}")
    changed = _create_or_update(cfn, name, template_path.read_text(),
                                [{"ParameterKey": k, "ParameterValue": v}
                                 for k, v in parameters.items()])
    stack = _wait(cfn, name, progress, total) if changed else _stack(cfn, name) or {}
    if settings.target is Target.EMBEDDED:
        ctx = _stack_context(settings, session, cfn, name, template, parameters)
        applied = apply_ignored_properties(ctx)
        progress(total, total, f"{name}: applied {len(applied)} properties moto ignores")
    progress(total, total, f"{name}: {'deployed' if changed else 'up to date'}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
