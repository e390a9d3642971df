"""infra/alarms.yaml watches metrics the code really emits, and queues the data plane has."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from chalicelib.jobs.models import JobModel
from chalicelib.jobs.watchdog import record_end
from chalicelib.platform.metrics import record_request, record_worker, webhook_delivery
from encoder_lambda.job_metrics import record_job_end
from infra.template import load_template
from localcloud.paths import PROJECT_ROOT

ALARMS = load_template(PROJECT_ROOT / "infra" / "alarms.yaml")
DATA_PLANE = load_template(PROJECT_ROOT / "infra" / "template.yaml")
#: (metric name, {dimension: value}) for every metric an alarm on our namespace may watch.
Emitted = set[tuple[str, frozenset[tuple[str, str]]]]


def alarms() -> list[dict[str, Any]]:
    return [r["Properties"] for r in ALARMS["Resources"].values()
            if r["Type"] == "AWS::CloudWatch::Alarm"]


@pytest.fixture(scope="module")
def emitted() -> Emitted:
    """What one request, webhook, worker batch and failed encode write, as CloudWatch sees it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        record_request("/api/titles/{title_id}", "GET", 500, 12.0)
        with webhook_delivery("paypal") as delivery:
            delivery.outcome = "rejected_signature"
        record_worker("graph_sync", processed=0, failed=1)
        record_job_end(JobModel("job-1", status="FAILED", bucket="b", key="k", stages={},
                                created_at="2026-11-23T10:00:00.000Z",
                                updated_at="2026-11-23T10:00:01.000Z"), "failed")
        record_end("FAILED", "stalled")  # the encode watchdog ends a silent job
    found: Emitted = set()
    for line in out.getvalue().splitlines():
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((name, str(document[name])) for name in dimension_set)
                found |= {(metric["Name"], dims) for metric in directive["Metrics"]}
    return found


def test_every_alarm_on_our_namespace_watches_an_emitted_metric(emitted: Emitted) -> None:
    ours = [a for a in alarms() if a["Namespace"] == {"Ref": "MetricsNamespace"}]
    assert len(ours) == 6
    for alarm in ours:
        dims = frozenset((d["Name"], d["Value"]) for d in alarm["Dimensions"])
        assert (alarm["MetricName"], dims) in emitted, alarm["AlarmName"]


def test_an_alarm_on_a_metric_nobody_emits_is_caught(emitted: Emitted) -> None:
    assert ("Errors", frozenset({("service", "notflix-api")})) not in emitted
    assert ("Errors", frozenset({("service", "notflix")})) in emitted


def test_every_dead_letter_queue_has_an_alarm() -> None:
    dlqs = {r["Properties"]["QueueName"]["Fn::Sub"] for r in DATA_PLANE["Resources"].values()
            if r["Type"] == "AWS::SQS::Queue"
            and r["Properties"]["QueueName"]["Fn::Sub"].endswith("-dlq")}
    watched = {d["Value"]["Fn::Sub"] for a in alarms() if a["Namespace"] == "AWS/SQS"
               for d in a["Dimensions"] if d["Name"] == "QueueName"}
    assert dlqs and watched == dlqs


def test_every_alarm_tells_the_alerts_topic() -> None:
    for alarm in alarms():
        assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}], alarm["AlarmName"]
        assert alarm["TreatMissingData"] == "notBreaching"
