"""Contract fuzzing: schemathesis against the running API, as a visitor and as each role.

The API runs on this session's servers under its own resource prefix (own tables, queues,
buckets, local PayPal), so what the fuzzer changes (roles, subscriptions, imports, retention
runs, webhooks) cannot reach other tests. Every response must be no 5xx and match
/openapi.json: status code, content type, headers and body schema.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chalicelib.platform.aws import make_session
from chalicelib.platform.config import Settings
from infra.deployer import deploy
from localcloud.contract_fuzz import ALL_PHASES, BIN, CHECKS, CONFIG, fuzz
from localcloud.stack import EmbeddedStack
from tests.conftest import API_TEST_ENV
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscriber
from tests.support import free_port, local_paypal, unique

pytestmark = [pytest.mark.integration, pytest.mark.long_running]
#: Cases per operation and role; with the coverage phase this is well over 1,000 requests.
EXAMPLES = 6
MIN_REQUESTS = 1000


@dataclass(frozen=True)
class ContractApi:
    url: str
    settings: Settings
    env: dict[str, str]


@pytest.fixture(scope="module")
def contract_api(stack_env: dict[str, str], tmdb_env: dict[str, str],
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractApi]:
    port = free_port()
    paypal = local_paypal(tmp_path_factory.mktemp("pki"), client_id="contract",
                          webhook_url=f"http://127.0.0.1:{port}/webhooks/paypal",
                          port=free_port())
    paypal.start()
    env = {**stack_env, **API_TEST_ENV, **tmdb_env,
           "NOTFLIX_PAYPAL_BASE_URL": paypal.base_url, "NOTFLIX_PAYPAL_CLIENT_ID": "contract",
           "NOTFLIX_PAYPAL_CLIENT_SECRET": paypal.client_secret,
           "NOTFLIX_PAYPAL_WEBHOOK_ID": paypal.webhook_id,
           "NOTFLIX_PAYPAL_CA_BUNDLE": str(paypal.pki.ca_cert_path),
           "NOTFLIX_PAYPAL_CERT_HOSTS": f"127.0.0.1:{paypal.port}",
           "NOTFLIX_PREFIX": unique("nfc-"), "NOTFLIX_API_PORT": str(port)}
    settings = Settings.from_env(env)
    deploy(settings, make_session(settings))
    # 300 films and the demo series: browse, search and rankings have data to answer with
    seeded = subprocess.run([str(BIN / "notflix"), "seed", "--films", "300"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert seeded.returncode == 0, seeded.stdout[-3000:] + seeded.stderr[-3000:]
    api = EmbeddedStack(env=env, record_pids=False)
    api.start_api()
    try:
        yield ContractApi(api.api_url, settings, env)
    finally:
        api.stop()
        paypal.stop()


def grant(api: ContractApi, account: Account, roles: list[str]) -> None:
    """Roles written straight to the users table (no admin exists yet to grant them)."""
    dynamodb = make_session(api.settings).client(
        "dynamodb", endpoint_url=api.settings.aws_endpoint_url)
    dynamodb.update_item(TableName=api.settings.table_name("users"),
                         Key={"id": {"S": account.user["id"]}},
                         UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "roles"},
                         ExpressionAttributeValues={":r": {"SS": roles}})


@pytest.fixture(scope="module")
def tokens(contract_api: ContractApi) -> dict[str, str | None]:
    viewer, _ = subscriber(contract_api.url)
    uploader = register(contract_api.url)
    grant(contract_api, uploader, ["uploader", "viewer"])
    admin = register(contract_api.url)
    grant(contract_api, admin, ["admin", "viewer"])
    me = httpx.get(f"{contract_api.url}/api/me", headers=admin.bearer, timeout=30).json()
    assert me["roles"] == ["admin", "viewer"]
    return {"visitor": None, "subscriber": viewer.token, "uploader": uploader.token,
            "admin": admin.token}


@pytest.mark.timeout(1800)
def test_every_role_gets_only_documented_non_5xx_answers(
        contract_api: ContractApi, tokens: dict[str, str | None], tmp_path: Path) -> None:
    """The roles are fuzzed at the same time (one schemathesis process each), as real
    visitors, subscribers, uploaders and admins use the API at once."""
    with ThreadPoolExecutor(len(tokens)) as pool:
        runs = list(pool.map(
            lambda role: fuzz(contract_api.url, role, tokens[role], tmp_path / f"{role}.json",
                              examples=EXAMPLES, phases=ALL_PHASES), tokens))
    requests = {}
    for run in runs:
        assert run.ok, f"{run.role}:\n{run.output}"
        operations = run.report["operations"]
        assert operations["tested"] == operations["selected"] > 0, run.output
        requests[run.role] = run.generated
    assert all(requests.values()), requests
    assert sum(requests.values()) >= MIN_REQUESTS, requests


def test_the_fuzzer_catches_an_answer_the_document_does_not_describe(
        contract_api: ContractApi, tmp_path: Path) -> None:
    """The checks bite: a document that hides the 404 of a title makes the run fail."""
    document = httpx.get(f"{contract_api.url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/api/titles/{title_id}"]["get"]
    del operation["responses"]["404"]
    document["paths"] = {"/api/titles/{title_id}": {"get": operation}}
    narrowed = tmp_path / "narrowed.json"
    narrowed.write_text(json.dumps(document))
    done = subprocess.run(
        [str(BIN / "schemathesis"), "--config-file", str(CONFIG), "run", str(narrowed),
         "--url", contract_api.url, "--checks", CHECKS, "--max-examples", "5",
         "--seed", "1", "--phases", "coverage", "--no-color"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "Undocumented status code" in done.stdout and "404" in done.stdout
