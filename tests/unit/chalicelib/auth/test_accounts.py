"""The account service's rules, in process: DynamoDB from the template in moto, Redis in
fakeredis. The same flows run over HTTP against the real servers in tests/integration."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import ClientInfo
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from localcloud.isolation import unique

CLIENT = ClientInfo(ip="198.51.100.20", user_agent="pytest")
PASSWORD = "correct horse battery staple"


def email() -> str:
    return f"{unique('acct-')}@example.com"


def test_registering_opens_a_session_that_finds_the_user(in_process: Services) -> None:
    address = email()
    logged_in = in_process.accounts.register(address.upper(), PASSWORD, "Ada", CLIENT)

    assert logged_in.user.email == address  # stored normalised
    session = in_process.sessions.lookup(logged_in.token)
    assert session is not None and session.user_id == logged_in.user.id
    assert in_process.users.get_by_email(address) == logged_in.user


def test_an_email_is_taken_once(in_process: Services) -> None:
    address = email()
    in_process.accounts.register(address, PASSWORD, "Ada", CLIENT)
    with pytest.raises(AppError) as refused:
        in_process.accounts.register(address, PASSWORD, "Ada again", CLIENT)
    assert refused.value.status == 409


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
        in_process: Services) -> None:
    address = email()
    in_process.accounts.register(address, PASSWORD, "Ada", CLIENT)
    answers = []
    for who, password in ((address, "not the password at all"), (email(), PASSWORD)):
        with pytest.raises(AppError) as refused:
            in_process.accounts.login(who, password, CLIENT)
        answers.append((refused.value.status, refused.value.code))
    assert answers == [(401, "invalid_credentials")] * 2


def test_repeated_failures_lock_the_account_and_ip_pair(in_process: Services) -> None:
    address = email()
    in_process.accounts.register(address, PASSWORD, "Ada", CLIENT)
    stranger = ClientInfo(ip="203.0.113.77", user_agent="pytest")
    rules = in_process.settings
    for _ in range(rules.login_max_failures):
        with pytest.raises(AppError):
            in_process.accounts.login(address, "wrong wrong wrong", stranger)
    with pytest.raises(AppError) as locked:
        in_process.accounts.login(address, PASSWORD, stranger)
    assert locked.value.status == 429
    assert int(locked.value.headers["Retry-After"]) >= 1
    # the owner's own network is not locked by a stranger's failures
    assert in_process.accounts.login(address, PASSWORD, CLIENT).user.email == address


def test_changing_the_password_ends_every_other_session(in_process: Services) -> None:
    address = email()
    first = in_process.accounts.register(address, PASSWORD, "Ada", CLIENT)
    second = in_process.accounts.login(address, PASSWORD, CLIENT)
    session = in_process.sessions.lookup(first.token)
    assert session is not None

    in_process.accounts.change_password(first.user, session, PASSWORD,
                                        "an entirely new passphrase", CLIENT)

    assert in_process.sessions.lookup(first.token) is not None
    assert in_process.sessions.lookup(second.token) is None
    with pytest.raises(AppError):
        in_process.accounts.login(address, PASSWORD, CLIENT)
    assert in_process.accounts.login(address, "an entirely new passphrase", CLIENT)


def test_roles_are_checked_and_the_user_must_exist(in_process: Services) -> None:
    user = in_process.accounts.register(email(), PASSWORD, "Ada", CLIENT).user
    assert in_process.accounts.set_roles(user.id, ["uploader", "viewer"]).roles == \
        frozenset({"uploader", "viewer"})
    with pytest.raises(AppError) as unknown_role:
        in_process.accounts.set_roles(user.id, ["emperor"])
    assert unknown_role.value.status == 422
    with pytest.raises(AppError) as nobody:
        in_process.accounts.set_roles(unique("no-such-user-"), ["viewer"])
    assert nobody.value.status == 404
