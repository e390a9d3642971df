from __future__ import annotations

import io
import json
import logging

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib import logs
from chalicelib.http import install_middleware, json_response


def test_requests_are_logged_as_json_with_their_request_id() -> None:
    app = Chalice(app_name="notflix", configure_logs=False)
    logs.use_for(app, "INFO")
    install_middleware(app)

    @app.route("/ping")
    def ping() -> object:
        return json_response({"pong": True})

    handler = logs.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    sink = io.StringIO()
    previous = handler.setStream(sink)
    try:
        with Client(app) as client:
            client.http.get("/ping", headers={"X-Request-Id": "req-logs-0001"})
    finally:
        handler.setStream(previous)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    (entry,) = [line for line in lines if line["message"] == "request"]
    assert entry["request_id"] == "req-logs-0001"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"


def test_an_app_with_another_name_is_refused() -> None:
    with pytest.raises(ValueError, match="must be named"):
        logs.use_for(Chalice(app_name="other", configure_logs=False), "INFO")
