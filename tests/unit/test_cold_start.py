"""Importing the app (a Lambda's init) must not load the SDKs only some requests need."""

from __future__ import annotations

import os
import subprocess
import sys

from localcloud.paths import PROJECT_ROOT

DEFERRED = ("redis", "neo4j", "pydantic", "httpx", "cryptography", "argon2", "pynamodb",
            "aws_lambda_powertools.utilities.idempotency")


def test_app_import_defers_per_route_dependencies() -> None:
    code = ("import sys, app; print(' '.join(m for m in " + repr(DEFERRED)
            + " if m in sys.modules))")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == ""
