"""moto's HTTP server on the LocalStack edge port: S3, SQS, DynamoDB, SES, CloudFormation."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import httpx

from localcloud.ports import LOOPBACK
from localcloud.sidecars.base import ProgressFn, Sidecar, no_progress


@dataclass
class MotoSidecar(Sidecar):
    name: str = "moto"
    port: int = 4566
    port_env: str = "NOTFLIX_AWS_PORT"

    def ensure_installed(self, progress: ProgressFn = no_progress) -> None:
        # moto[server] is a Python dependency of the project: installing the venv installs it.
        progress(1, 1, "moto server (from the virtualenv)")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "localcloud.emulator.main", "-H", LOOPBACK,
                "-p", str(self.port)]

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def is_healthy(self) -> bool:
        try:
            # S3's ListBuckets: a small answer whatever the emulator holds (/moto-api/data.json
            # dumps every table and queue, which takes seconds once a catalogue is loaded)
            response = httpx.get(f"{self.endpoint}/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
