"""The player's beacon: a small batch of events for one play; unknown fields are refused.

Numbers are bounded (a start-up of more than 10 minutes or a 10-minute rebuffer in a 10 s
batch is a client bug, not a measurement) and strict (`"12"` is not 12), strings short,
a batch holds at most 64 events, and a batch has at most one start and at most one exit
before the first frame, never both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.viewing.schemas import PlayId

Rendition = Annotated[str, StringConstraints(min_length=1, max_length=16,
                                             pattern=r"^[A-Za-z0-9_.-]+$")]
MAX_EVENTS = 64
TEN_MINUTES_MS = 600_000
AN_HOUR_MS = 3_600_000


def millis(maximum: int) -> object:
    return Field(strict=True, ge=0, le=maximum)


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Start(Event):
    type: Literal["start"]
    #: From the click on Play (or the page's opening) to the first frame on screen.
    startup_ms: Annotated[int, millis(TEN_MINUTES_MS)]
    rendition: Rendition


class Rebuffer(Event):
    type: Literal["rebuffer"]
    ms: Annotated[int, millis(TEN_MINUTES_MS)]
    rendition: Rendition | None = None


class Switch(Event):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["switch"]
    from_rendition: Rendition = Field(alias="from")
    to_rendition: Rendition = Field(alias="to")


class RenditionTime(Event):
    type: Literal["rendition_time"]
    rendition: Rendition
    ms: Annotated[int, millis(AN_HOUR_MS)]


class DroppedFrames(Event):
    type: Literal["dropped_frames"]
    #: Frames dropped since the play's previous report.
    frames: Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
    rendition: Rendition | None = None


class PlayerError(Event):
    type: Literal["error"]
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    message: Annotated[str, StringConstraints(max_length=200)] = ""
    #: Before the first frame: the play failed to start (unless it starts after all).
    before_start: bool = False


class ExitBeforeStart(Event):
    type: Literal["exit_before_start"]
    waited_ms: Annotated[int, millis(AN_HOUR_MS)]


PlaybackEvent = Annotated[Start | Rebuffer | Switch | RenditionTime | DroppedFrames
                          | PlayerError | ExitBeforeStart, Field(discriminator="type")]


class PlaybackEventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The play id of the play grant (`GET /api/titles/{id}/play`).
    play_id: PlayId
    #: The batch's number within its play (0, 1, 2...): a batch sent twice counts once.
    seq: Annotated[int, Field(strict=True, ge=0, le=100_000)]
    events: Annotated[list[PlaybackEvent], Field(min_length=1, max_length=MAX_EVENTS)]

    @model_validator(mode="after")
    def one_outcome(self) -> PlaybackEventsIn:
        kinds = [e.type for e in self.events]
        if kinds.count("start") > 1 or kinds.count("exit_before_start") > 1:
            raise ValueError("a play has at most one start and one exit before its start")
        if "start" in kinds and "exit_before_start" in kinds:
            raise ValueError("a play either starts or is left before its start, not both")
        return self
