"""`chalice package` turns the app into CloudFormation (SAM) and Terraform that say what
`.chalice/config.json` means, and every CloudFormation template in the repository passes
cfn-lint.

Packaging takes a few seconds per format: each runs once for the module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.template import TEMPLATE_PATH, load_template
from localcloud.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent
STAGE_NAME = "dev"
CONFIG = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
STAGE = CONFIG["stages"][STAGE_NAME]
API = "api_handler"
#: Where CloudFormation templates may live; `.venv`, `node_modules` and `.local` are not ours.
TEMPLATE_DIRS = ("infra", "localstack", "encoder_lambda", "bench", "localcloud")
KNOWN_TEMPLATES = {"infra/template.yaml", "infra/encoder.yaml", "infra/alarms.yaml"}


def package(pkg_format: str, out: Path) -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run([str(BIN / "chalice"), "package", "--pkg-format", pkg_format,
                    "--stage", STAGE_NAME, str(out)], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def cloudformation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield package("cloudformation", tmp_path_factory.mktemp("cloudformation"))


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield package("terraform", tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="module")
def sam(cloudformation: Path) -> dict[str, Any]:
    loaded = json.loads((cloudformation / "sam.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def tf(terraform: Path) -> dict[str, Any]:
    loaded = json.loads((terraform / "chalice.tf.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


# --- what config.json and app.py say -----------------------------------------------------------

@cache
def app_functions() -> dict[str, Any]:
    """Function name -> its Chalice event source config (None for the API handler)."""
    import app

    return {API: None, **{source.name: source for source in app.app.event_sources}}


def setting(function: str, key: str) -> Any:
    """A per-function value as Chalice looks it up (stage function, stage, function, top)."""
    for scope in (STAGE.get("lambda_functions", {}).get(function, {}), STAGE,
                  CONFIG.get("lambda_functions", {}).get(function, {}), CONFIG):
        if scope.get(key) is not None:
            return scope[key]
    return None


def policy_document(function: str) -> dict[str, Any]:
    loaded = json.loads((PROJECT_ROOT / ".chalice" / setting(function, "iam_policy_file"))
                        .read_text())
    assert isinstance(loaded, dict)
    return loaded


def camel(name: str) -> str:
    return "APIHandler" if name == API else "".join(p.title() for p in name.split("_"))


def queue_visibility() -> dict[str, int]:
    """Queue name (prefix resolved for the stage) -> VisibilityTimeout in infra/template.yaml.

    A timeout given by a parameter (`!Ref EncoderTimeoutSeconds`) counts as the lowest value
    the parameter allows: the check must hold however the stack is deployed.
    """
    prefix = STAGE["environment_variables"]["NOTFLIX_PREFIX"]
    template = load_template()
    found = {}
    for res in template["Resources"].values():
        if res["Type"] == "AWS::SQS::Queue":
            name = res["Properties"]["QueueName"]["Fn::Sub"].replace("${ResourcePrefix}", prefix)
            visibility = res["Properties"].get("VisibilityTimeout", 30)
            if isinstance(visibility, dict):
                parameter = template["Parameters"][visibility["Ref"]]
                visibility = parameter.get("MinValue", parameter["Default"])
            found[name] = int(visibility)
    return found


def stage_queue(source: Any) -> str:
    """The queue a handler consumes in the stage (this process imported app.py locally)."""
    import app

    prefix = STAGE["environment_variables"]["NOTFLIX_PREFIX"]
    return f"{prefix}{source.queue.removeprefix(app.settings.resource_prefix)}"


def cron(source: Any) -> str:
    """A schedule handler's expression, e.g. `cron(0 9 * * ? *)`."""
    expression = source.schedule_expression
    return str(expression.to_string() if hasattr(expression, "to_string") else expression)


# --- CloudFormation ----------------------------------------------------------------------------

def test_cloudformation_has_every_function_with_its_config(sam: dict[str, Any],
                                                           cloudformation: Path) -> None:
    resources = sam["Resources"]
    functions = {k: v["Properties"] for k, v in resources.items()
                 if v["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {camel(f) for f in app_functions()}
    for name in app_functions():
        props = functions[camel(name)]
        # the API is app.py's `app`; each worker is its function in chalicelib/routes/workers.py
        assert props["Handler"] == ("app.app" if name == API
                                    else f"chalicelib.routes.workers.{name}")
        assert props["Timeout"] == setting(name, "lambda_timeout")
        assert props["MemorySize"] == setting(name, "lambda_memory_size")
        assert props["Environment"]["Variables"] == STAGE["environment_variables"]
        role = props["Role"]["Fn::GetAtt"][0]
        (policy,) = resources[role]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == policy_document(name)
    assert (cloudformation / "deployment.zip").stat().st_size > 0
    assert "EndpointURL" in sam["Outputs"]


def test_cloudformation_wires_each_queue_and_schedule(sam: dict[str, Any]) -> None:
    visibility = queue_visibility()
    for name, source in app_functions().items():
        if source is None:
            continue
        props = sam["Resources"][camel(name)]["Properties"]
        (event,) = props["Events"].values()
        if hasattr(source, "queue"):
            assert event["Type"] == "SQS"
            assert event["Properties"]["Queue"]["Fn::Sub"].endswith(f":{stage_queue(source)}")
            assert event["Properties"]["BatchSize"] == source.batch_size
            # Lambda refuses a mapping from a queue whose visibility timeout is shorter.
            assert props["Timeout"] <= visibility[stage_queue(source)], name
        else:
            assert event == {"Type": "Schedule", "Properties": {"Schedule": cron(source)}}


# --- Terraform ---------------------------------------------------------------------------------

REFERENCE = re.compile(r"\$\{(data\.)?(aws_[a-z_]+|null_data_source)\.([A-Za-z0-9_-]+)\.")


def references(value: Any) -> Iterator[tuple[str, str, str]]:
    """("resource" or "data", type, name) for each `${type.name.attr}` in a value."""
    text = json.dumps(value)
    for data, kind, name in REFERENCE.findall(text):
        yield ("data" if data else "resource"), kind, name


def test_terraform_has_every_function_with_its_role_and_policy(tf: dict[str, Any],
                                                               terraform: Path) -> None:
    resources = tf["resource"]
    functions = resources["aws_lambda_function"]
    assert set(functions) == set(app_functions())
    prefix = f"{CONFIG['app_name']}-{STAGE_NAME}"
    for name, fn in functions.items():
        assert fn["function_name"] == (prefix if name == API else f"{prefix}-{name}")
        assert fn["handler"] == ("app.app" if name == API
                                 else f"chalicelib.routes.workers.{name}")
        assert fn["runtime"] == "python3.11"
        assert fn["timeout"] == setting(name, "lambda_timeout")
        assert fn["memory_size"] == setting(name, "lambda_memory_size")
        assert fn["environment"]["variables"] == STAGE["environment_variables"]
        assert fn["filename"] == "${path.module}/deployment.zip"
        role = f"{name}_role"
        assert fn["role"] == f"${{aws_iam_role.{role}.arn}}"
        assume = json.loads(resources["aws_iam_role"][role]["assume_role_policy"])
        assert assume["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
        attached = resources["aws_iam_role_policy"][role]
        assert attached["role"] == f"${{aws_iam_role.{role}.id}}"
        assert json.loads(attached["policy"]) == policy_document(name)
    assert (terraform / "deployment.zip").stat().st_size > 0
    assert set(tf["output"]) >= {"EndpointURL", "RestAPIId"}


def test_terraform_wires_each_queue_and_schedule(tf: dict[str, Any]) -> None:
    resources = tf["resource"]
    mappings = resources["aws_lambda_event_source_mapping"]
    rules = resources["aws_cloudwatch_event_rule"]
    visibility = queue_visibility()
    for name, source in app_functions().items():
        if source is None:
            continue
        if hasattr(source, "queue"):
            mapping = mappings[f"{name}-sqs-event-source"]
            assert mapping["event_source_arn"].endswith(f":{stage_queue(source)}")
            assert mapping["batch_size"] == source.batch_size
            assert mapping["function_name"] == f"${{aws_lambda_function.{name}.arn}}"
            timeout = resources["aws_lambda_function"][name]["timeout"]
            assert timeout <= visibility[stage_queue(source)], name
        else:
            assert rules[f"{name}-event"]["schedule_expression"] == cron(source)
            target = resources["aws_cloudwatch_event_target"][f"{name}-event"]
            assert target["arn"] == f"${{aws_lambda_function.{name}.arn}}"
            assert f"{name}-event" in resources["aws_lambda_permission"]
    assert len(mappings) + len(rules) == len(app_functions()) - 1


def test_terraform_references_only_what_it_defines(tf: dict[str, Any]) -> None:
    """What `terraform validate` would catch first, without downloading the AWS provider."""
    for scope, kind, name in references(tf):
        defined = tf[scope].get(kind, {})
        assert name in defined, f"{scope}.{kind}.{name} is referenced but not defined"
    # Chalice 1.34 pins Terraform below 1.4 and the AWS provider below 5 (see the README).
    assert set(tf["terraform"]["required_providers"]) == {"aws", "null"}


# --- cfn-lint on every CloudFormation template --------------------------------------------------

def is_cloudformation(path: Path) -> bool:
    text = path.read_text(errors="replace")
    return "AWSTemplateFormatVersion" in text or bool(
        re.search(r"^Resources:\s*$", text, re.MULTILINE)) or (
        path.suffix == ".json" and '"Resources"' in text and '"Type": "AWS::' in text)


def repository_templates() -> list[Path]:
    found = []
    for folder in TEMPLATE_DIRS:
        for pattern in ("*.yaml", "*.yml", "*.json", "*.template"):
            found += [p for p in (PROJECT_ROOT / folder).rglob(pattern) if is_cloudformation(p)]
    return sorted(found)


def test_the_known_templates_are_found() -> None:
    found = {str(p.relative_to(PROJECT_ROOT)) for p in repository_templates()}
    assert found >= KNOWN_TEMPLATES
    assert TEMPLATE_PATH in repository_templates()


def test_cfn_lint_passes_every_template(cloudformation: Path) -> None:
    """infra/template.yaml, infra/encoder.yaml, any other in the repository, and sam.json."""
    templates = [*repository_templates(), cloudformation / "sam.json"]
    lint = subprocess.run([str(BIN / "cfn-lint"), *map(str, templates)], capture_output=True,
                          text=True, timeout=600)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert lint.stdout.strip() == ""
