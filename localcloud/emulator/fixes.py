"""Make moto's CloudFormation see that an update changes nothing, as AWS does.

moto 5.2 keeps a stack's Number parameters as numbers (``{"Timeout": 900}``) but compares
them with the incoming values as sent (``"900"``), so re-deploying an unchanged template
with a Number parameter always "updates" the stack, where CloudFormation answers "No
updates are to be performed". Here both sides are compared as strings.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse

_original = CloudFormationResponse._validate_different_update


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in values.items()}


def _validate_different_update(self: CloudFormationResponse,
                               incoming_params: list[dict[str, Any]] | None, stack_body: str,
                               old_stack: Any) -> None:
    _original(self, incoming_params, stack_body, old_stack)
    if incoming_params and stack_body and old_stack.template == stack_body:
        new = self._get_param_values(incoming_params, old_stack.stack_parameters)
        if _as_text(new) == _as_text(old_stack.stack_parameters):
            raise ValidationError(old_stack.name, message="No updates are to be performed.")


def install() -> None:
    CloudFormationResponse._validate_different_update = (  # type: ignore[method-assign]
        _validate_different_update)
