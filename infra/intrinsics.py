"""Resolve CloudFormation intrinsic functions against a deployed stack.

Used to re-apply, through the service APIs, properties an emulator's CloudFormation ignored.
Supports what such properties use: Ref, Fn::GetAtt, Fn::Sub, Fn::Join and pseudo parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: `${Name}` is a variable; `${!Name}` is the literal text `${Name}`.
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")

#: (resource type, attribute) -> function(physical id, clients) returning the attribute.
AttributeGetter = Callable[[str, "StackContext"], str]


def _queue_arn(physical_id: str, ctx: StackContext) -> str:
    attrs = ctx.clients["sqs"].get_queue_attributes(QueueUrl=physical_id,
                                                    AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def _table_arn(physical_id: str, ctx: StackContext) -> str:
    return str(ctx.clients["dynamodb"].describe_table(TableName=physical_id)["Table"]["TableArn"])


ATTRIBUTES: dict[tuple[str, str], AttributeGetter] = {
    ("AWS::SQS::Queue", "Arn"): _queue_arn,
    ("AWS::SQS::Queue", "QueueName"): lambda pid, _ctx: pid.rstrip("/").rsplit("/", 1)[-1],
    ("AWS::SQS::Queue", "QueueUrl"): lambda pid, _ctx: pid,
    ("AWS::S3::Bucket", "Arn"): lambda pid, ctx: f"arn:{ctx.partition}:s3:::{pid}",
    ("AWS::DynamoDB::Table", "Arn"): _table_arn,
}


class _NoValue:
    """`Ref: AWS::NoValue`: the enclosing property or list item is dropped."""


NO_VALUE = _NoValue()


class UnresolvableError(ValueError):
    """An intrinsic the resolver does not support, or a reference to an unknown name."""


@dataclass
class StackContext:
    template: dict[str, Any]
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    clients: dict[str, Any]
    region: str
    account_id: str
    stack_name: str
    partition: str = "aws"
    _cache: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise UnresolvableError(f"Ref to unknown name {name!r}")

    def get_att(self, logical: str, attribute: str) -> str:
        key = (logical, attribute)
        if key not in self._cache:
            resource_type = self.template["Resources"].get(logical, {}).get("Type", "")
            getter = ATTRIBUTES.get((resource_type, attribute))
            if getter is None or logical not in self.physical_ids:
                raise UnresolvableError(f"cannot resolve {logical}.{attribute} ({resource_type})")
            self._cache[key] = getter(self.physical_ids[logical], self)
        return self._cache[key]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, _, attribute = name.partition(".")
                return self.get_att(logical, attribute)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, variables)
            if key == "Fn::Join":
                delimiter, items = arg
                return delimiter.join(str(v) for v in self.resolve(items))
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{key} is not supported here")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
