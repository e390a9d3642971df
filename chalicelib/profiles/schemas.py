"""Request bodies of the profile routes; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib.profiles.maturity import KIDS_CEILINGS
from chalicelib.profiles.store import AVATARS

ProfileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=40)]
Pin = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
Avatar = Literal[AVATARS]  # type: ignore[valid-type]
Ceiling = Literal[KIDS_CEILINGS]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=256)


class ProfileIn(Strict):
    name: ProfileName
    avatar: Avatar | None = None
    kids: bool = False
    #: A kids profile's ceiling (default PG).
    maturity_ceiling: Ceiling | None = None
    #: A 4-digit PIN asked for when choosing the profile ("" or none: no PIN).
    pin: Pin | Literal[""] | None = None


class ProfilePatchIn(Strict):
    name: ProfileName | None = None
    avatar: Avatar | None = None
    kids: bool | None = None
    maturity_ceiling: Ceiling | None = None
    #: A new PIN ("" or none keeps the PIN it has).
    pin: Pin | Literal[""] | None = None
    remove_pin: bool = False


class ChooseIn(Strict):
    pin: Pin | Literal[""] | None = None


class MaturityIn(Strict):
    #: The title's rating on the scale (MPAA or US TV); "" makes it unrated again.
    rating: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)]
