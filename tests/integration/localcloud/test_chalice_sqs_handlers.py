"""The event runner finds a Chalice app's SQS handlers and drives them like Lambda."""

from __future__ import annotations

import pytest

from chalicelib.platform.resources import Resources
from localcloud.event_runner import QueuePoller
from localcloud.functions import all_mappings, chalice_sqs_mappings
from tests.fixtures import sqs_app
from tests.support import eventually

pytestmark = pytest.mark.integration


def test_chalice_sqs_handlers_are_discovered_and_invoked(resources: Resources) -> None:
    (mapping,) = chalice_sqs_mappings(sqs_app, resources.settings)
    assert mapping.queue_name == sqs_app.QUEUE
    assert mapping.batch_size == 5
    assert mapping.function_name == "sqs-fixture-on_message"

    url = resources.sqs.create_queue(QueueName=sqs_app.QUEUE)["QueueUrl"]
    resources.sqs.send_message(QueueUrl=url, MessageBody="hello from SQS")
    poller = QueuePoller(resources.sqs, mapping, resources.settings.region)
    eventually(lambda: poller.poll_once().received, timeout=10)
    assert sqs_app.received == ["hello from SQS"]
    assert "Messages" not in resources.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_the_encoder_is_mapped_to_the_encode_jobs_queue(resources: Resources) -> None:
    mappings = all_mappings(sqs_app, resources.settings)
    encoder = mappings[-1]
    assert encoder.queue_name == resources.settings.encode_queue
    assert encoder.batch_size == 1
    assert encoder.report_batch_item_failures
