"""Requests fail fast on a silent AWS endpoint; work run by hand waits longer."""

from __future__ import annotations

import boto3

from chalicelib.platform.aws import make_client
from chalicelib.platform.config import Settings
from localcloud.cli.shared import BATCH_READ_TIMEOUT_SECONDS, batch_settings
from localcloud.stack import EmbeddedStack

ENV = {"NOTFLIX_TARGET": "embedded", "NOTFLIX_PREFIX": "nf-unit"}


def test_clients_take_the_configured_read_timeout() -> None:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x")
    default = make_client(session, Settings.from_env(ENV), "dynamodb")
    assert default.meta.config.read_timeout == 5
    assert default.meta.config.retries["total_max_attempts"] == 2
    slow = make_client(session, Settings.from_env(
        {**ENV, "NOTFLIX_AWS_READ_TIMEOUT_SECONDS": "30"}), "s3")
    assert slow.meta.config.read_timeout == 30
    assert slow.meta.config.signature_version == "s3v4"


def test_hand_run_work_waits_longer_than_requests() -> None:
    settings = batch_settings(EmbeddedStack(env=ENV, record_pids=False))
    assert settings.aws_read_timeout_s == BATCH_READ_TIMEOUT_SECONDS > 5
