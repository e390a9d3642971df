"""Every Chalice function's IAM policy names only resources the template defines, and only
those its code uses.

`.chalice/config.json` gives the API (`api_handler`) the stage's `policy-dev.json` and each
worker its own `policy-dev-<function>.json`. Three checks meet here:

- WORKER_GRANTS below declares what each worker does (resource, action); its policy grants
  exactly that. Keep it in step with the code paths named in each entry.
- Statically, from the code: the services a handler in app.py calls, what those services
  build in chalicelib/services.py and every chalicelib module they import, give the AWS
  services, tables, buckets and queues the function can reach. A worker's policy names the
  same ones: nothing it cannot reach (least privilege) and nothing reached left out.
- Every ARN names a table (or one of its indexes), bucket or queue of infra/template.yaml.
  No action has a wildcard; a wildcard resource only where AWS offers nothing narrower
  (WILDCARD_RESOURCE_EXCEPTIONS, each with a condition).

The encoder's role (infra/encoder.yaml) is checked the same way in test_encoder_infra.py.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform.config import Settings
from infra.intrinsics import StackContext
from infra.template import load_template
from localcloud.paths import PROJECT_ROOT

CHALICE_DIR = PROJECT_ROOT / ".chalice"
CONFIG = json.loads((CHALICE_DIR / "config.json").read_text())
STAGE_NAME = "dev"
STAGE = CONFIG["stages"][STAGE_NAME]
SETTINGS = Settings.from_env(STAGE["environment_variables"])
PREFIX = SETTINGS.resource_prefix
API = "api_handler"
WORKERS = ("run_catalogue_import", "daily_tmdb_import", "sync_graph", "retention_cleanup",
           "encode_watchdog", "send_reset_mails", "similar_titles")

#: Settings attributes that name a bucket or a queue.
BUCKET_SETTINGS = ("uploads_bucket", "media_bucket", "data_bucket")
QUEUE_SETTINGS = ("import_queue", "graph_queue", "reset_queue", "encode_queue", "encode_dlq",
                  "encode_tasks_queue", "encode_tasks_dlq")
#: What Lambda's SQS event source mapping needs on the function's own queue.
MAPPING_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
#: Sid -> why `Resource: "*"` is unavoidable (the statement must also carry a Condition).
WILDCARD_RESOURCE_EXCEPTIONS = {
    # SES authorises sending by identity ARN, which depends on how the sender's domain or
    # address was verified (outside this stack); the condition pins the From address.
    "AccountMail": "ses:SendEmail has no stack resource; ses:FromAddress limits it",
}


def table(name: str) -> str:
    return f"arn:aws:dynamodb:*:*:table/{PREFIX}-{name}"


def queue(name: str) -> str:
    return f"arn:aws:sqs:*:*:{PREFIX}-{name}"


def bucket(name: str, keys: str = "") -> str:
    return f"arn:aws:s3:::{PREFIX}-{name}" + (f"/{keys}" if keys else "")


def each(arns: list[str], *actions: str) -> set[tuple[str, str]]:
    return {(arn, action) for arn in arns for action in actions}


#: (ARN, action) each worker needs besides its own log group; exactly what its policy grants.
WORKER_GRANTS: dict[str, set[tuple[str, str]]] = {
    # app.run_catalogue_import -> CatalogueImports.work (catalogue/imports.py).
    "run_catalogue_import": {
        *each([queue("catalogue-imports")], *MAPPING_ACTIONS),
        # A paused run (out of time) or one waiting for the lock goes back on its queue.
        *each([queue("catalogue-imports")], "sqs:GetQueueUrl", "sqs:SendMessage"),
        # ImportRuns: get, the lock (put/delete with conditions), update; failures kept.
        *each([table("import-runs")], "dynamodb:GetItem", "dynamodb:PutItem",
              "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
        (table("import-failures"), "dynamodb:UpdateItem"),
        # CatalogueWriter: batch-get the chunk, conditional put, re-read on a conflict...
        *each([table("titles")], "dynamodb:GetItem", "dynamodb:BatchGetItem",
              "dynamodb:PutItem"),
        # ...each written title's ids added to / removed from its match keys...
        (table("title-match-keys"), "dynamodb:UpdateItem"),
        # ...facets and episodes written in batches, a series' old episodes queried.
        *each([table("title-facets"), table("title-episodes")], "dynamodb:Query",
              "dynamodb:BatchWriteItem"),
        # CatalogueIndexer: the `all` facet (query above), rankings replaced.
        *each([table("rankings")], "dynamodb:Scan", "dynamodb:BatchWriteItem"),
        # FetchStateStore: the first run finds no state (404 needs ListBucket, else 403).
        (bucket("data"), "s3:ListBucket"),
        *each([bucket("data", "imports/tmdb/*")], "s3:GetObject", "s3:PutObject"),
        (bucket("data", "search/*"), "s3:PutObject"),  # the rebuilt search index
        # GraphFeed.titles_saved: imported titles go to the graph.
        *each([queue("graph-sync")], "sqs:GetQueueUrl", "sqs:SendMessage"),
    },
    # app.daily_tmdb_import -> CatalogueImports.start: create the run and queue it.
    "daily_tmdb_import": {
        (table("import-runs"), "dynamodb:PutItem"),
        *each([queue("catalogue-imports")], "sqs:GetQueueUrl", "sqs:SendMessage"),
    },
    # app.sync_graph -> GraphSyncWorker.handle: Neo4j (outside AWS), and a failed batch is
    # made invisible for a growing delay.
    "sync_graph": {
        *each([queue("graph-sync")], *MAPPING_ACTIONS),
        *each([queue("graph-sync")], "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"),
    },
    # app.retention_cleanup -> Retention.run (jobs/retention.py).
    "retention_cleanup": {
        *each([table("title-facets"), table("title-episodes")], "dynamodb:Query"),
        (table("titles"), "dynamodb:BatchGetItem"),
        *each([bucket("uploads"), bucket("media")], "s3:ListBucket"),
        *each([bucket("uploads", "processed/*"), bucket("uploads", "failed/*"),
               bucket("media", "media/*")], "s3:DeleteObject"),
    },
    # app.encode_watchdog -> Watchdog.sweep (jobs/watchdog.py).
    "encode_watchdog": {
        # find_stalled: the non-final jobs, one status at a time.
        (f"{table('jobs')}/index/by-status", "dynamodb:Query"),
        # fail_stalled / a dead letter's job: read it, end it (conditional), bump the panels.
        *each([table("jobs")], "dynamodb:GetItem", "dynamodb:UpdateItem"),
        # Tasks waiting for a worker: silent encoding jobs are not judged meanwhile.
        *each([queue("encode-tasks")], "sqs:GetQueueUrl", "sqs:GetQueueAttributes"),
        # Both encode DLQs: read, delete what is tied to a job, release what is not.
        *each([queue("encode-jobs-dlq"), queue("encode-tasks-dlq")], "sqs:GetQueueUrl",
              "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"),
        # Each dead letter is stored beside its job before it is deleted.
        (bucket("data", "jobs/*/dead-letters/*"), "s3:PutObject"),
    },
    # app.send_reset_mails -> AccountService.send_reset (auth/service.py): find the account
    # by email (two reads), issue the link (ResetTokens.issue), mail it (Mailer, SES).
    "send_reset_mails": {
        *each([queue("password-resets")], *MAPPING_ACTIONS),
        *each([table("users"), table("user-emails")], "dynamodb:GetItem"),
        (table("password-resets"), "dynamodb:PutItem"),
        ("*", "ses:SendEmail"),
    },
    # app.similar_titles -> SimilarityJob.run: Neo4j only (no AWS service).
    "similar_titles": set(),
}


#: What the static analysis finds reachable but a worker never calls: (services and resource
#: names, why). Each entry must still be reachable, so the list cannot go stale.
REACHED_BUT_UNUSED: dict[str, tuple[set[str], str]] = {
    "daily_tmdb_import": (
        {"s3", f"{PREFIX}-data", f"{PREFIX}-graph-sync", f"{PREFIX}-import-failures",
         f"{PREFIX}-titles", f"{PREFIX}-title-facets", f"{PREFIX}-title-episodes",
         f"{PREFIX}-rankings", f"{PREFIX}-title-match-keys"},
        "CatalogueImports.start only creates the run and queues it; the importer and indexer "
        "the service is built with run in run_catalogue_import"),
    "send_reset_mails": (
        {f"{PREFIX}-titles", f"{PREFIX}-login-history", f"{PREFIX}-graph-sync"},
        "AccountService.send_reset only finds the account, issues the link and mails it; "
        "login history, the graph feed and the reset queue serve the API's routes"),
}


# --- the policies as Chalice deploys them ---------------------------------------------------

def policy_file(function: str) -> str:
    """The file Chalice reads for a function: its own entry, else the stage's."""
    own = STAGE.get("lambda_functions", {}).get(function, {})
    return str(own.get("iam_policy_file") or STAGE["iam_policy_file"])


def policy(function: str) -> dict[str, Any]:
    loaded = json.loads((CHALICE_DIR / policy_file(function)).read_text())
    assert isinstance(loaded, dict)
    return loaded


def statements(function: str) -> list[dict[str, Any]]:
    return list(policy(function)["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def log_group(function: str) -> str:
    name = f"notflix-{STAGE_NAME}" if function == API else f"notflix-{STAGE_NAME}-{function}"
    return f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}"


def grants(function: str) -> set[tuple[str, str]]:
    """(ARN, action) for every statement except the log group's."""
    pairs = set()
    for statement in statements(function):
        assert statement["Effect"] == "Allow", statement
        for arn in as_list(statement["Resource"]):
            if arn.startswith("arn:aws:logs:"):
                continue
            pairs |= {(arn, action) for action in as_list(statement["Action"])}
    return pairs


def functions() -> list[str]:
    return [API, *WORKERS]


# --- what the template defines --------------------------------------------------------------

@cache
def template_resources() -> dict[str, set[str]]:
    """Resolved names: buckets, queues, tables, and `table/index` for each GSI."""
    template = load_template()
    ctx = StackContext(template=template, parameters={"ResourcePrefix": PREFIX, "MailFrom": "x"},
                       physical_ids={}, clients={}, region="r", account_id="1",
                       stack_name=PREFIX)
    found: dict[str, set[str]] = {"s3": set(), "sqs": set(), "dynamodb": set()}
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::S3::Bucket":
            found["s3"].add(ctx.resolve(props["BucketName"]))
        elif res["Type"] == "AWS::SQS::Queue":
            found["sqs"].add(ctx.resolve(props["QueueName"]))
        elif res["Type"] == "AWS::DynamoDB::Table":
            name = ctx.resolve(props["TableName"])
            found["dynamodb"].add(name)
            found["dynamodb"] |= {f"{name}/index/{gsi['IndexName']}"
                                  for gsi in props.get("GlobalSecondaryIndexes", [])}
    return found


def named_resource(arn: str) -> tuple[str, str]:
    """(service, name) an ARN points at: a bucket, a queue, a table or `table/index/x`."""
    _, _partition, service, _region, _account, rest = arn.split(":", 5)
    if service == "s3":
        return service, rest.split("/", 1)[0]
    if service == "dynamodb":
        assert rest.startswith("table/"), arn
        return service, rest.removeprefix("table/")
    return service, rest


# --- what the code reaches (static) ---------------------------------------------------------

def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def module_path(module: str) -> Path | None:
    base = PROJECT_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (never imported at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *runtime_nodes(child)])
            continue
        yield node
        yield from runtime_nodes(node)


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in ("chalicelib", "encoder_lambda"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names
                          if module_path(f"{node.module}.{a.name}")}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "chalicelib"}
    return found


@cache
def closure(roots: frozenset[str]) -> frozenset[str]:
    """The project modules `roots` import, directly or not, at run time."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        path = module_path(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        todo.extend(imported_modules(parse(path)))
    return frozenset(seen)


def is_models_map(node: ast.AST) -> bool:
    """`XYZ_MODELS = {Model: "short-name", ...}`, the registry `bind_models` reads."""
    target = (node.target if isinstance(node, ast.AnnAssign) else
              node.targets[0] if isinstance(node, ast.Assign) else None)
    return (isinstance(target, ast.Name) and target.id.endswith("_MODELS")
            and isinstance(getattr(node, "value", None), ast.Dict))


@cache
def model_tables() -> dict[str, tuple[str, str]]:
    """Model class name -> (defining module, short table name), from the *_MODELS maps."""
    found = {}
    for path in (PROJECT_ROOT / "chalicelib").rglob("*.py"):
        module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for node in ast.walk(parse(path)):
            if is_models_map(node):
                value = getattr(node, "value")  # noqa: B009 - an Assign or an AnnAssign
                assert isinstance(value, ast.Dict)
                for key, short in zip(value.keys, value.values, strict=True):
                    assert isinstance(key, ast.Name) and isinstance(short, ast.Constant)
                    found[key.id] = (module, str(short.value))
    return found


INDEX_QUERY = re.compile(r"(\w+Model)\.(\w+)\.(?:query|scan|count)\(")
#: pynamodb class methods -> the DynamoDB action; the code makes these calls no other way
#: (checked by test_batch_and_scan_calls_are_all_model_class_calls).
MODEL_CALLS = {"scan": "dynamodb:Scan", "batch_get": "dynamodb:BatchGetItem",
               "batch_write": "dynamodb:BatchWriteItem"}
MODEL_CALL = re.compile(r"(\w+Model)\.(scan|batch_get|batch_write)\(")


@dataclass
class Reach:
    """What a function's code can touch."""

    modules: set[str] = field(default_factory=set)
    clients: set[str] = field(default_factory=set)  # Resources attributes: s3, sqs, neo4j...
    settings: set[str] = field(default_factory=set)  # bucket and queue settings used
    table_names: set[str] = field(default_factory=set)  # settings.table_name("...")
    binds_tables: bool = False

    def aws_services(self) -> set[str]:
        services = {c for c in self.clients if c in ("s3", "sqs", "dynamodb", "ses")}
        return services | ({"dynamodb"} if self.tables() else set())

    def tables(self) -> set[str]:
        """Tables of the models the code refers to; a model is usable only once the
        service has bound the models to the stage's tables (`Services._bind_tables`)."""
        found = {f"{PREFIX}-{t}" for t in self.table_names}
        if not self.binds_tables:
            return found
        for module in closure(frozenset(self.modules)):
            path = module_path(module)
            assert path is not None
            tree = parse(path)
            registry = {id(n) for node in ast.walk(tree) if is_models_map(node)
                        for n in ast.walk(node)}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Name) and node.id in model_tables()
                        and id(node) not in registry):
                    found.add(f"{PREFIX}-{model_tables()[node.id][1]}")
        return found

    def indexes(self) -> set[str]:
        """`table/index/name` for each GSI the reachable code queries."""
        from importlib import import_module

        found = set()
        for module in closure(frozenset(self.modules)):
            path = module_path(module)
            assert path is not None
            for model_name, attribute in INDEX_QUERY.findall(path.read_text()):
                defined_in, short = model_tables()[model_name]
                index = getattr(getattr(import_module(defined_in), model_name), attribute)
                found.add(f"{PREFIX}-{short}/index/{index.Meta.index_name}")
        return found

    def model_calls(self) -> set[tuple[str, str]]:
        """(table, action) for each scan, batch get and batch write the code can make."""
        if not self.binds_tables:
            return set()
        found = set()
        for module in closure(frozenset(self.modules)):
            path = module_path(module)
            assert path is not None
            for model_name, call in MODEL_CALL.findall(path.read_text()):
                found.add((f"{PREFIX}-{model_tables()[model_name][1]}", MODEL_CALLS[call]))
        return found

    def buckets(self) -> set[str]:
        return {getattr(SETTINGS, s) for s in self.settings if s in BUCKET_SETTINGS}

    def queues(self) -> set[str]:
        return {getattr(SETTINGS, s) for s in self.settings if s in QUEUE_SETTINGS}


@cache
def services_methods() -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = parse(PROJECT_ROOT / "chalicelib" / "services.py")
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Services"]
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def reach_of(names: set[str]) -> Reach:
    """Follow Services members (and the members they use) to what they touch."""
    reach = Reach()
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        method = services_methods()[name]
        reach.modules |= imported_modules(method)
        if any(ast.unparse(d) == "uses_tables" for d in method.decorator_list):
            reach.binds_tables = True  # built after every model is bound to its table
        for node in ast.walk(method):
            if isinstance(node, ast.Attribute):
                base = ast.unparse(node.value)
                if base == "self.resources":
                    reach.clients.add(node.attr)
                elif base == "self" and node.attr == "_bind_tables":
                    reach.binds_tables = True
                elif base == "self" and node.attr in services_methods():
                    todo.append(node.attr)
                if node.attr in BUCKET_SETTINGS + QUEUE_SETTINGS:
                    reach.settings.add(node.attr)
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called == "self.resources.client" and isinstance(node.args[0], ast.Constant):
                    reach.clients.add(str(node.args[0].value))
                if called.endswith("table_name") and isinstance(node.args[0], ast.Constant):
                    reach.table_names.add(str(node.args[0].value))
    return reach


ROUTES = PROJECT_ROOT / "chalicelib" / "routes"
#: Where the workers are (each its own Lambda function); every other route module and app.py
#: make up the API function.
WORKERS_MODULE = ROUTES / "workers.py"


def api_modules() -> list[Path]:
    return [PROJECT_ROOT / "app.py", *sorted(p for p in ROUTES.glob("*.py")
                                             if p != WORKERS_MODULE)]


@cache
def app_handlers() -> dict[str, ast.FunctionDef]:
    """The workers' handler functions, by name."""
    tree = parse(WORKERS_MODULE)
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def services_used(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "services"}


def trigger_queue(function: str) -> str | None:
    """The queue an `@app.on_sqs_message` handler consumes, by its settings attribute."""
    for decorator in app_handlers()[function].decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith(
                "on_sqs_message"):
            (queue_arg,) = [k.value for k in decorator.keywords if k.arg == "queue"]
            assert isinstance(queue_arg, ast.Attribute)
            return str(getattr(SETTINGS, queue_arg.attr))
    return None


def worker_reach(function: str) -> Reach:
    return reach_of(services_used(app_handlers()[function]))


def api_reach() -> Reach:
    """Everything app.py and the route modules use (routes, pages, health, audit); the
    workers' module is not part of the API function."""
    used: set[str] = set()
    modules: set[str] = set()
    for source in api_modules():
        tree = parse(source)
        used |= services_used(tree)
        # Routes call chalicelib directly too (health checks, pages, parsing).
        modules |= imported_modules(tree)
    reach = reach_of(used)
    reach.modules |= modules - {"chalicelib.routes.workers"}
    for module in closure(frozenset(reach.modules)) | {"app"}:
        path = module_path(module)
        assert path is not None
        reach.settings |= {n.attr for n in ast.walk(parse(path)) if isinstance(n, ast.Attribute)
                           and n.attr in BUCKET_SETTINGS + QUEUE_SETTINGS}
    return reach


def granted_names(function: str, service: str) -> set[str]:
    return {name for arn, _ in grants(function) if arn != "*"
            for arn_service, name in [named_resource(arn)] if arn_service == service}


# --- the tests ------------------------------------------------------------------------------

def test_policies_are_used_instead_of_autogenerated_ones() -> None:
    assert STAGE["autogen_policy"] is False
    assert all(policy_file(f).startswith(f"policy-{STAGE_NAME}") for f in functions())


def test_every_chalice_function_is_known_here() -> None:
    from chalice.app import SQSEventConfig

    import app

    handlers = {source.name for source in app.app.event_sources}
    assert handlers == set(WORKERS), "a new worker needs its policy and WORKER_GRANTS entry"
    sqs = {s.name for s in app.app.event_sources if isinstance(s, SQSEventConfig)}
    assert sqs == {w for w in WORKERS if trigger_queue(w)}


def test_each_worker_has_its_own_policy() -> None:
    files = [policy_file(f) for f in functions()]
    assert len(set(files)) == len(files)
    assert set(STAGE["lambda_functions"]) == set(WORKERS)


@pytest.mark.parametrize("function", WORKERS)
def test_a_worker_is_granted_exactly_what_it_is_declared_to_use(function: str) -> None:
    assert grants(function) == WORKER_GRANTS[function]


@pytest.mark.parametrize("function", WORKERS)
def test_a_worker_is_granted_the_services_and_resources_its_code_reaches(function: str) -> None:
    reach = worker_reach(function)
    trigger = trigger_queue(function)
    unused, _why = REACHED_BUT_UNUSED.get(function, (set(), ""))
    reached = {
        "services": reach.aws_services() | ({"sqs"} if trigger else set()),
        "tables": reach.tables(),
        "buckets": reach.buckets(),
        "queues": reach.queues() | ({trigger} if trigger else set()),
    }
    assert unused <= set().union(*reached.values()), "REACHED_BUT_UNUSED is out of date"
    tables = {n for n in granted_names(function, "dynamodb") if "/index/" not in n}
    assert {action.split(":")[0] for _, action in grants(function)} == (
        reached["services"] - unused)
    assert tables == reached["tables"] - unused
    assert {n for n in granted_names(function, "dynamodb") if "/index/" in n} <= reach.indexes()
    assert granted_names(function, "s3") == reached["buckets"] - unused
    assert granted_names(function, "sqs") == reached["queues"] - unused
    if trigger:
        arn = f"arn:aws:sqs:*:*:{trigger}"
        assert {(arn, action) for action in MAPPING_ACTIONS} <= grants(function)


def test_the_static_reach_sees_what_the_workers_do() -> None:
    """The analysis itself: known facts about the workers' code paths."""
    graph = worker_reach("sync_graph")
    assert "neo4j" in graph.clients and graph.aws_services() == {"sqs"}
    assert graph.tables() == set()
    imports = worker_reach("run_catalogue_import")
    assert {f"{PREFIX}-titles", f"{PREFIX}-import-runs"} <= imports.tables()
    assert f"{PREFIX}-users" not in imports.tables()
    assert imports.buckets() == {SETTINGS.data_bucket}
    assert imports.queues() == {SETTINGS.import_queue, SETTINGS.graph_queue}
    watchdog = worker_reach("encode_watchdog")
    assert watchdog.queues() == {SETTINGS.encode_dlq, SETTINGS.encode_tasks_queue,
                                 SETTINGS.encode_tasks_dlq}
    assert watchdog.tables() == {f"{PREFIX}-jobs"}
    assert watchdog.indexes() == {f"{PREFIX}-jobs/index/by-status"}


def test_the_api_names_only_tables_buckets_and_queues_its_code_reaches() -> None:
    reach = api_reach()
    tables = {n for n in granted_names(API, "dynamodb") if "/index/" not in n}
    assert tables <= reach.tables()
    assert {n for n in granted_names(API, "dynamodb") if "/index/" in n} <= reach.indexes()
    assert granted_names(API, "s3") <= reach.buckets()
    assert granted_names(API, "sqs") <= reach.queues()
    # ... and every table and index it reaches (in AWS a missing one is an AccessDenied on
    # the first request that needs it; moto does not check, so only this test can tell).
    assert reach.tables() <= tables
    assert reach.indexes() <= {n for n in granted_names(API, "dynamodb") if "/index/" in n}
    # The API never consumes a queue: that is the workers' and the encoder's job.
    assert not {action for _, action in grants(API)} & set(MAPPING_ACTIONS)


@pytest.mark.parametrize("function", functions())
def test_every_named_resource_exists_in_the_template(function: str) -> None:
    defined = template_resources()
    for arn, _action in grants(function):
        if arn == "*":
            continue
        service, name = named_resource(arn)
        assert name in defined[service], arn


@pytest.mark.parametrize("function", functions())
def test_logs_go_only_to_the_functions_own_log_group(function: str) -> None:
    (logs,) = [s for s in statements(function)
               if any(str(r).startswith("arn:aws:logs:") for r in as_list(s["Resource"]))]
    assert sorted(as_list(logs["Resource"])) == [log_group(function), f"{log_group(function)}:*"]
    assert sorted(as_list(logs["Action"])) == ["logs:CreateLogGroup", "logs:CreateLogStream",
                                               "logs:PutLogEvents"]


@pytest.mark.parametrize("function", functions())
def test_no_wildcard_actions_and_wildcard_resources_only_where_aws_requires(
    function: str,
) -> None:
    for statement in statements(function):
        assert all("*" not in a for a in as_list(statement["Action"])), statement
        if "*" in as_list(statement["Resource"]):
            assert statement["Sid"] in WILDCARD_RESOURCE_EXCEPTIONS, statement
            assert statement.get("Condition"), statement
        for arn in as_list(statement["Resource"]):
            # `*` only for region/account (the stage's region is chosen at deploy time) and
            # object keys below a named prefix.
            if arn != "*" and not arn.startswith("arn:aws:logs:"):
                service, name = named_resource(arn)
                assert "*" not in name, arn
                assert "*" not in arn.split(":", 5)[5].replace("/*", "") or service == "s3", arn


def test_the_prefix_matches_the_stage_settings() -> None:
    assert SETTINGS.table_name("users") in json.dumps(policy(API))
    for function in WORKERS:
        assert all(f":{PREFIX}-" in arn or f"/{PREFIX}-" in arn or f":::{PREFIX}-" in arn
                   for arn, _ in grants(function) if arn != "*")  # "*": see the exceptions


def test_the_mail_condition_names_the_stages_sender() -> None:
    (mail,) = [s for s in statements(API) if s["Sid"] == "AccountMail"]
    assert mail["Condition"] == {"StringEquals": {"ses:FromAddress": SETTINGS.mail_from}}


@pytest.mark.parametrize("function", functions())
def test_scans_and_batch_calls_are_granted_only_on_tables_the_code_makes_them_on(
    function: str,
) -> None:
    reach = api_reach() if function == API else worker_reach(function)
    granted = {(named_resource(arn)[1], action) for arn, action in grants(function)
               if action in MODEL_CALLS.values()}
    assert granted <= reach.model_calls()


def test_the_api_may_erase_a_deleted_profiles_data() -> None:
    """Deleting a profile erases its partitions by batch writes (profiles/erasure.py): a
    grant the policy lacked would work on moto and be refused by AWS. (The API's static
    reach is wider than what its routes run, so it is not compared whole.)"""
    granted = set(grants(API))
    erased = {table("my-list"), table("user-titles"), table("viewing-history")}
    assert {(arn, "dynamodb:BatchWriteItem") for arn in erased} <= granted
    assert {(arn, "dynamodb:Query") for arn in erased} <= granted


def test_batch_and_scan_calls_are_all_model_class_calls() -> None:
    """Otherwise MODEL_CALL would miss some: no raw client calls, no calls on a variable."""
    pattern = re.compile(r"\.(scan|batch_get|batch_write|scan_table|batch_get_item|"
                         r"batch_write_item)\(")
    for path in [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "chalicelib").rglob("*.py")]:
        for line in path.read_text().splitlines():
            for match in pattern.finditer(line):
                assert MODEL_CALL.search(line[:match.end()]), f"{path}: {line.strip()}"
