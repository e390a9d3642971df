"""Profiles in process: DynamoDB from the template in moto, Redis in fakeredis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.models import UserModel
from chalicelib.auth.principal import ClientInfo
from chalicelib.auth.users import User
from chalicelib.platform.errors import AppError
from chalicelib.profiles.migration import migrate
from chalicelib.profiles.models import ProfileModel
from chalicelib.profiles.service import ProfileChanges
from chalicelib.profiles.store import MAX_PROFILES
from chalicelib.services import Services
from localcloud.isolation import unique

CLIENT = ClientInfo(ip="198.51.100.30", user_agent="pytest")


def account(services: Services) -> tuple[User, str]:
    logged = services.accounts.register(f"{unique('prof-')}@example.com",
                                        "correct horse battery staple", "Ada", CLIENT)
    return logged.user, logged.token


def code(error: pytest.ExceptionInfo[AppError]) -> str:
    return error.value.code


def test_an_account_starts_with_its_main_profile_under_its_own_id(
        in_process: Services) -> None:
    user, _ = account(in_process)
    [main] = in_process.profiles.profiles(user)
    assert main.id == user.id and main.main and main.name == "Ada" and not main.kids
    assert UserModel.get(user.id).profile_count == 1


def test_at_most_five_even_when_created_at_once(in_process: Services) -> None:
    user, _ = account(in_process)
    main = in_process.profiles.profiles(user)[0]

    def add(n: int) -> str:
        try:
            return in_process.profiles.create(user, main, ProfileChanges(name=f"P{n}")).id
        except AppError as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(add, range(8)))
    assert len([o for o in outcomes if o.startswith("p-")]) == MAX_PROFILES - 1
    assert outcomes.count("profiles_full") == 8 - (MAX_PROFILES - 1)
    assert len(in_process.profiles.profiles(user)) == MAX_PROFILES
    assert UserModel.get(user.id).profile_count == MAX_PROFILES


def test_a_session_watches_as_the_chosen_profile_and_a_pin_guards_it(
        in_process: Services) -> None:
    user, token = account(in_process)
    main = in_process.profiles.profiles(user)[0]
    locked = in_process.profiles.create(user, main, ProfileChanges(name="Bo", pin="4321"))
    session = in_process.sessions.lookup(token)
    assert session is not None
    assert in_process.profiles.current(user, session).id == user.id

    with pytest.raises(AppError) as missing:
        in_process.profiles.choose(user, session, locked.id, None)
    assert code(missing) == "profile_pin_required"
    with pytest.raises(AppError) as wrong:
        in_process.profiles.choose(user, session, locked.id, "0000")
    assert code(wrong) == "profile_pin_wrong"
    in_process.profiles.choose(user, session, locked.id, "4321")
    session = in_process.sessions.lookup(token)
    assert session is not None and session.profile_id == locked.id
    assert in_process.profiles.current(user, session).id == locked.id
    # the guard hands the profile to every view: viewing data goes under its id
    principal = in_process.guard.authenticate(_bearer(token))
    assert principal is not None and principal.viewer_id == locked.id


def test_wrong_pins_are_throttled(in_process: Services) -> None:
    user, token = account(in_process)
    main = in_process.profiles.profiles(user)[0]
    locked = in_process.profiles.create(user, main, ProfileChanges(name="Cy", pin="1111"))
    session = in_process.sessions.lookup(token)
    assert session is not None
    codes = []
    for _ in range(7):
        with pytest.raises(AppError) as refused:
            in_process.profiles.choose(user, session, locked.id, "2222")
        codes.append(code(refused))
    assert codes[:5] == ["profile_pin_wrong"] * 5
    assert set(codes[5:]) == {"profile_pin_attempts"}
    with pytest.raises(AppError) as still:  # even the right PIN waits: no guessing on
        in_process.profiles.choose(user, session, locked.id, "1111")
    assert still.value.status == 429


def test_a_kids_profile_has_a_ceiling_and_cannot_manage_profiles(
        in_process: Services) -> None:
    user, _ = account(in_process)
    main = in_process.profiles.profiles(user)[0]
    kid = in_process.profiles.create(user, main, ProfileChanges(name="Kid", kids=True))
    assert kid.kids and kid.ceiling == "PG" and kid.ceiling_level == 3
    young = in_process.profiles.create(user, main, ProfileChanges(name="Tot", kids=True,
                                                                    ceiling="G"))
    assert young.ceiling_level == 1
    with pytest.raises(AppError) as refused:
        in_process.profiles.create(user, kid, ProfileChanges(name="Sneaky"))
    assert code(refused) == "kids_profile_restricted"
    with pytest.raises(AppError) as unkid:
        in_process.profiles.update(user, kid, kid.id, ProfileChanges(kids=False))
    assert code(unkid) == "kids_profile_restricted"
    with pytest.raises(AppError) as bad:
        in_process.profiles.create(user, main, ProfileChanges(name="X", kids=True,
                                                                ceiling="R"))
    assert bad.value.status == 422
    grown = in_process.profiles.update(user, main, kid.id, ProfileChanges(kids=False))
    assert not grown.kids and grown.ceiling_level is None


def test_deleting_a_profile_keeps_the_main_one_and_its_sessions_fall_back(
        in_process: Services) -> None:
    user, token = account(in_process)
    main = in_process.profiles.profiles(user)[0]
    other = in_process.profiles.create(user, main, ProfileChanges(name="Di"))
    session = in_process.sessions.lookup(token)
    assert session is not None
    in_process.profiles.choose(user, session, other.id, None)
    with pytest.raises(AppError) as refused:
        in_process.profiles.delete(user, main, user.id)
    assert code(refused) == "profile_is_main"
    in_process.profiles.delete(user, main, other.id)
    after = in_process.sessions.lookup(token)
    assert after is not None and after.profile_id is None  # watches as the main one again
    with pytest.raises(AppError) as gone:
        in_process.profiles.delete(user, main, other.id)
    assert gone.value.status == 404
    session = in_process.sessions.lookup(token)
    assert session is not None
    assert in_process.profiles.current(user, session).id == user.id
    assert UserModel.get(user.id).profile_count == 1


def test_the_migration_gives_old_accounts_a_main_profile_holding_what_they_watched(
        in_process: Services) -> None:
    # an account as it was before profiles: no profile item, no count, a resume point
    old = in_process.users.create(f"{unique('old-')}@example.com", "Old Timer", "x")
    in_process.resume.save(old.id, "wd-tt0000001", 600.0, 6000.0, 0.1, datetime.now(UTC))
    with pytest.raises(ProfileModel.DoesNotExist):
        ProfileModel.get(old.id, old.id)

    first = migrate(in_process.profiles.store)
    assert first.created >= 1
    assert ProfileModel.get(old.id, old.id).name == "Old Timer"
    again = migrate(in_process.profiles.store)
    assert again.created == 0 and again.already == again.accounts
    assert UserModel.get(old.id).profile_count == 1

    [main] = in_process.profiles.profiles(old)
    point = in_process.resume.get(main.id, "wd-tt0000001")
    assert point is not None and point["resume_s"] == 600.0  # everything is the main's


def _bearer(token: str) -> Any:
    """What the guard reads of a request: its headers."""
    return SimpleNamespace(method="GET", headers={"authorization": f"Bearer {token}"})


def test_a_sessions_ceiling_follows_its_profile_without_reading_it(
        in_process: Services) -> None:
    user, token = account(in_process)
    main = in_process.profiles.profiles(user)[0]
    kid = in_process.profiles.create(user, main, ProfileChanges(name="Kid", kids=True))
    session = in_process.sessions.lookup(token)
    assert session is not None
    in_process.profiles.choose(user, session, kid.id, None)
    principal = in_process.guard.authenticate(_bearer(token))
    assert principal is not None and principal.ceiling == 3 and principal.viewer_id == kid.id
    in_process.profiles.update(user, main, kid.id, ProfileChanges(ceiling="G"))
    principal = in_process.guard.authenticate(_bearer(token))
    assert principal is not None and principal.ceiling == 1
    in_process.profiles.update(user, main, kid.id, ProfileChanges(kids=False))
    principal = in_process.guard.authenticate(_bearer(token))
    assert principal is not None and principal.ceiling is None
    assert principal.profile is not None and principal.profile.name == "Kid"
