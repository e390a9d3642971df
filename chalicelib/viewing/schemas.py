"""Request bodies of the viewing routes; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TitleId = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                           pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
PlayId = Annotated[str, StringConstraints(min_length=8, max_length=64,
                                          pattern=r"^[A-Za-z0-9_-]+$")]
#: A day is longer than any title (and keeps bad clocks out of the history).
MAX_DURATION_S = 86_400.0


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_id: TitleId
    #: Numbers only (strict): `false` or `"12"` is a client bug, not a position of 0 or 12.
    position_s: Annotated[float, Field(strict=True, ge=0, le=MAX_DURATION_S,
                                       allow_inf_nan=False)]
    duration_s: Annotated[float, Field(strict=True, gt=0, le=MAX_DURATION_S,
                                       allow_inf_nan=False)]
    #: One per playback (the player makes it when it starts): plays are counted by it.
    play_id: PlayId | None = None
    #: For a series: which episode, as ``S1E3``.
    episode: Annotated[str, StringConstraints(pattern=r"^[Ss]\d{1,4}[Ee]\d{1,4}$")] | None = None
