"""Metrics from the real paths: the API under `chalice local`, PayPal webhooks and encodes.

In-process work is read from stdout (capsys); the API's lines from its log file, which
receives each request's EMF line before the response leaves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.jobs.models import JOB_MODELS
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.errors import AppError
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from encoder_lambda.jobs import JobStore
from encoder_lambda.pipeline import Pipeline
from encoder_lambda.s3_events import Upload
from localcloud import paths
from localcloud.paypal_sim.server import FakePayPal, signed_delivery
from tests.media_clips import clip
from tests.support import unique

pytestmark = pytest.mark.integration


def emf(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def api_metrics() -> list[dict[str, Any]]:
    log = paths.logs_dir() / "api.log"
    return emf(log.read_text(errors="replace")) if log.is_file() else []


def test_the_local_api_counts_requests_under_their_route_template(api_url: str) -> None:
    title_id = f"tt{unique()}"
    before = len(api_metrics())
    response = httpx.get(f"{api_url}/api/titles/{title_id}", timeout=20)
    assert response.status_code == 404
    (document,) = api_metrics()[before:]
    assert (document["route"], document["method"]) == ("/api/titles/{title_id}", "GET")
    assert (document["Requests"], document["ClientErrors"], document["Errors"]) == (
        [1.0], [1.0], [0.0])
    assert title_id not in json.dumps(document)


def test_ingest_webhook_refusals_are_counted(api_url: str) -> None:
    before = len(api_metrics())
    forged = httpx.post(f"{api_url}/webhooks/ingest", json={"actor": "x", "key": "k"},
                        headers={"X-Notflix-Webhook": "no-such-hook",
                                 "X-Notflix-Timestamp": "1", "X-Notflix-Signature": "sha256=0"},
                        timeout=20)
    assert forged.status_code == 401  # an unknown hook: unverified
    outcomes = [(d["source"], d["outcome"]) for d in api_metrics()[before:] if "source" in d]
    assert outcomes == [("ingest", "rejected_signature")]


def paypal_event(event_type: str) -> dict[str, Any]:
    return {"id": f"WH-{unique()}", "event_version": "1.0", "event_type": event_type,
            "resource_type": "checkout-order", "resource": {"id": f"O-{unique()}"}}


def test_paypal_deliveries_are_counted_by_outcome_and_a_replay_is_a_duplicate(
        catalogue_services: Services, fake_paypal: FakePayPal,
        capsys: pytest.CaptureFixture[str]) -> None:
    payments = catalogue_services.payments
    body, headers = signed_delivery(paypal_event("CHECKOUT.ORDER.APPROVED"),
                                    webhook_id=fake_paypal.webhook_id,
                                    cert_url=fake_paypal.cert_url, pki=fake_paypal.pki)
    capsys.readouterr()
    assert payments.receive_webhook(headers, body) == "ignored"
    assert payments.receive_webhook(headers, body) == "ignored"  # delivered again
    with pytest.raises(AppError):
        payments.receive_webhook(headers, body.replace(b"APPROVED", b"REJECTED"))
    documents = emf(capsys.readouterr().out)
    assert [(d["source"], d["outcome"]) for d in documents] == [
        ("paypal", "ignored"), ("paypal", "duplicate"), ("paypal", "rejected_signature")]
    assert all(d["WebhookOutcome"] == [1.0] for d in documents)


def upload(resources: Resources, path: Path, key: str) -> Upload:
    bucket = resources.settings.uploads_bucket
    resources.s3.upload_file(str(path), bucket, key)
    head = resources.s3.head_object(Bucket=bucket, Key=key)
    return Upload(bucket=bucket, key=key, size=head["ContentLength"], etag=head["ETag"],
                  event_name="ObjectCreated:Put", event_time="", sequencer="")


def test_encodes_report_their_end_durations_and_minutes(
        resources: Resources, catalogue_services: Services, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bind_models(resources.settings, JOB_MODELS)
    settings = resources.settings
    pipeline = Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                        JobStore(lease_seconds=1.0), attach_asset, preset="ultrafast")
    film = upload(resources, clip(tmp_path / "film.mp4", seconds=3), f"uploads/{unique()}.mp4")
    sound = upload(resources, clip(tmp_path / "sound.m4a", video=False),
                   f"uploads/{unique()}.m4a")
    capsys.readouterr()
    assert pipeline.process(film) == "PUBLISHED"
    assert pipeline.process(sound) == "FAILED"
    assert pipeline.process(film) == "PUBLISHED"  # redelivered: already final, not counted
    published, failed = emf(capsys.readouterr().out)
    assert (published["service"], published["outcome"]) == ("notflix-encoder", "encoded")
    assert published["EncodeSucceeded"] == [1.0]
    stages = [published[m][0] for m in ("ProbeDuration", "TranscodeDuration",
                                         "PackageDuration")]
    assert all(s >= 0 for s in stages) and published["TranscodeDuration"][0] > 0
    assert published["EncodeDuration"][0] == pytest.approx(sum(stages), abs=0.01)
    assert published["EncodedSourceMinutes"][0] == pytest.approx(3 / 60, rel=0.1)
    assert (failed["outcome"], failed["EncodeFailed"]) == ("failed", [1.0])
    assert "EncodedSourceMinutes" not in failed
