"""`chalice package` turns the app into a CloudFormation (SAM) template that cfn-lint accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from localcloud.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent


def test_chalice_package_cloudformation_passes_cfn_lint(tmp_path: Path) -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    out = tmp_path / "package"
    subprocess.run([str(BIN / "chalice"), "package", "--pkg-format", "cloudformation",
                    "--stage", "dev", str(out)], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    template = json.loads((out / "sam.json").read_text())
    assert template["Resources"]["APIHandler"]["Type"] == "AWS::Serverless::Function"
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTFLIX_TARGET"] == "aws"
    assert (out / "deployment.zip").stat().st_size > 0
    lint = subprocess.run([str(BIN / "cfn-lint"), str(out / "sam.json")], capture_output=True,
                          text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout
