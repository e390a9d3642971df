"""Accounts for fuzzing a running stack: one per role, made for the run.

They are written through the account service, not registered over HTTP: registration is
rate-limited per IP, and the fuzzer is one more caller on 127.0.0.1.
"""

from __future__ import annotations

import secrets

import httpx

from chalicelib.services import Services
from localcloud.paypal_sim.simulate import simulate

ROLES = {"subscriber": frozenset({"viewer"}), "uploader": frozenset({"uploader", "viewer"}),
         "admin": frozenset({"admin", "viewer"})}


def _account(services: Services, api_url: str, role: str) -> tuple[str, str]:
    """A new account's (email, session token)."""
    email = f"fuzz-{role}-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(18)
    services.accounts.create_with_roles(email, f"Fuzz {role}", password, ROLES[role])
    response = httpx.post(f"{api_url}/api/auth/login", timeout=60,
                          json={"email": email, "password": password})
    response.raise_for_status()
    return email, str(response.json()["token"])


def role_tokens(services: Services, api_url: str) -> dict[str, str | None]:
    """Session tokens of a visitor (none), a subscriber, an uploader and an admin."""
    tokens: dict[str, str | None] = {"visitor": None}
    for role in ROLES:
        email, tokens[role] = _account(services, api_url, role)
        if role == "subscriber":
            simulate(services, email, "ACTIVATED")  # through the local PayPal's webhook
    return tokens
