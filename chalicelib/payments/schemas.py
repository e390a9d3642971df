"""Request bodies of the payments routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.auth.schemas import Strict


class SubscribeIn(Strict):
    plan: Annotated[str, Field(min_length=1, max_length=40)]
