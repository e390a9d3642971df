"""Request bodies of the auth routes; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.auth.users import normalise_email

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


def _not_blank(email: str) -> str:
    """Login takes any text as the email (an unknown one is just a failed login), but not
    one that is empty once normalised: there is nothing to look up."""
    if not normalise_email(email):
        raise ValueError("enter the email address of your account")
    return email


class LoginIn(Strict):
    email: Annotated[str, Field(min_length=1, max_length=320), AfterValidator(_not_blank)]
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
