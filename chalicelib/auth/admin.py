"""Creating staff accounts: always with a generated password, never a default one."""

from __future__ import annotations

import secrets

from pydantic import EmailStr, TypeAdapter, ValidationError

from chalicelib.auth.service import AccountService
from chalicelib.auth.users import ROLES, User
from chalicelib.platform.errors import catalogued

_EMAIL = TypeAdapter(EmailStr)


def create_admin(accounts: AccountService, email: str, display_name: str) -> tuple[User, str]:
    """The new admin (every role) and its random password (~144 bits)."""
    try:
        email = _EMAIL.validate_python(email)
    except ValidationError as exc:
        raise catalogued("validation_failed", details=[
            {"field": "email", "message": "not a valid email address"}]) from exc
    password = secrets.token_urlsafe(18)
    user = accounts.create_with_roles(email, display_name, password, frozenset(ROLES))
    return user, password
