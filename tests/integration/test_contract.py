"""Contract fuzzing: schemathesis against the running API, as a visitor and as each role.

The API runs on this session's servers under its own resource prefix (own tables, queues,
buckets, local PayPal), so what the fuzzer changes (roles, subscriptions, imports, retention
runs, webhooks) cannot reach other tests. Every response must be no 5xx and match
/openapi.json: status code, content type, headers and body schema.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.aws import make_session
from chalicelib.config import Settings
from chalicelib.payments.plans import CATALOGUE
from infra.deployer import deploy
from localcloud.paypal_sim.pki import ensure_test_pki
from localcloud.paypal_sim.server import FakePayPal
from localcloud.stack import EmbeddedStack
from tests.conftest import API_TEST_ENV
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscriber
from tests.support import free_port, unique

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).parent.parent / "contract" / "schemathesis.toml"
#: No 5xx; status, content type, headers and body as documented; and what the document
#: calls invalid (wrong types, too long, unknown fields...) is refused with a 4xx.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,negative_data_rejection")
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
    paypal = FakePayPal(port=free_port(), pki=ensure_test_pki(tmp_path_factory.mktemp("pki")),
                        client_id="contract", client_secret=secrets.token_urlsafe(16),
                        webhook_url=f"http://127.0.0.1:{port}/webhooks/paypal",
                        webhook_id=f"WH-CONTRACT-{secrets.token_hex(4)}",
                        plans={plan_id: (price, currency) for _, price, currency, _, plan_id
                               in CATALOGUE.values()})
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
    seeded = subprocess.run([str(BIN / "notflix"), "seed"], env=env, capture_output=True,
                            text=True, timeout=600)
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


#: What each role fuzzes: a visitor every route; the others the routes their role opens.
SCOPES: dict[str, tuple[str, ...]] = {
    "visitor": (),
    "subscriber": ("me", "viewing", "payments", "catalogue"),
    "uploader": ("uploads", "operations"),
    "admin": ("operations", "admin", "auth"),
}


def fuzz(api: ContractApi, token: str | None, tags: tuple[str, ...],
         report: Path) -> tuple[int, str, dict[str, Any]]:
    argv = [str(BIN / "schemathesis"), "--config-file", str(CONFIG), "run",
            f"{api.url}/openapi.json", "--url", api.url, "--checks", CHECKS,
            "--max-examples", str(EXAMPLES), "--seed", "20261123",
            "--phases", "examples,coverage,fuzzing", "--workers", "1",
            "--request-timeout", "30", "--suppress-health-check", "all",
            "--report", "json", "--report-json-path", str(report), "--no-color"]
    for tag in tags:
        argv += ["--include-tag", tag]
    if token is not None:
        # Logging out would end the fuzzer's own session half-way through.
        argv += ["--header", f"Authorization: Bearer {token}",
                 "--exclude-path", "/api/auth/logout"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1200)
    report_data = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, done.stdout[-8000:], report_data


@pytest.mark.timeout(1800)
def test_every_role_gets_only_documented_non_5xx_answers(
        contract_api: ContractApi, tokens: dict[str, str | None], tmp_path: Path) -> None:
    requests = {}
    for role, token in tokens.items():
        code, output, report = fuzz(contract_api, token, SCOPES[role], tmp_path / f"{role}.json")
        assert code == 0 and report["failures"] == [], f"{role}:\n{output}"
        assert report["operations"]["tested"] == report["operations"]["selected"] > 0, output
        requests[role] = report["test_cases"]["generated"]
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
