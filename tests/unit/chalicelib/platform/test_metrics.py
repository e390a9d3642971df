"""EMF metrics: the documents the middleware, webhooks and the encoder write to stdout."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib.jobs.models import JobModel
from chalicelib.platform import metrics
from chalicelib.platform.errors import AppError, NotFound
from chalicelib.platform.http import install_middleware, json_response
from encoder_lambda.job_metrics import record_job_end


def emf_lines(captured: str) -> list[dict[str, Any]]:
    """The EMF documents among stdout's lines (each a whole JSON line)."""
    documents = [json.loads(line) for line in captured.splitlines() if '"_aws"' in line]
    return [d for d in documents if "_aws" in d]


def assert_valid_emf(document: dict[str, Any]) -> None:
    """The parts CloudWatch needs: namespace, dimension names present, metric values."""
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Notflix"
    assert isinstance(document["_aws"]["Timestamp"], int)
    for dimension_set in directive["Dimensions"]:
        assert dimension_set and all(isinstance(document[name], str) for name in dimension_set)
    for definition in directive["Metrics"]:
        assert definition["Unit"]
        assert all(isinstance(v, float) for v in document[definition["Name"]])


def make_app() -> Chalice:
    app = Chalice(app_name="metrics-test")
    install_middleware(app)

    @app.route("/api/titles/{title_id}")
    def title(title_id: str) -> object:
        if title_id == "missing":
            raise NotFound("No such title")
        return json_response({"id": title_id})

    @app.route("/api/boom", methods=["POST"])
    def boom() -> object:
        raise RuntimeError("the database is down")

    return app


def request_metrics(capsys: pytest.CaptureFixture[str], method: str, path: str
                    ) -> dict[str, Any]:
    capsys.readouterr()
    with Client(make_app()) as client:
        client.http.request(method, path)
    (document,) = emf_lines(capsys.readouterr().out)
    assert_valid_emf(document)
    return document


def test_a_request_is_counted_under_its_route_template_not_its_path(
        capsys: pytest.CaptureFixture[str]) -> None:
    document = request_metrics(capsys, "GET", "/api/titles/tt0133093")
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["service"], ["service", "route", "method"]]
    assert (document["service"], document["route"], document["method"]) == (
        "notflix", "/api/titles/{title_id}", "GET")
    assert "tt0133093" not in json.dumps(document)
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "Requests": "Count", "Errors": "Count", "ClientErrors": "Count",
        "Latency": "Milliseconds"}
    assert (document["Requests"], document["Errors"], document["ClientErrors"]) == (
        [1.0], [0.0], [0.0])
    assert document["Latency"][0] >= 0


def test_a_500_counts_as_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    document = request_metrics(capsys, "POST", "/api/boom")
    assert (document["route"], document["method"]) == ("/api/boom", "POST")
    assert (document["Errors"], document["ClientErrors"]) == ([1.0], [0.0])


def test_a_404_counts_as_a_client_error(capsys: pytest.CaptureFixture[str]) -> None:
    document = request_metrics(capsys, "GET", "/api/titles/missing")
    assert (document["Errors"], document["ClientErrors"]) == ([0.0], [1.0])


def test_the_namespace_comes_from_the_environment(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.NAMESPACE_ENV, "Notflix-staging")
    metrics.record_request("/api/plans", "get", 200, 3.5)
    (document,) = emf_lines(capsys.readouterr().out)
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Notflix-staging"
    assert document["method"] == "GET"


def test_metrics_can_be_switched_off(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics.record_request("/api/plans", "GET", 200, 3.5)
    assert emf_lines(capsys.readouterr().out) == []


@pytest.mark.parametrize(("error", "outcome"), [
    (AppError("bad signature", code="webhook_rejected", status=401), "rejected_signature"),
    (AppError("seen", code="webhook_replay", status=409), "duplicate"),
    (AppError("down", code="service_unavailable", status=503), "unavailable"),
    (AppError("who?", code="actor_not_allowed", status=403), "rejected"),
    (RuntimeError("bug"), "error"),
])
def test_a_refused_webhook_delivery_is_counted_with_its_outcome(
        capsys: pytest.CaptureFixture[str], error: Exception, outcome: str) -> None:
    with pytest.raises(type(error)), metrics.webhook_delivery("ingest"):
        raise error
    (document,) = emf_lines(capsys.readouterr().out)
    assert_valid_emf(document)
    assert (document["source"], document["outcome"], document["WebhookOutcome"]) == (
        "ingest", outcome, [1.0])


def test_an_accepted_webhook_delivery_is_counted_with_the_outcome_set(
        capsys: pytest.CaptureFixture[str]) -> None:
    with metrics.webhook_delivery("paypal") as delivery:
        delivery.outcome = "applied"
    (document,) = emf_lines(capsys.readouterr().out)
    assert (document["source"], document["outcome"]) == ("paypal", "applied")


def ended_job(status: str, outcome: str, stages: dict[str, dict[str, str]],
              duration_s: float | None = None) -> JobModel:
    return JobModel("job-1", status=status, bucket="uploads", key="uploads/u/film.mp4",
                    created_at="2026-11-23T10:00:00.000Z", updated_at="2026-11-23T10:05:00.000Z",
                    stages=stages, uploader="user-secret-id",
                    source_info={"duration_s": duration_s} if duration_s else None,
                    error=None)


def test_a_published_encode_reports_its_durations_and_minutes(
        capsys: pytest.CaptureFixture[str]) -> None:
    job = ended_job("PUBLISHED", "encoded", {
        "PROBING": {"started_at": "2026-11-23T10:00:00.000Z",
                    "ended_at": "2026-11-23T10:00:02.500Z", "outcome": "ok"},
        "ENCODING": {"started_at": "2026-11-23T10:00:02.500Z",
                     "ended_at": "2026-11-23T10:01:02.500Z", "outcome": "ok"},
        "PACKAGING": {"started_at": "2026-11-23T10:01:02.500Z",
                      "ended_at": "2026-11-23T10:01:05.000Z", "outcome": "encoded"},
    }, duration_s=90.0)
    record_job_end(job, "encoded")
    (document,) = emf_lines(capsys.readouterr().out)
    assert_valid_emf(document)
    assert (document["service"], document["outcome"]) == ("notflix-encoder", "encoded")
    assert document["EncodeSucceeded"] == [1.0]
    assert "EncodeFailed" not in document and "EncodeCancelled" not in document
    assert document["EncodeDuration"] == [65.0]
    assert (document["ProbeDuration"], document["TranscodeDuration"],
            document["PackageDuration"]) == ([2.5], [60.0], [2.5])
    assert document["EncodedSourceMinutes"] == [1.5]
    assert "job-1" not in json.dumps(document) and "user-secret-id" not in json.dumps(document)


def test_a_failed_encode_counts_as_failed_with_the_stages_it_ran(
        capsys: pytest.CaptureFixture[str]) -> None:
    job = ended_job("FAILED", "failed", {
        "PROBING": {"started_at": "2026-11-23T10:00:00.000Z",
                    "ended_at": "2026-11-23T10:00:01.000Z", "outcome": "failed"}},
        duration_s=None)
    record_job_end(job, "failed")
    (document,) = emf_lines(capsys.readouterr().out)
    assert (document["outcome"], document["EncodeFailed"]) == ("failed", [1.0])
    assert document["EncodeDuration"] == [1.0] and document["ProbeDuration"] == [1.0]
    assert "EncodedSourceMinutes" not in document and "TranscodeDuration" not in document


def test_a_job_cancelled_before_it_ran_counts_without_durations(
        capsys: pytest.CaptureFixture[str]) -> None:
    record_job_end(ended_job("CANCELLED", "superseded", {}), "superseded")
    (document,) = emf_lines(capsys.readouterr().out)
    assert (document["outcome"], document["EncodeCancelled"]) == ("superseded", [1.0])
    assert "EncodeDuration" not in document


def test_a_linked_upload_is_a_success_without_encoded_minutes(
        capsys: pytest.CaptureFixture[str]) -> None:
    job = ended_job("PUBLISHED", "linked", {
        "PROBING": {"started_at": "2026-11-23T10:00:00.000Z",
                    "ended_at": "2026-11-23T10:00:03.000Z", "outcome": "linked"}},
        duration_s=90.0)
    record_job_end(job, "linked")
    (document,) = emf_lines(capsys.readouterr().out)
    assert (document["outcome"], document["EncodeSucceeded"]) == ("linked", [1.0])
    assert "EncodedSourceMinutes" not in document


def test_a_worker_batch_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.record_worker("graph_sync", processed=8, failed=2)
    (document,) = emf_lines(capsys.readouterr().out)
    assert_valid_emf(document)
    assert (document["worker"], document["WorkerProcessed"], document["WorkerFailed"]) == (
        "graph_sync", [8.0], [2.0])
