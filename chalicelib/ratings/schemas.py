"""Request bodies of the rating routes; unknown fields are refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ThumbIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Thumbs up (stored as 10) or down (stored as 1).
    thumb: Literal["up", "down"]


class ThumbForm(BaseModel):
    """The title page's and the end card's form: a thumb, or `clear` to take it back."""

    model_config = ConfigDict(extra="forbid")

    thumb: Literal["up", "down", "clear"]
