"""Request bodies of the job and operations routes; unknown fields are refused.

These routes take JSON only, so numbers and booleans are strict: `false` is not 0, `"5"` is
not 5, `0` is not false.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class EncodeSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    only_latest: Annotated[bool, Field(strict=True)]
    cooldown_s: Annotated[int, Field(strict=True, ge=0, le=86_400)]


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: Annotated[bool, Field(strict=True)] = True
    days: Annotated[int, Field(strict=True, ge=0, le=3650)] | None = None
    keep_monthly: Annotated[bool, Field(strict=True)] | None = None


class RetentionRunForm(BaseModel):
    """The retention page's confirmation: the settings its dry run showed, and the word."""

    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(ge=0, le=3650)]
    keep_monthly: bool = False
    confirm: Literal["delete"]
