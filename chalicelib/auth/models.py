"""DynamoDB tables of the auth domain (pynamodb), named from the settings at bind time."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.models import Model


class UserModel(Model):
    class Meta:
        table_name = "users"

    id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    roles = UnicodeSetAttribute()
    password_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    #: Bumped on every password change; lets a reset link die with the password it replaced.
    password_version = NumberAttribute(default=1)
    #: How many profiles the account has (kept by the profiles' own transactions).
    profile_count = NumberAttribute(null=True)


class UserEmailModel(Model):
    """Uniqueness guard: one item per normalised email, written with the user atomically."""

    class Meta:
        table_name = "user-emails"

    email = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


class LoginEventModel(Model):
    class Meta:
        table_name = "login-history"

    user_id = UnicodeAttribute(hash_key=True)
    #: ISO 8601 UTC time plus a short random suffix: sorts by time, never collides.
    at = UnicodeAttribute(range_key=True)
    ip = UnicodeAttribute()
    user_agent = UnicodeAttribute()
    success = UnicodeAttribute()  # "true" / "false": readable in the console and exports
    expiration = NumberAttribute()


class PasswordResetModel(Model):
    class Meta:
        table_name = "password-resets"

    token_hash = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    password_version = NumberAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds; checked in the conditional update
    used_at = UnicodeAttribute(null=True)
    expiration = NumberAttribute()  # DynamoDB TTL removes it a day after expiry


AUTH_MODELS: dict[type[Model], str] = {
    UserModel: "users",
    UserEmailModel: "user-emails",
    LoginEventModel: "login-history",
    PasswordResetModel: "password-resets",
}
