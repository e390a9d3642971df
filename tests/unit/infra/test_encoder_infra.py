"""The encoder's AWS stack (`infra/encoder.yaml`) and image (`encoder_lambda/Dockerfile`):
they lint, fit the data plane `infra/template.yaml` defines, and match what the code needs."""

from __future__ import annotations

import importlib
import json
import re
import shlex
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from chalicelib.platform.config import Settings
from encoder_lambda.pipeline import SAFETY_SECONDS
from infra.intrinsics import StackContext
from infra.template import TEMPLATE_PATH, load_template, resources_of_type
from localcloud.functions import ENCODER_MEMORY_MB, ENCODER_TIMEOUT_SECONDS
from localcloud.paths import PROJECT_ROOT

ENCODER_TEMPLATE = TEMPLATE_PATH.with_name("encoder.yaml")
DOCKERFILE = PROJECT_ROOT / "encoder_lambda" / "Dockerfile"
REQUIREMENTS = "encoder_lambda/requirements.txt"
PREFIX = "demo"
REGION = "eu-west-1"
ACCOUNT = "111122223333"
LAMBDA_MAX_TIMEOUT = 900
NAME_PROPERTY = {"AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
                 "AWS::DynamoDB::Table": "TableName"}
#: Imported by a dependency only when present: pynamodb's signals use blinker, botocore takes
#: certifi's CA bundle over its own.
OPTIONAL_IMPORTS = {"blinker", "certifi"}

#: (ARN, action) pairs the encoder's code needs, and all the role may grant. Keep in step
#: with encoder_lambda/pipeline.py, publish.py, jobs.py and chalicelib/catalogue/titles/playable.py
#: (test_the_role_may_query_exactly_the_indexes_the_encoder_queries checks the queries).
S3 = f"arn:aws:s3:::{PREFIX}"
DYNAMO = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{PREFIX}"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-encode-jobs"
GRAPH_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-graph-sync"
TASKS_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-encode-tasks"
EXPECTED_GRANTS = {
    # HeadObject answers 404 for a vanished upload or an unpublished asset only with ListBucket;
    # a failed publish lists media/<asset_id>/ to clean up.
    (f"{S3}-uploads", "s3:ListBucket"), (f"{S3}-media", "s3:ListBucket"),
    # The source (and subtitles beside it): head, download, copy source, delete once moved.
    (f"{S3}-uploads/uploads/*", "s3:GetObject"), (f"{S3}-uploads/uploads/*", "s3:DeleteObject"),
    (f"{S3}-uploads/processed/*", "s3:PutObject"), (f"{S3}-uploads/failed/*", "s3:PutObject"),
    # Publish (multipart for large renditions), head/read asset.json, remove a partial publish.
    *((f"{S3}-media/media/*", action) for action in (
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")),
    # A job's log, and its tasks' results and thumbnail tiles, listed and read to assemble.
    *((f"{S3}-data/jobs/*", action) for action in (
        "s3:PutObject", "s3:GetObject", "s3:DeleteObject")),
    (f"{S3}-data", "s3:ListBucket"),
    *((f"{DYNAMO}-jobs", action) for action in (
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
    # JobStore.superseded: a newer upload of the same key or title.
    (f"{DYNAMO}-jobs/index/by-key", "dynamodb:Query"),
    (f"{DYNAMO}-jobs/index/by-title", "dynamodb:Query"),
    (f"{DYNAMO}-titles", "dynamodb:GetItem"), (f"{DYNAMO}-titles", "dynamodb:UpdateItem"),
    (f"{DYNAMO}-title-facets", "dynamodb:BatchWriteItem"),
    # An upload must name an existing episode; then the episode gets its stream.
    (f"{DYNAMO}-title-episodes", "dynamodb:GetItem"),
    (f"{DYNAMO}-title-episodes", "dynamodb:UpdateItem"),
    *((queue, action) for queue in (QUEUE, TASKS_QUEUE)
      for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                     "sqs:GetQueueAttributes")),
    # The planner fans the job's tasks out.
    (TASKS_QUEUE, "sqs:GetQueueUrl"), (TASKS_QUEUE, "sqs:SendMessage"),
    # chalicelib/recommendations/feed.py: a published title is playable in the graph too.
    (f"{GRAPH_QUEUE}", "sqs:GetQueueUrl"), (f"{GRAPH_QUEUE}", "sqs:SendMessage"),
}


# --- loading and resolving ----------------------------------------------------------------------

@cache
def data_plane() -> dict[str, Any]:
    return load_template()


@cache
def encoder() -> dict[str, Any]:
    return load_template(ENCODER_TEMPLATE)


def data_plane_context() -> StackContext:
    return StackContext(template=data_plane(),
                        parameters={"ResourcePrefix": PREFIX, "MailFrom": "m@example.com"},
                        physical_ids={}, clients={}, region=REGION, account_id=ACCOUNT,
                        stack_name=PREFIX)


def encoder_context() -> StackContext:
    parameters = {"ResourcePrefix": PREFIX,
                  "ImageUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/notflix-encoder:1",
                  "ReservedConcurrency": "5", "Architecture": "x86_64"}
    return StackContext(template=encoder(), parameters=parameters, physical_ids={}, clients={},
                        region=REGION, account_id=ACCOUNT, stack_name=f"{PREFIX}-encoder")


def resource(logical: str) -> dict[str, Any]:
    props = encoder()["Resources"][logical]["Properties"]
    assert isinstance(props, dict)
    return props


def one_of_type(resource_type: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources_of_type(encoder(), resource_type).items()
    return found[0], found[1]["Properties"]


def data_plane_names() -> dict[str, set[str]]:
    """Bucket, queue and table names infra/template.yaml defines, by resource type."""
    ctx = data_plane_context()
    names: dict[str, set[str]] = {kind: set() for kind in NAME_PROPERTY}
    for res in data_plane()["Resources"].values():
        if res["Type"] in NAME_PROPERTY:
            names[res["Type"]].add(ctx.resolve(res["Properties"][NAME_PROPERTY[res["Type"]]]))
    return names


def data_plane_indexes() -> dict[str, set[str]]:
    ctx = data_plane_context()
    return {ctx.resolve(t["Properties"]["TableName"]):
            {gsi["IndexName"] for gsi in t["Properties"].get("GlobalSecondaryIndexes", [])}
            for t in resources_of_type(data_plane(), "AWS::DynamoDB::Table").values()}


def encode_queue() -> dict[str, Any]:
    return resource_of_data_plane("EncodeJobsQueue")


def resource_of_data_plane(logical: str) -> dict[str, Any]:
    props = data_plane()["Resources"][logical]["Properties"]
    assert isinstance(props, dict)
    return props


def policy_statements() -> list[dict[str, Any]]:
    _, role = one_of_type("AWS::IAM::Role")
    statements: list[dict[str, Any]] = []
    for policy in role["Policies"]:
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def is_log_group_arn(value: Any) -> bool:
    return bool(value == {"Fn::GetAtt": ["EncoderLogGroup", "Arn"]})


def granted() -> set[tuple[str, str]]:
    """(resolved ARN, action) for every Allow statement except the log group's."""
    ctx = encoder_context()
    pairs = set()
    for statement in policy_statements():
        assert statement["Effect"] == "Allow", statement
        for arn in as_list(statement["Resource"]):
            if is_log_group_arn(arn):
                continue
            for action in as_list(statement["Action"]):
                pairs.add((ctx.resolve(arn), action))
    return pairs


# --- the template -------------------------------------------------------------------------------

# cfn-lint: tests/unit/infra/test_chalice_package.py lints every template in one run.

def test_parameters_match_the_data_plane_and_the_brief() -> None:
    params = encoder()["Parameters"]
    assert params["ResourcePrefix"] == data_plane()["Parameters"]["ResourcePrefix"] | {
        "Description": params["ResourcePrefix"]["Description"]}
    assert {"ImageUri", "ReservedConcurrency"} <= params.keys()
    # MaximumConcurrency of an SQS mapping is at least 2.
    assert params["ReservedConcurrency"]["Default"] == 5
    assert params["ReservedConcurrency"]["MinValue"] >= 2


def test_the_function_is_an_image_with_room_to_encode() -> None:
    _, function = one_of_type("AWS::Lambda::Function")
    assert function["PackageType"] == "Image"
    assert function["Code"] == {"ImageUri": {"Ref": "ImageUri"}}
    assert "Handler" not in function and "Runtime" not in function  # the image's CMD decides
    assert function["MemorySize"] == ENCODER_MEMORY_MB == 3008
    # One chunk's renditions at most: the source is read over HTTP, never copied here.
    assert function["EphemeralStorage"] == {"Size": 4096}
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    assert function["Role"] == {"Fn::GetAtt": ["EncoderRole", "Arn"]}


def test_the_timeout_fits_the_queues_visibility_timeout() -> None:
    _, function = one_of_type("AWS::Lambda::Function")
    # One parameter sets the function's timeout and both encode queues' visibility timeout:
    # Lambda refuses a mapping below it, and a message would reappear mid-task.
    assert function["Timeout"] == {"Ref": "EncoderTimeoutSeconds"}
    tasks = resource_of_data_plane("EncodeTasksQueue")
    assert encode_queue()["VisibilityTimeout"] == tasks["VisibilityTimeout"] == {
        "Ref": "EncoderTimeoutSeconds"}
    for template in (encoder(), data_plane()):
        spec = template["Parameters"]["EncoderTimeoutSeconds"]
        assert spec["Default"] == spec["MaxValue"] == LAMBDA_MAX_TIMEOUT
        assert spec["MinValue"] >= 2 * SAFETY_SECONDS  # a task has time to work and stop
    # The local runner enforces the same limit by default.
    assert ENCODER_TIMEOUT_SECONDS == LAMBDA_MAX_TIMEOUT


def test_the_environment_points_the_code_at_the_data_plane() -> None:
    _, function = one_of_type("AWS::Lambda::Function")
    env = encoder_context().resolve(function["Environment"]["Variables"])
    assert env == {"NOTFLIX_TARGET": "aws", "NOTFLIX_PREFIX": PREFIX}
    settings = Settings.from_env(env)
    names = data_plane_names()
    assert {settings.uploads_bucket, settings.media_bucket, settings.data_bucket} <= names[
        "AWS::S3::Bucket"]
    assert settings.encode_queue in names["AWS::SQS::Queue"]
    assert {settings.table_name(t) for t in ("jobs", "titles", "title-facets")} <= names[
        "AWS::DynamoDB::Table"]


def test_the_mappings_feed_one_message_at_a_time_from_the_encode_queues() -> None:
    mappings = {name: resource(name) for name in encoder()["Resources"]
                if encoder()["Resources"][name]["Type"] == "AWS::Lambda::EventSourceMapping"}
    assert set(mappings) == {"EncodeJobsMapping", "EncodeTasksMapping"}
    for mapping in mappings.values():
        assert mapping["BatchSize"] == 1
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["FunctionName"] == {"Ref": "EncoderFunction"}
    # Never poll faster than the reserved concurrency lets the function run: planning takes
    # 2, the tasks the rest (make deploy passes ReservedConcurrency - 2).
    assert mappings["EncodeJobsMapping"]["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert mappings["EncodeTasksMapping"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "TaskConcurrency"}}
    for name, queue in (("EncodeJobsMapping", encode_queue()),
                        ("EncodeTasksMapping", resource_of_data_plane("EncodeTasksQueue"))):
        queue_name = data_plane_context().resolve(queue["QueueName"])
        assert encoder_context().resolve(mappings[name]["EventSourceArn"]) == (
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}")


def test_every_arn_in_the_role_names_a_resource_of_the_data_plane() -> None:
    names = data_plane_names()
    indexes = data_plane_indexes()
    for arn, _action in granted():
        _, _partition, service, region, account, rest = arn.split(":", 5)
        if service == "s3":
            assert (region, account) == ("", ""), arn
            assert rest.split("/", 1)[0] in names["AWS::S3::Bucket"], arn
        elif service == "sqs":
            assert (region, account) == (REGION, ACCOUNT), arn
            assert rest in names["AWS::SQS::Queue"], arn
        elif service == "dynamodb":
            assert (region, account) == (REGION, ACCOUNT), arn
            kind, table, *index = rest.split("/")
            assert kind == "table" and table in names["AWS::DynamoDB::Table"], arn
            assert index == [] or (index[0] == "index" and index[1] in indexes[table]), arn
        else:
            raise AssertionError(f"unexpected service in {arn}")


def test_the_role_grants_exactly_what_the_encoder_uses() -> None:
    for statement in policy_statements():
        assert "*" not in json.dumps(statement["Action"]), statement
        assert "Condition" not in statement, statement
    assert granted() == EXPECTED_GRANTS


def test_the_role_may_query_exactly_the_indexes_the_encoder_queries() -> None:
    from chalicelib.jobs.models import JobModel

    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "encoder_lambda").rglob("*.py"))
    used = {getattr(JobModel, attribute).Meta.index_name
            for attribute in re.findall(r"JobModel\.(\w+)\.(?:query|scan)\(", source)}
    assert used, "the encoder no longer queries the jobs table's indexes?"
    queried = {arn for arn, action in granted() if action in ("dynamodb:Query", "dynamodb:Scan")}
    assert queried == {f"{DYNAMO}-jobs/index/{index}" for index in used}


def test_logs_go_to_the_functions_own_log_group() -> None:
    ctx = encoder_context()
    _, function = one_of_type("AWS::Lambda::Function")
    group = resource("EncoderLogGroup")
    function_name = ctx.resolve(function["FunctionName"])
    assert ctx.resolve(group["LogGroupName"]) == f"/aws/lambda/{function_name}"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "EncoderLogGroup"}}
    (logs,) = [s for s in policy_statements()
               if any(map(is_log_group_arn, as_list(s["Resource"])))]
    assert logs["Resource"] == {"Fn::GetAtt": ["EncoderLogGroup", "Arn"]}
    assert sorted(as_list(logs["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_outputs_give_the_functions_name_and_arn() -> None:
    outputs = [o["Value"] for o in encoder()["Outputs"].values()]
    assert {"Ref": "EncoderFunction"} in outputs
    assert {"Fn::GetAtt": ["EncoderFunction", "Arn"]} in outputs


# --- the image ----------------------------------------------------------------------------------

def instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) for each Dockerfile instruction, continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or not (pending or line.strip()):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        found.append((keyword.upper(), args.strip()))
        pending = ""
    return found


def arguments(keyword: str) -> list[str]:
    return [args for kw, args in instructions() if kw == keyword]


def copies() -> dict[str, str]:
    """Destination -> source of each COPY (with ${LAMBDA_TASK_ROOT} left as written)."""
    result = {}
    for args in arguments("COPY"):
        *sources, dest = [a for a in shlex.split(args) if not a.startswith("--")]
        for source in sources:
            result[dest.rstrip("/") + ("/" + Path(source).name if dest.endswith("/") and
                                       not source.endswith("/") else "")] = source
    return result


def pip_installs() -> tuple[list[str], list[str]]:
    """Requirements files (as COPY sources) and requirement specifiers that pip installs."""
    takes_value = {"-r", "--requirement", "-t", "--target", "-c", "--constraint", "-i",
                   "--index-url", "--extra-index-url"}
    files: list[str] = []
    specs: list[str] = []
    for run in arguments("RUN"):
        tokens = shlex.split(run)
        for start in (i for i, t in enumerate(tokens[:-1]) if t.endswith("pip")
                      and tokens[i + 1] == "install"):
            i = start + 2
            while i < len(tokens) and tokens[i] not in ("&&", ";", "||", "|"):
                token = tokens[i]
                if token in ("-r", "--requirement"):
                    files.append(copies().get(tokens[i + 1], tokens[i + 1]))
                if token in takes_value:
                    i += 2
                    continue
                if not token.startswith("-"):
                    specs.append(token)
                i += 1
    return files, specs


def requirement_names(lines: list[str]) -> set[str]:
    names: set[str] = set()
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            names.add(canonicalize_name(Requirement(text).name))
    return names


def with_dependencies(names: set[str]) -> set[str]:
    """The distributions plus everything they require here (Python 3.11 on Linux, as Lambda)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


IMPORT_PROBE = """
import importlib, json, pkgutil, sys
before = set(sys.modules)
import encoder_lambda
for info in pkgutil.walk_packages(encoder_lambda.__path__, "encoder_lambda."):
    importlib.import_module(info.name)
# What encoder_lambda.runtime.pipeline() imports when the first job arrives.
for name in ("chalicelib.catalogue.titles.models", "chalicelib.catalogue.titles.playable",
             "chalicelib.platform.dynamo", "chalicelib.platform.resources"):
    importlib.import_module(name)
root = sys.argv[1]
loaded = [(name, getattr(sys.modules[name], "__file__", None) or "")
          for name in set(sys.modules) - before]
print(json.dumps({
    "third_party": sorted({n.split(".")[0] for n, f in loaded if "site-packages" in f}),
    "project": sorted({n.split(".")[0] for n, f in loaded
                       if f.startswith(root) and "site-packages" not in f}),
}))
"""


@cache
def encoder_imports() -> dict[str, list[str]]:
    """Top-level modules the encoder loads, in a fresh interpreter (pytest loads many more)."""
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE, str(PROJECT_ROOT)],
                            capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                            env={"PATH": "/usr/bin:/bin", "NOTFLIX_TARGET": "aws"})
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_the_images_cmd_names_a_handler_that_exists() -> None:
    (cmd,) = arguments("CMD")
    (handler_path,) = json.loads(cmd)
    module_name, _, attribute = handler_path.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    assert callable(handler)
    # The handler's package and everything it imports from the project are in the image.
    copied = set(copies().values())
    for package in encoder_imports()["project"]:
        assert f"{package}/" in copied, f"{package} is imported but not copied into the image"
    assert module_name.split(".")[0] in encoder_imports()["project"]


def test_the_image_is_lambdas_python_311_with_ffmpeg() -> None:
    (base,) = arguments("FROM")
    assert base == "public.ecr.aws/lambda/python:3.11"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == "3.11"
    env = " ".join(arguments("ENV"))
    assert "NOTFLIX_FFMPEG=/opt/ffmpeg/bin/ffmpeg" in env
    assert any("/opt/ffmpeg/bin/ffmpeg" in run and "get_ffmpeg_exe" in run
               for run in arguments("RUN"))


def test_the_image_installs_every_package_the_encoder_imports() -> None:
    files, specs = pip_installs()
    assert files == [REQUIREMENTS]
    declared = requirement_names((PROJECT_ROOT / REQUIREMENTS).read_text().splitlines() + specs)
    assert "imageio-ffmpeg" in declared
    available = with_dependencies(declared)
    distributions = metadata.packages_distributions()
    missing = {}
    for module in set(encoder_imports()["third_party"]) - OPTIONAL_IMPORTS:
        dists = {canonicalize_name(d) for d in distributions.get(module, [])}
        if dists and not dists & available:
            missing[module] = sorted(dists)
    assert missing == {}, f"imported by the encoder but not installed in the image: {missing}"
