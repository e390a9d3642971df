"""Accounts for fuzzing a running stack: one per role, made for the run."""

from __future__ import annotations

import secrets

import httpx

from chalicelib.services import Services
from localcloud.paypal_sim.simulate import simulate


def _register(api_url: str, label: str) -> tuple[str, str]:
    """A new account's (email, session token)."""
    email = f"fuzz-{label}-{secrets.token_hex(4)}@example.com"
    response = httpx.post(f"{api_url}/api/auth/register", timeout=60, json={
        "email": email, "password": secrets.token_urlsafe(18), "display_name": f"Fuzz {label}"})
    response.raise_for_status()
    return email, str(response.json()["token"])


def role_tokens(services: Services, api_url: str) -> dict[str, str | None]:
    """Session tokens of a visitor (none), a subscriber, an uploader and an admin."""
    email, subscriber = _register(api_url, "subscriber")
    simulate(services, email, "ACTIVATED")  # subscribed through the local PayPal's webhook
    tokens: dict[str, str | None] = {"visitor": None, "subscriber": subscriber}
    for role in ("uploader", "admin"):
        email, token = _register(api_url, role)
        user = services.users.get_by_email(email)
        assert user is not None
        services.accounts.set_roles(user.id, [role, "viewer"])
        tokens[role] = token
    return tokens
