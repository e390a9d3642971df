"""The local API server: Chalice's local gateway, with API Gateway's gateway responses.

`chalice local` answers a path no route matches as API Gateway does by default: 403
``{"message": "Missing Authentication Token"}``. Deployed, Notflix replaces that answer with
the gateway responses of ``infra/gateway_responses.yaml`` (``make deploy`` puts them on the
REST API); this server answers with the same ones, so a mistyped address is a 404 page of the
site locally as in AWS. Everything else is Chalice's own local server, unchanged.

Run: ``python -m localcloud.api_gateway --host 127.0.0.1 --port 8000 --stage local`` (what
``notflix up`` starts).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial
from http.server import HTTPServer
from typing import Any

from chalice.app import Chalice
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.deploy.validate import validate_routes
from chalice.local import (
    ChaliceRequestHandler,
    ForbiddenError,
    HeaderType,
    LocalDevServer,
    LocalGateway,
    ResponseType,
    create_local_server,
)

from infra.gateway_responses import GatewayResponse, load

MISSING_ROUTE = "MISSING_AUTHENTICATION_TOKEN"
#: The body Chalice's local gateway (like API Gateway) sends for a path no route matches.
MISSING_ROUTE_BODY = b'{"message": "Missing Authentication Token"}'


class GatewayWithResponses(LocalGateway):
    """Chalice's local gateway; its answer to an unknown route replaced as configured."""

    def __init__(self, app_object: Chalice, config: Config,
                 responses: dict[str, GatewayResponse]) -> None:
        super().__init__(app_object, config)
        self.responses = responses

    def handle_request(self, method: str, path: str, headers: HeaderType,
                       body: bytes | None) -> ResponseType:
        try:
            return super().handle_request(method, path, headers, body)
        except ForbiddenError as refused:
            replacement = self.responses.get(MISSING_ROUTE)
            if replacement is None or refused.body != MISSING_ROUTE_BODY:
                raise
            accept = str(headers.get("accept") or headers.get("Accept") or "")
            content_type, text = replacement.body_for(accept)
            return {"statusCode": replacement.status, "body": text.encode(),
                    "headers": {**replacement.headers, **refused.headers,
                                "Content-Type": f"{content_type}; charset=utf-8"},
                    "multiValueHeaders": {}}


class RequestHandler(ChaliceRequestHandler):
    def __init__(self, request: bytes, client_address: tuple[str, int], server: HTTPServer,
                 app_object: Chalice, config: Config,
                 responses: dict[str, GatewayResponse]) -> None:
        self.local_gateway = GatewayWithResponses(app_object, config, responses)
        # BaseHTTPRequestHandler handles the request in its constructor
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)


def make_server(project_dir: str, host: str, port: int, stage: str,
                responses: dict[str, GatewayResponse] | None = None) -> LocalDevServer:
    """What `chalice local` builds (Chalice's own function), answering with the request
    handler above."""
    config = CLIFactory(project_dir).create_config_obj(chalice_stage_name=stage)
    validate_routes(config.chalice_app.routes)
    server = create_local_server(config.chalice_app, config, host, port)
    handler: Any = partial(RequestHandler, app_object=config.chalice_app, config=config,
                           responses=load() if responses is None else responses)
    server.server.RequestHandlerClass = handler
    return server


def main() -> None:  # pragma: no cover - the process `notflix up` starts
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--project-dir", default=os.getcwd())
    args = parser.parse_args()
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as `chalice local` sets it
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    make_server(args.project_dir, args.host, args.port, args.stage).serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
