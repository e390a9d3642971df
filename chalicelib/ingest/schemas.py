"""Request bodies of the ingest routes; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.viewing.schemas import TitleId

Actor = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                         pattern=r"^[A-Za-z0-9][A-Za-z0-9@._:-]*$")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    actors: Annotated[list[Actor], Field(min_length=1, max_length=50)]


class IngestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: Actor
    key: Annotated[str, StringConstraints(min_length=1, max_length=900)]
    title_id: TitleId | None = None
    episode: Annotated[str, StringConstraints(pattern=r"^[Ss]\d{1,4}[Ee]\d{1,4}$")] | None = None
