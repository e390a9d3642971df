"""`make deploy` (infra/deploy_aws.py): refuses clearly before touching AWS, checks everything
in a dry run (what `make deploy-check` runs), and deploys in order: data plane, app, encoder,
alarms.

The AWS steps are replaced by recorders here; the dry run packages and lints for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from infra import deploy_aws
from infra.deploy_aws import DeployRefused, Options, Steps, load_stage, run
from localcloud.paths import PROJECT_ROOT

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/notflix-encoder@sha256:" + "a" * 64
NO_CREDENTIALS_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/tmp"),
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def never(*_args: Any) -> Any:
    raise AssertionError("AWS was touched")


class Recorder:
    """Steps that record their order; AWS-touching ones answer like AWS would."""

    def __init__(self, fail_at: str | None = None) -> None:
        self.calls: list[str] = []
        self.fail_at = fail_at

    def step(self, name: str, result: Any) -> Callable[..., Any]:
        def call(*_args: Any) -> Any:
            self.calls.append(name)
            if name == self.fail_at:
                raise RuntimeError(f"{name} failed")
            return result
        return call

    def steps(self, tmp_path: Path) -> Steps:
        class Session:
            region_name = "eu-west-1"

        return Steps(
            session=self.step("session", Session()),
            account=self.step("account", "111122223333"),
            secrets=self.step("secrets", {"NOTFLIX_NEO4J_PASSWORD": "s3cret-value"}),
            data_plane=self.step("data_plane", {"UploadsBucketName": "notflix-dev-uploads"}),
            app=self.step("app", "https://abc.execute-api.eu-west-1.amazonaws.com/api/"),
            encoder=self.step("encoder", {}),
            alarms=self.step("alarms", {"AlertsTopicArn": "arn:aws:sns:eu-west-1:1:t"}),
            package=self.step("package", tmp_path / "sam.json"),
            lint=self.step("lint", None),
            app_config=self.step("app_config", ["api_handler"]),
        )


# --- refusals -----------------------------------------------------------------------------------

def test_without_credentials_it_refuses_before_doing_anything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "infra.deploy_aws", "--region", "eu-west-1",
                             "--out", str(out)], cwd=PROJECT_ROOT, env=NO_CREDENTIALS_ENV,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == deploy_aws.EXIT_REFUSED
    assert "deploy refused: no AWS credentials" in result.stderr
    assert "make deploy-check" in result.stderr
    assert not out.exists()  # nothing packaged, nothing deployed


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # -o: never re-run the set-up (pip) from a test, even when pyproject.toml is newer.
    return subprocess.run(["make", "-s", "-o", ".venv/.installed", *args], cwd=PROJECT_ROOT,
                          env=NO_CREDENTIALS_ENV, capture_output=True, text=True, timeout=600)


def test_make_deploy_passes_its_variables_and_refuses_without_credentials() -> None:
    variables = ["STAGE=dev", "REGION=eu-west-1", f"ENCODER_IMAGE_URI={IMAGE}",
                 "PREFIX=notflix-dev", "ENCODER_CONCURRENCY=7", "ALERT_EMAIL=ops@example.com"]
    command = make("-n", "deploy", *variables).stdout.split()
    assert command[:3] == [".venv/bin/python", "-m", "infra.deploy_aws"]
    assert deploy_aws.parse_args(command[3:]) == Options(
        stage="dev", region="eu-west-1", prefix="notflix-dev", encoder_image=IMAGE,
        encoder_concurrency=7, alert_email="ops@example.com")
    assert "--dry-run" in make("-n", "deploy-check").stdout.split()
    assert "--dry-run" in make("-n", "deploy", "DRY_RUN=1").stdout.split()
    result = make("deploy", *variables)
    assert result.returncode != 0
    assert "deploy refused: no AWS credentials" in result.stderr


@pytest.mark.parametrize(("options", "message"), [
    (Options(stage="prod"), "stage 'prod' is not in config.json"),
    (Options(stage="local"), "does not set NOTFLIX_TARGET=aws"),
    (Options(prefix="someone-else"), "its IAM policies name notflix-dev-* resources"),
    (Options(encoder_image="notflix-encoder:latest"), "is not an ECR image URI"),
    (Options(encoder_concurrency=1), "ENCODER_CONCURRENCY must be between 2 and 1000"),
])
def test_bad_options_are_refused_with_a_reason(options: Options, message: str) -> None:
    with pytest.raises(DeployRefused, match=message.replace("*", r"\*")):
        load_stage(options)


def test_a_stage_with_an_autogenerated_policy_is_refused(tmp_path: Path) -> None:
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["dev"]["autogen_policy"] = True
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(DeployRefused, match="autogen_policy false"):
        load_stage(Options(), path)


def test_the_stage_gives_prefix_environment_and_workers() -> None:
    stage = load_stage(Options(prefix="notflix-dev", encoder_image=IMAGE))
    assert stage.prefix == "notflix-dev"
    assert stage.environment["NOTFLIX_TARGET"] == "aws"
    assert "sync_graph" in stage.functions


# --- the order of the steps ---------------------------------------------------------------------

def test_it_checks_then_deploys_data_plane_app_and_encoder_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()
    url = run(Options(encoder_image=IMAGE, out_dir=tmp_path), recorder.steps(tmp_path))
    assert recorder.calls == ["session", "account", "app_config", "package", "lint",
                              "data_plane", "secrets", "app", "encoder", "alarms"]
    printed = capsys.readouterr().out
    assert url in printed and url.startswith("https://")
    assert "NOTFLIX_NEO4J_PASSWORD" in printed
    assert "s3cret-value" not in printed  # names only, never values


def test_without_an_image_the_encoder_stack_is_skipped(tmp_path: Path) -> None:
    recorder = Recorder()
    run(Options(out_dir=tmp_path), recorder.steps(tmp_path))
    assert "encoder" not in recorder.calls and recorder.calls[-2:] == ["app", "alarms"]


def test_a_failed_step_stops_the_ones_after_it(tmp_path: Path) -> None:
    recorder = Recorder(fail_at="data_plane")
    with pytest.raises(RuntimeError, match="data_plane failed"):
        run(Options(encoder_image=IMAGE, out_dir=tmp_path), recorder.steps(tmp_path))
    assert recorder.calls[-1] == "data_plane"


def test_a_lint_failure_stops_before_aws_changes(tmp_path: Path) -> None:
    recorder = Recorder(fail_at="lint")
    with pytest.raises(RuntimeError):
        run(Options(out_dir=tmp_path), recorder.steps(tmp_path))
    assert "data_plane" not in recorder.calls


# --- secrets ------------------------------------------------------------------------------------

class FakeSsm:
    def __init__(self, parameters: list[dict[str, str]]) -> None:
        self.parameters = parameters
        self.asked: dict[str, Any] = {}

    def get_paginator(self, name: str) -> FakeSsm:
        assert name == "get_parameters_by_path"
        return self

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.asked = kwargs
        yield {"Parameters": self.parameters[:1]}
        yield {"Parameters": self.parameters[1:]}


class FakeSession:
    def __init__(self, ssm: FakeSsm) -> None:
        self.ssm = ssm

    def client(self, service: str) -> FakeSsm:
        assert service == "ssm"
        return self.ssm


def test_secrets_are_the_notflix_settings_under_the_prefix() -> None:
    ssm = FakeSsm([{"Name": "/notflix-dev/NOTFLIX_NEO4J_PASSWORD", "Value": "pw"},
                   {"Name": "/notflix-dev/NOTFLIX_PAYPAL_CLIENT_SECRET", "Value": "ps"},
                   {"Name": "/notflix-dev/NOTFLIX_PREFIX", "Value": "hijack"},
                   {"Name": "/notflix-dev/NOTFLIX_MAIL_FROM", "Value": "x@elsewhere.example"},
                   {"Name": "/notflix-dev/OTHER", "Value": "ignored"}])
    found = deploy_aws.stage_secrets(FakeSession(ssm), "notflix-dev")
    assert found == {"NOTFLIX_NEO4J_PASSWORD": "pw", "NOTFLIX_PAYPAL_CLIENT_SECRET": "ps"}
    assert ssm.asked == {"Path": "/notflix-dev/", "Recursive": False, "WithDecryption": True}


def test_chalice_gets_the_secrets_for_every_function_and_keeps_the_stage_settings() -> None:
    stage = load_stage(Options())
    _factory, config = deploy_aws.chalice_config(
        stage, {"NOTFLIX_NEO4J_PASSWORD": "pw", "NOTFLIX_TARGET": "embedded"})
    for function in ("api_handler", *stage.functions):
        env: Mapping[str, str] = config.scope("dev", function).environment_variables
        assert env["NOTFLIX_NEO4J_PASSWORD"] == "pw"
        assert env["NOTFLIX_TARGET"] == "aws"
        assert env["NOTFLIX_PREFIX"] == stage.prefix
    assert deploy_aws.check_app_config(stage) == [
        "api_handler", "send_reset_mails", "run_catalogue_import", "daily_tmdb_import",
        "similar_titles", "sync_graph", "retention_cleanup", "encode_watchdog"]


# --- the dry run (make deploy-check) ------------------------------------------------------------

def test_the_dry_run_packages_and_lints_without_touching_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    steps = Steps(session=never, account=never, secrets=never, data_plane=never, app=never,
                  encoder=never, alarms=never)
    assert run(Options(dry_run=True, encoder_image=IMAGE, out_dir=tmp_path), steps) == ""
    sam = json.loads((tmp_path / "dev" / "cloudformation" / "sam.json").read_text())
    assert "APIHandler" in sam["Resources"]
    printed = capsys.readouterr().out
    assert "templates lint clean" in printed
    assert "stack notflix-dev from infra/template.yaml" in printed
    assert f"ImageUri={IMAGE}" in printed


def test_a_lint_error_is_a_refusal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n"
                   "    Type: AWS::SQS::Queue\n    Properties:\n      Nope: 1\n")
    with pytest.raises(DeployRefused, match="cfn-lint failed"):
        deploy_aws.lint([bad])


def lint_args(recorded: list[Sequence[Path]]) -> Callable[[Sequence[Path]], None]:
    return lambda paths: recorded.append(paths)


def test_every_template_is_linted(tmp_path: Path) -> None:
    recorded: list[Sequence[Path]] = []
    steps = Steps(session=never, account=never, secrets=never, data_plane=never, app=never,
                  encoder=never, alarms=never, package=lambda *_: tmp_path / "sam.json",
                  lint=lint_args(recorded), app_config=lambda *_: [])
    run(Options(dry_run=True, out_dir=tmp_path), steps)
    assert recorded == [[deploy_aws.TEMPLATE, deploy_aws.ENCODER_TEMPLATE,
                         deploy_aws.ALARMS_TEMPLATE, tmp_path / "sam.json"]]
