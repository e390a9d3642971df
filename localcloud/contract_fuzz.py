"""Fuzz a running API with schemathesis, as a visitor and as each role.

Shared by the contract test (`tests/integration/app/test_contract.py`, a private API) and by
`notflix fuzz` (the stack `make run` started, as an outside attacker would meet it). Every
answer must be no 5xx and match `/openapi.json`: status, content type, headers and body, and
what the document calls invalid must be refused with a 4xx.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
CONFIG = Path(__file__).resolve().parent.parent / "tests" / "contract" / "schemathesis.toml"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,negative_data_rejection")
#: Every phase schemathesis has; `stateful` chains operations through the links it infers
#: (from response schemas, path parameters and the Location headers the other phases saw).
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
#: What each role fuzzes: a visitor every route; the others the routes their role opens.
SCOPES: dict[str, tuple[str, ...]] = {
    "visitor": (),
    "subscriber": ("me", "viewing", "payments", "catalogue"),
    "uploader": ("uploads", "operations"),
    "admin": ("operations", "admin", "auth"),
}


@dataclass(frozen=True)
class FuzzRun:
    role: str
    returncode: int
    output: str
    report: dict[str, Any]

    @property
    def failures(self) -> list[Any]:
        return list(self.report.get("failures", [])) if self.report else ["no report"]

    @property
    def generated(self) -> int:
        return int((self.report.get("test_cases") or {}).get("generated", 0))

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures


def fuzz(api_url: str, role: str, token: str | None, report: Path, *, examples: int,
         phases: tuple[str, ...], seed: int = 20261123, timeout_s: int = 1800) -> FuzzRun:
    argv = [str(BIN / "schemathesis"), "--config-file", str(CONFIG), "run",
            f"{api_url}/openapi.json", "--url", api_url, "--checks", CHECKS,
            "--max-examples", str(examples), "--seed", str(seed),
            "--phases", ",".join(phases), "--workers", "1",
            "--request-timeout", "30", "--suppress-health-check", "all",
            "--report", "json", "--report-json-path", str(report), "--no-color"]
    for tag in SCOPES[role]:
        argv += ["--include-tag", tag]
    if token is not None:
        # Logging out would end the fuzzer's own session half-way through.
        argv += ["--header", f"Authorization: Bearer {token}",
                 "--exclude-path", "/api/auth/logout"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    data = json.loads(report.read_text()) if report.exists() else {}
    return FuzzRun(role, done.returncode, done.stdout[-8000:] + done.stderr[-2000:], data)
