from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

import pytest
from chalice.app import Chalice, SQSEvent
from chalice.test import Client

from chalicelib.platform import logs
from chalicelib.platform.http import install_middleware, json_response
from tests.support import logged_lines


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


def worker_handlers() -> dict[str, Any]:
    """A queue worker and a scheduled job, as Lambda calls them."""
    app = Chalice(app_name="notflix", configure_logs=False)
    logs.use_for(app, "INFO")
    logs.install_event_ids(app)

    @app.on_sqs_message(queue="work")
    def work(event: SQSEvent) -> None:
        logs.logger.info("working", records=len(list(event)))

    @app.schedule("rate(1 day)")
    def nightly(event: object) -> None:
        logs.child("chalicelib.catalogue.importing.service").info("nightly run", extra={"kept": 3})

    return {"work": work, "nightly": nightly}


def sqs_record(message_id: str) -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": "handle", "body": "{}",
            "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}


def test_a_queue_worker_logs_its_message_id_and_a_batch_its_message_ids() -> None:
    handlers = worker_handlers()
    with logged_lines() as lines:
        handlers["work"]({"Records": [sqs_record("m-1")]}, None)
        handlers["work"]({"Records": [sqs_record("m-2"), sqs_record("m-3")]}, None)
        logs.logger.info("after the batches")
    single, batch, after = lines
    assert single["message"] == "working" and single["message_id"] == "m-1"
    assert batch["message_ids"] == ["m-2", "m-3"] and "message_id" not in batch
    assert "message_id" not in after and "message_ids" not in after


def test_a_scheduled_job_logs_its_event_id_from_any_module_logger() -> None:
    handlers = worker_handlers()
    event = {"version": "0", "id": "schedule-event-7", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "123456789012", "time": "2026-11-23T04:00:00Z",
             "region": "eu-west-1", "resources": [], "detail": {}}
    with logged_lines() as lines:
        handlers["nightly"](event, None)
    (line,) = lines
    assert (line["message"], line["event_id"], line["kept"]) == ("nightly run",
                                                                 "schedule-event-7", 3)
    assert line["service"] == "notflix"


def test_keys_belong_to_the_thread_that_set_them_and_nest() -> None:
    with logged_lines() as lines, logs.log_keys(request_id="req-outer-01"):
        with logs.log_keys(request_id="req-inner-01"):
            logs.logger.info("inner")
        logs.logger.info("outer")
        other = threading.Thread(target=lambda: logs.logger.info("other thread"))
        other.start()
        other.join()
    by_message = {line["message"]: line for line in lines}
    assert by_message["inner"]["request_id"] == "req-inner-01"
    assert by_message["outer"]["request_id"] == "req-outer-01"
    assert "request_id" not in by_message["other thread"]
