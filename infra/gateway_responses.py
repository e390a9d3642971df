"""API Gateway's gateway responses (infra/gateway_responses.yaml): put on the deployed REST
API by `make deploy`, and answered the same way by the local API server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RESPONSES_PATH = Path(__file__).with_name("gateway_responses.yaml")
JSON = "application/json"


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str
    status: int
    templates: dict[str, str]
    headers: dict[str, str]

    def body_for(self, accept: str) -> tuple[str, str]:
        """(content type, body): the first template type the Accept header names, else the
        JSON one (API Gateway's choice of mapping template)."""
        wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        for content_type in wanted:
            if content_type in self.templates:
                return content_type, self.templates[content_type]
        fallback = JSON if JSON in self.templates else next(iter(self.templates))
        return fallback, self.templates[fallback]

    def as_put_arguments(self, rest_api_id: str) -> dict[str, Any]:
        """The ``apigateway.put_gateway_response`` call for this response."""
        return {"restApiId": rest_api_id, "responseType": self.response_type,
                "statusCode": str(self.status),
                "responseParameters": {f"gatewayresponse.header.{k}": f"'{v}'"
                                       for k, v in self.headers.items()},
                "responseTemplates": dict(self.templates)}


def load(path: Path = RESPONSES_PATH) -> dict[str, GatewayResponse]:
    """The responses by type (MISSING_AUTHENTICATION_TOKEN ...)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, GatewayResponse] = {}
    for spec in raw.values():
        headers = {name.removeprefix("gatewayresponse.header."): value.strip("'")
                   for name, value in (spec.get("ResponseParameters") or {}).items()}
        found[spec["ResponseType"]] = GatewayResponse(
            spec["ResponseType"], int(spec["StatusCode"]), dict(spec["ResponseTemplates"]),
            headers)
    return found


def apply(apigateway: Any, rest_api_id: str, stage: str,
          responses: dict[str, GatewayResponse] | None = None) -> list[str]:
    """Put every response on the REST API, then redeploy ``stage`` so they take effect; the
    types put."""
    chosen = load() if responses is None else responses
    for response in chosen.values():
        apigateway.put_gateway_response(**response.as_put_arguments(rest_api_id))
    apigateway.create_deployment(restApiId=rest_api_id, stageName=stage,
                                 description="gateway responses (infra/gateway_responses.yaml)")
    return sorted(chosen)
