"""The local PayPal (`localcloud.paypal_sim.server`) as a sidecar of the embedded stack."""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from localcloud import paths
from localcloud.ports import LOOPBACK
from localcloud.sidecars.base import ProgressFn, Sidecar, no_progress


@dataclass(frozen=True)
class PayPalCredentials:
    client_id: str
    client_secret: str
    webhook_id: str


def credentials() -> PayPalCredentials:
    """Random per install, kept in `.local/paypal/credentials.json` (0600)."""
    path = paths.sub_dir("paypal") / "credentials.json"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(json.dumps({
            "client_id": f"local-{secrets.token_hex(8)}",
            "client_secret": secrets.token_urlsafe(24),
            "webhook_id": f"WH-LOCAL-{secrets.token_hex(6).upper()}",
        }))
    return PayPalCredentials(**json.loads(path.read_text()))


def pki_dir() -> Path:
    return paths.sub_dir("paypal", "pki")


@dataclass
class PayPalSidecar(Sidecar):
    name: str = "paypal"
    port: int = 8025
    port_env: str = "NOTFLIX_PAYPAL_PORT"
    webhook_url: str = "http://127.0.0.1:8000/webhooks/paypal"

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def ensure_installed(self, progress: ProgressFn = no_progress) -> None:
        from localcloud.paypal_sim.pki import ensure_test_pki

        ensure_test_pki(pki_dir())
        progress(1, 1, "local PayPal (test certificate authority ready)")

    def command(self) -> list[str]:
        creds = credentials()
        # `--name=value`: a random secret may start with "-", which argparse would otherwise
        # take for an option (token_urlsafe draws "-" as a first character 1 time in 64)
        return [sys.executable, "-m", "localcloud.paypal_sim.server", f"--port={self.port}",
                f"--pki-dir={pki_dir()}", f"--client-id={creds.client_id}",
                f"--client-secret={creds.client_secret}", f"--webhook-url={self.webhook_url}",
                f"--webhook-id={creds.webhook_id}"]

    def is_healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/certs/webhook-chain.pem", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def app_env(self) -> dict[str, str]:
        """What the API needs to use this PayPal and trust its test CA (local mode only)."""
        from localcloud.paypal_sim.pki import ensure_test_pki

        creds = credentials()
        return {
            "NOTFLIX_PAYPAL_BASE_URL": self.base_url,
            "NOTFLIX_PAYPAL_CLIENT_ID": creds.client_id,
            "NOTFLIX_PAYPAL_CLIENT_SECRET": creds.client_secret,
            "NOTFLIX_PAYPAL_WEBHOOK_ID": creds.webhook_id,
            "NOTFLIX_PAYPAL_CA_BUNDLE": str(ensure_test_pki(pki_dir()).ca_cert_path),
            "NOTFLIX_PAYPAL_CERT_HOSTS": f"{LOOPBACK}:{self.port}",
        }
