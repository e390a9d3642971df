"""`make deploy`: check, then deploy Notflix to AWS in order; `make deploy-check` stops after
the checks and touches nothing in AWS.

1. Checks (both modes): the Chalice stage exists and targets AWS; cfn-lint passes
   infra/template.yaml, infra/encoder.yaml, infra/alarms.yaml and the app as
   `chalice package` renders it.
2. Refusals before anything is created: no AWS credentials (or ones STS rejects), no region,
   a prefix other than the stage's, an encoder image URI CloudFormation would reject.
3. The data plane stack (infra/template.yaml, stack and resource prefix = the stage's
   NOTFLIX_PREFIX), then `chalice deploy` of the stage with the secrets read from SSM
   Parameter Store (and API Gateway's own error answers replaced by
   infra/gateway_responses.yaml), then the encoder stack (infra/encoder.yaml) when an image
   URI is given,
   then the alarms stack (infra/alarms.yaml: an SNS topic, mailed to ALERT_EMAIL if given).
   Prints the API's URL.

Secrets: every SecureString (or String) parameter under `/<prefix>/` whose name is a NOTFLIX_
setting (e.g. `/notflix-dev/NOTFLIX_NEO4J_PASSWORD`) becomes that environment variable of the
stage's functions; names are printed, values never. Nothing secret goes in config.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.paths import PROJECT_ROOT

CHALICE_CONFIG = PROJECT_ROOT / ".chalice" / "config.json"
TEMPLATE = PROJECT_ROOT / "infra" / "template.yaml"
ENCODER_TEMPLATE = PROJECT_ROOT / "infra" / "encoder.yaml"
ALARMS_TEMPLATE = PROJECT_ROOT / "infra" / "alarms.yaml"
BIN = Path(sys.executable).parent
#: Set by config.json per stage; a parameter under /<prefix>/ may not override them (the
#: stacks, the policies and the SES identity and its policy condition are made from them).
FIXED_SETTINGS = frozenset({"NOTFLIX_TARGET", "NOTFLIX_PREFIX", "NOTFLIX_MAIL_FROM"})
SETTING_NAME = re.compile(r"^NOTFLIX_[A-Z0-9_]+$")
IMAGE_URI = re.compile(r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+"
                       r"(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$")
EXIT_REFUSED = 2
EXIT_FAILED = 1


class DeployRefused(Exception):
    """Nothing was deployed: the message says what is missing or wrong."""


@dataclass(frozen=True)
class Options:
    stage: str = "dev"
    region: str | None = None
    prefix: str | None = None
    encoder_image: str | None = None
    encoder_concurrency: int = 5
    alert_email: str | None = None
    dry_run: bool = False
    out_dir: Path = PROJECT_ROOT / ".local" / "deploy"


@dataclass(frozen=True)
class Stage:
    name: str
    prefix: str
    environment: dict[str, str]
    functions: tuple[str, ...] = field(default_factory=tuple)


def say(message: str) -> None:
    print(message, flush=True)


# --- checks that need no AWS --------------------------------------------------------------------

def load_stage(options: Options, config_path: Path = CHALICE_CONFIG) -> Stage:
    config = json.loads(config_path.read_text())
    stages = config.get("stages", {})
    if options.stage not in stages:
        raise DeployRefused(f"stage {options.stage!r} is not in {config_path.name} (stages: "
                            f"{', '.join(sorted(stages))}); add it with its own policy files")
    stage = stages[options.stage]
    env = dict(stage.get("environment_variables", {}))
    if env.get("NOTFLIX_TARGET") != "aws":
        raise DeployRefused(f"stage {options.stage!r} does not set NOTFLIX_TARGET=aws in "
                            f"{config_path.name}; it is not an AWS stage")
    prefix = env.get("NOTFLIX_PREFIX", "")
    if not prefix:
        raise DeployRefused(f"stage {options.stage!r} sets no NOTFLIX_PREFIX")
    if options.prefix and options.prefix != prefix:
        raise DeployRefused(
            f"PREFIX={options.prefix} but stage {options.stage!r} uses {prefix}: its IAM "
            f"policies name {prefix}-* resources. Deploy another prefix as another stage.")
    if stage.get("autogen_policy") is not False:
        raise DeployRefused(f"stage {options.stage!r} must set autogen_policy false (the "
                            "checked least-privilege policy files, not Chalice's guess)")
    if options.encoder_image and not IMAGE_URI.match(options.encoder_image):
        raise DeployRefused(f"ENCODER_IMAGE_URI {options.encoder_image!r} is not an ECR image "
                            "URI (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> or "
                            "@sha256:<digest>)")
    if not 2 <= options.encoder_concurrency <= 1000:
        raise DeployRefused("ENCODER_CONCURRENCY must be between 2 and 1000")
    return Stage(options.stage, prefix, env, tuple(stage.get("lambda_functions", {})))


def run_tool(args: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(list(args), cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env=dict(env) if env is not None else None, timeout=900)
    if result.returncode != 0:
        raise DeployRefused(f"{Path(args[0]).name} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def package(stage: Stage, region: str, out_dir: Path) -> Path:
    """`chalice package` (CloudFormation) of the stage, as a check and a reviewable artefact."""
    target = out_dir / stage.name / "cloudformation"
    run_tool([str(BIN / "chalice"), "package", "--pkg-format", "cloudformation",
              "--stage", stage.name, str(target)],
             env={**os.environ, "AWS_DEFAULT_REGION": region})
    return target / "sam.json"


def lint(templates: Sequence[Path]) -> None:
    run_tool([str(BIN / "cfn-lint"), *map(str, templates)])


# --- AWS ----------------------------------------------------------------------------------------

def aws_session(region: str | None) -> Any:
    import boto3

    return boto3.Session(region_name=region) if region else boto3.Session()


def resolve_region(options: Options, session: Any) -> str:
    region = options.region or session.region_name
    if not region:
        raise DeployRefused("no AWS region: pass REGION=... (or set AWS_REGION / a profile's "
                            "region)")
    return str(region)


def caller_account(session: Any) -> str:
    """The account the credentials belong to; refuses when there are none or STS says no."""
    from botocore.exceptions import BotoCoreError, ClientError

    if session.get_credentials() is None:
        raise DeployRefused("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                            "AWS_SECRET_ACCESS_KEY (or run `aws configure`/`aws sso login`); "
                            "`make deploy-check` checks everything without them")
    try:
        # STS answers in every region; us-east-1 when none is set yet (checked next).
        identity = session.client("sts", region_name=session.region_name or "us-east-1"
                                  ).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise DeployRefused(f"AWS rejected the credentials: {exc}") from exc
    return str(identity["Account"])


def stage_secrets(session: Any, prefix: str) -> dict[str, str]:
    """NOTFLIX_* values stored under /<prefix>/ in SSM Parameter Store (decrypted)."""
    ssm = session.client("ssm")
    found: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/{prefix}/", Recursive=False, WithDecryption=True):
        for parameter in page.get("Parameters", []):
            name = str(parameter["Name"]).rsplit("/", 1)[-1]
            if SETTING_NAME.match(name) and name not in FIXED_SETTINGS:
                found[name] = str(parameter["Value"])
    return found


def deploy_data_plane(stage: Stage, region: str, session: Any) -> dict[str, str]:
    from chalicelib.platform.config import Settings
    from infra.deployer import deploy

    settings = Settings.from_env({**stage.environment, "AWS_REGION": region})
    return deploy(settings, session, progress=lambda _d, _t, what: say(f"  {what}")
                  if what.endswith(("deployed", "up to date")) else None)


def deploy_encoder(stage: Stage, region: str, session: Any, image: str,
                   concurrency: int) -> dict[str, str]:
    from chalicelib.platform.config import Settings
    from infra.deployer import deploy

    settings = Settings.from_env({**stage.environment, "AWS_REGION": region})
    return deploy(settings, session, template_path=ENCODER_TEMPLATE,
                  stack_name=f"{stage.prefix}-encoder",
                  parameters={"ImageUri": image, "ReservedConcurrency": str(concurrency),
                              "TaskConcurrency": str(max(2, concurrency - 2))},
                  progress=lambda _d, _t, what: say(f"  {what}")
                  if what.endswith(("deployed", "up to date")) else None)


def deploy_alarms(stage: Stage, region: str, session: Any,
                  alert_email: str | None) -> dict[str, str]:
    from chalicelib.platform.config import Settings
    from infra.deployer import deploy

    settings = Settings.from_env({**stage.environment, "AWS_REGION": region})
    return deploy(settings, session, template_path=ALARMS_TEMPLATE,
                  stack_name=f"{stage.prefix}-alarms",
                  parameters={"AlertEmail": alert_email or ""},
                  progress=lambda _d, _t, what: say(f"  {what}")
                  if what.endswith(("deployed", "up to date")) else None)


def chalice_config(stage: Stage, secrets: Mapping[str, str]) -> tuple[Any, Any]:
    """Chalice's own configuration object for the stage, with the secrets added to every
    function's environment (they override nothing config.json sets)."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(project_dir=str(PROJECT_ROOT))
    merged = {**secrets, **stage.environment}
    return factory, factory.create_config_obj(
        chalice_stage_name=stage.name,
        user_provided_params={"environment_variables": merged})


def check_app_config(stage: Stage) -> list[str]:
    """What `deploy_app` hands Chalice, checked with a stand-in secret: every function gets
    the stage's environment plus the secrets, and its own policy file. Its function names."""
    probe = "NOTFLIX_DEPLOY_CHECK"
    _factory, config = chalice_config(stage, {probe: "x"})
    import app

    names = ["api_handler", *(source.name for source in app.app.event_sources)]
    for name in names:
        scoped = config.scope(stage.name, name)
        env = scoped.environment_variables
        if env.get(probe) != "x" or any(env.get(k) != v for k, v in stage.environment.items()):
            raise DeployRefused(f"Chalice would not give {name} the stage's environment")
        if name in stage.functions and not scoped.iam_policy_file.endswith(f"-{name}.json"):
            raise DeployRefused(f"{name} has no policy file of its own")
    return names


def deploy_app(stage: Stage, region: str, secrets: Mapping[str, str]) -> str:
    """`chalice deploy --stage` (the same code path), returning the REST API's URL."""
    from chalice.utils import UI

    os.environ["AWS_DEFAULT_REGION"] = region  # Chalice's botocore session reads it
    factory, config = chalice_config(stage, secrets)
    deployer = factory.create_default_deployer(session=factory.create_botocore_session(),
                                               config=config, ui=UI())
    deployed = deployer.deploy(config, chalice_stage_name=stage.name)
    factory.create_deployment_reporter(ui=UI()).display_report(deployed)
    apis = [r for r in deployed.get("resources", []) if r.get("resource_type") == "rest_api"]
    if not apis:
        return ""
    import boto3

    from infra import gateway_responses

    put = gateway_responses.apply(boto3.client("apigateway", region_name=region),
                                  str(apis[0]["rest_api_id"]), config.api_gateway_stage)
    say(f"  gateway responses (infra/gateway_responses.yaml): {', '.join(put)}")
    return str(apis[0]["rest_api_url"])


# --- the sequence -------------------------------------------------------------------------------

@dataclass
class Steps:
    """The AWS-touching steps, replaceable in tests."""

    session: Callable[[str | None], Any] = aws_session
    account: Callable[[Any], str] = caller_account
    secrets: Callable[[Any, str], dict[str, str]] = stage_secrets
    data_plane: Callable[[Stage, str, Any], dict[str, str]] = deploy_data_plane
    app: Callable[[Stage, str, Mapping[str, str]], str] = deploy_app
    encoder: Callable[[Stage, str, Any, str, int], dict[str, str]] = deploy_encoder
    alarms: Callable[[Stage, str, Any, str | None], dict[str, str]] = deploy_alarms
    package: Callable[[Stage, str, Path], Path] = package
    lint: Callable[[Sequence[Path]], None] = lint
    app_config: Callable[[Stage], list[str]] = check_app_config


def run(options: Options, steps: Steps | None = None) -> str:
    """Check, then (unless a dry run) deploy; the API's URL, or "" for a dry run."""
    steps = steps or Steps()
    stage = load_stage(options)
    if options.dry_run:
        region = options.region or os.environ.get("AWS_REGION") or "us-east-1"
        session, account = None, None
    else:
        session = steps.session(options.region)
        account = steps.account(session)
        region = resolve_region(options, session)
    say(f"stage {stage.name}: prefix {stage.prefix}, region {region}"
        + (f", account {account}" if account else " (dry run: AWS is not touched)"))
    say("checking: chalice configuration, chalice package, cfn-lint")
    steps.app_config(stage)
    sam = steps.package(stage, region, options.out_dir)
    steps.lint([TEMPLATE, ENCODER_TEMPLATE, ALARMS_TEMPLATE, sam])
    say(f"  templates lint clean; CloudFormation package in {sam.parent}")
    plan = [f"1. stack {stage.prefix} from infra/template.yaml (ResourcePrefix={stage.prefix})",
            f"2. chalice deploy --stage {stage.name}: the API and workers "
            f"({', '.join(stage.functions)}), secrets from SSM /{stage.prefix}/NOTFLIX_*",
            f"3. stack {stage.prefix}-encoder from infra/encoder.yaml" + (
                f" (ImageUri={options.encoder_image})" if options.encoder_image
                else ": skipped, no ENCODER_IMAGE_URI"),
            f"4. stack {stage.prefix}-alarms from infra/alarms.yaml" + (
                f" (alerts mailed to {options.alert_email})" if options.alert_email
                else " (alerts to its SNS topic; ALERT_EMAIL subscribes a mailbox)")]
    if options.dry_run:
        say("would deploy:\n  " + "\n  ".join(plan))
        return ""
    say(plan[0])
    outputs = steps.data_plane(stage, region, session)
    say(f"  {len(outputs)} outputs")
    secrets = steps.secrets(session, stage.prefix)
    say(plan[1] + (f"; found {', '.join(sorted(secrets))}" if secrets else
                   "; none found (set them with `aws ssm put-parameter --type SecureString`)"))
    url = steps.app(stage, region, secrets)
    say(plan[2])
    if options.encoder_image:
        steps.encoder(stage, region, session, options.encoder_image,
                      options.encoder_concurrency)
    say(plan[3])
    steps.alarms(stage, region, session, options.alert_email)
    say(f"\nNotflix ({stage.name}) is deployed: {url}")
    return url


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_aws", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="dev", help="Chalice stage in .chalice/config.json")
    parser.add_argument("--region", default=None, help="AWS region (default: your profile's)")
    parser.add_argument("--prefix", default=None,
                        help="must equal the stage's NOTFLIX_PREFIX (a safety check)")
    parser.add_argument("--encoder-image", default=None,
                        help="ECR image URI of encoder_lambda/Dockerfile; none skips the encoder")
    parser.add_argument("--encoder-concurrency", type=int, default=5)
    parser.add_argument("--alert-email", default=None,
                        help="mailbox subscribed to the alarms' SNS topic (confirm the mail)")
    parser.add_argument("--dry-run", action="store_true",
                        help="package and lint only; AWS is not touched")
    parser.add_argument("--out", type=Path, default=Options.out_dir,
                        help="where the CloudFormation package goes")
    args = parser.parse_args(argv)
    return Options(stage=args.stage, region=args.region or None, prefix=args.prefix or None,
                   encoder_image=args.encoder_image or None,
                   encoder_concurrency=args.encoder_concurrency,
                   alert_email=args.alert_email or None, dry_run=args.dry_run,
                   out_dir=args.out)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        run(parse_args(argv))
    except DeployRefused as exc:
        print(f"deploy refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:  # a step failed part-way: say which, and that re-running resumes
        print(f"deploy failed: {type(exc).__name__}: {exc}\nEach step is idempotent: fix the "
              "cause and run `make deploy` again.", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
