"""The local PayPal's command line survives any credentials the install drew."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud import paths
from localcloud.paypal_sim.server import arguments
from localcloud.sidecars.paypal import PayPalSidecar


@pytest.mark.parametrize("secret", ["-rkJGxEypyDNCofetPHvaf4NCpBltnhW", "--help", "plain_Secret"])
def test_the_server_gets_the_secret_whatever_it_starts_with(
        secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTFLIX_LOCAL_DIR", str(tmp_path))
    credentials = paths.sub_dir("paypal") / "credentials.json"
    credentials.write_text(json.dumps({"client_id": "-local", "client_secret": secret,
                                       "webhook_id": "WH-LOCAL-1"}))

    command = PayPalSidecar(port=8123).command()
    parsed = arguments(command[3:])  # after `python -m localcloud.paypal_sim.server`

    assert (parsed.client_secret, parsed.client_id, parsed.port) == (secret, "-local", 8123)
