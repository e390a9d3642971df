"""Account rules that need time or failures arranged: expiry, rehash, Redis down, the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from pynamodb.connection.base import Connection

from chalicelib.auth import passwords
from chalicelib.auth.principal import ClientInfo
from chalicelib.auth.resets import ResetTokens
from chalicelib.platform.config import Settings
from chalicelib.platform.errors import AppError
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.paths import PROJECT_ROOT
from localcloud.sidecars.redis import RedisSidecar
from tests.integration.auth_client import STRONG_PASSWORD, login, new_email, register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(resources: Resources) -> Services:
    return Services(resources)


def test_an_expired_reset_token_is_refused(services: Services) -> None:
    user = services.users.create(new_email(), "Expiring", passwords.hash_password(STRONG_PASSWORD))
    token = ResetTokens(ttl_seconds=1).issue(user.id, user.password_version)
    time.sleep(2.1)
    with pytest.raises(AppError) as info:
        services.accounts.resets.consume(token)
    assert info.value.code == "reset_token_invalid"


def test_a_reset_link_dies_when_the_password_changes_first(services: Services) -> None:
    user = services.users.create(new_email(), "Changer", passwords.hash_password(STRONG_PASSWORD))
    token = services.accounts.resets.issue(user.id, user.password_version)
    services.users.set_password_hash(user.id, passwords.hash_password("other-phrase-long-5"),
                                     new_version=True)
    with pytest.raises(AppError) as info:
        services.accounts.confirm_reset(token, "third-phrase-long-6")
    assert info.value.code == "reset_token_invalid"


def test_login_rehashes_a_hash_made_with_old_parameters(api_url: str, services: Services) -> None:
    account = register(api_url)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(account.password)
    services.users.set_password_hash(account.user["id"], old, new_version=False)
    assert login(api_url, account.email, account.password).status_code == 200
    stored = services.users.get(account.user["id"])
    assert stored is not None and stored.password_hash != old
    assert not passwords.needs_rehash(stored.password_hash)
    assert "m=65536,t=2,p=2" in stored.password_hash


def test_login_fails_closed_with_503_when_redis_is_down(
    api_with_private_redis: tuple[str, RedisSidecar],
) -> None:
    url, redis_server = api_with_private_redis
    account = register(url)
    redis_server.stop()
    response = login(url, account.email, account.password)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert httpx.get(f"{url}/api/me", headers=account.bearer).status_code == 503


def test_admin_create_prints_a_generated_password_once(
    api_url: str, stack_env: dict[str, str], settings: Settings
) -> None:
    email = new_email()
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix, "COLUMNS": "200"}
    notflix = str(Path(sys.executable).with_name("notflix"))
    result = subprocess.run([notflix, "admin", "create", "--email", email], env=env,
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    password = result.stdout.split("shown only now:")[1].split()[0]
    assert len(password) >= 20
    response = login(api_url, email, password)
    assert response.status_code == 200
    assert response.json()["user"]["roles"] == ["admin", "uploader", "viewer"]
    twice = subprocess.run([notflix, "admin", "create", "--email", email], env=env,
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert twice.returncode == 1 and "already exists" in twice.stdout


def test_a_refused_new_password_does_not_use_up_the_reset_link(services: Services) -> None:
    user = services.users.create(new_email(), "Keeper", passwords.hash_password(STRONG_PASSWORD))
    token = services.accounts.resets.issue(user.id, user.password_version)
    with pytest.raises(AppError) as info:
        services.accounts.confirm_reset(token, "short")
    assert info.value.code == "password_too_short"
    services.accounts.confirm_reset(token, "a-much-better-phrase-7")
    with pytest.raises(AppError) as again:
        services.accounts.confirm_reset(token, "yet-another-phrase-8")
    assert again.value.code == "reset_token_invalid"


def backend_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every DynamoDB operation (and its table) the test process makes from now on."""
    calls: list[tuple[str, str]] = []
    dispatch = Connection.dispatch

    def recording(self: Connection, operation_name: str, kwargs: dict[str, Any]) -> Any:
        calls.append((operation_name, str(kwargs.get("TableName", ""))))
        return dispatch(self, operation_name, kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    return calls


def test_a_login_makes_the_same_calls_for_a_known_and_an_unknown_email(
    services: Services, monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = services.users.create(new_email(), "Known", passwords.hash_password(STRONG_PASSWORD))
    calls = backend_calls(monkeypatch)
    made = []
    for email in (user.email, new_email()):
        calls.clear()
        with pytest.raises(AppError) as info:
            services.accounts.login(email, "wrong-password-xyz",
                                    ClientInfo(ip="192.0.2.44", user_agent="probe"))
        made.append((info.value.code, info.value.headers, list(calls)))
    assert made[0] == made[1]
    assert [op for op, _ in made[0][2]] == ["GetItem", "GetItem", "PutItem"]


def test_a_reset_request_makes_the_same_calls_for_a_known_and_an_unknown_email(
    services: Services, monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = services.users.create(new_email(), "Known", passwords.hash_password(STRONG_PASSWORD))
    calls = backend_calls(monkeypatch)
    sent: list[str] = []
    monkeypatch.setattr(services.accounts.reset_requests, "send", sent.append)
    client = ClientInfo(ip="192.0.2.45", user_agent="probe")
    services.accounts.request_reset(user.email, client)
    services.accounts.request_reset(new_email(), client)
    assert calls == []  # no lookup on the request path: the worker does it
    assert len(sent) == 2
