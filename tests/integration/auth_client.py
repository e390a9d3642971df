"""Helpers for tests that use the accounts API over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from tests.support import unique

if TYPE_CHECKING:
    from chalicelib.services import Services

STRONG_PASSWORD = "violet-harbour-quiet-42"


@dataclass
class Account:
    email: str
    password: str
    token: str
    user: dict[str, Any]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_email() -> str:
    return f"{unique('user-')}@example.com"


def register(api_url: str, email: str | None = None, password: str = STRONG_PASSWORD,
             name: str = "Test Viewer") -> Account:
    email = email or new_email()
    response = httpx.post(f"{api_url}/api/auth/register",
                          json={"email": email, "password": password, "display_name": name},
                          timeout=30)
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(email, password, body["token"], body["user"])


def register_as(api_url: str, services: Services, *roles: str) -> Account:
    """A new account holding `roles` (granted straight in the users table)."""
    account = register(api_url)
    services.accounts.set_roles(account.user["id"], list(roles))
    return account


def assign_titles(services: Services, account: Account | str, *title_ids: str) -> None:
    """Put titles on an uploader's upload list (straight in the table, as an admin's grant
    through ``PUT /api/admin/users/{id}/upload-access/{title}`` would)."""
    user_id = account if isinstance(account, str) else account.user["id"]
    grantor = services.users.get(user_id)
    assert grantor is not None, user_id
    for title_id in title_ids:
        services.upload_access.grant(user_id, title_id, grantor)


def login(api_url: str, email: str, password: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{api_url}/api/auth/login", json={"email": email, "password": password},
                      timeout=30, **kwargs)


def sent_mail(aws_endpoint: str, to: str) -> list[dict[str, Any]]:
    """Messages the emulator's SES accepted for `to`, oldest first, as
    ``{"to", "subject", "body"}``.

    Read from `GET /_aws/ses` (LocalStack's endpoint; localcloud.emulator.mailbox gives moto the
    same one), never from moto's `/moto-api/data.json`, which dumps every service and fails
    once any of them holds state it cannot dump.
    """
    response = httpx.get(f"{aws_endpoint}/_aws/ses", timeout=10)
    response.raise_for_status()
    return [{"to": m["Destination"].get("ToAddresses", []), "subject": m.get("Subject", ""),
             "body": (m.get("Body") or {}).get("text_part") or ""}
            for m in response.json()["messages"]
            if to in m.get("Destination", {}).get("ToAddresses", [])]
