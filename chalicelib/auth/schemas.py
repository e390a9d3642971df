"""Request bodies of the auth routes; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=80)]
#: Length limits are the policy's (with its own messages); this only bounds the work.
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class RegisterIn(Strict):
    email: EmailStr
    password: Password
    display_name: DisplayName


class LoginIn(Strict):
    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Password


class ProfilePatch(Strict):
    display_name: DisplayName


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password


class ResetRequestIn(Strict):
    email: EmailStr


class ResetConfirmIn(Strict):
    token: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password


class RolesIn(Strict):
    roles: Annotated[list[str], Field(min_length=1, max_length=3)]
