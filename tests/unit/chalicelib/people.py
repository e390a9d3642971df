"""Signed-in users for the in-process service tests (no account behind them)."""

from __future__ import annotations

from chalicelib.auth.users import User
from localcloud.isolation import unique


def person(*roles: str) -> User:
    """A user with these roles and a unique id and email."""
    user_id = unique("user-")
    return User(id=user_id, email=f"{user_id}@example.com", display_name="Someone",
                roles=frozenset(roles), created_at="", updated_at="", password_hash="",
                password_version=1)
