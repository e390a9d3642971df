"""Request bodies of the upload routes; unknown fields are refused, numbers are strict."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.viewing.schemas import TitleId

ContentType = Annotated[str, StringConstraints(min_length=3, max_length=100,
                                               pattern=r"^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+$")]
ETag = Annotated[str, StringConstraints(min_length=1, max_length=80,
                                        pattern=r'^"?[A-Za-z0-9-]+"?$')]
PartNumber = Annotated[int, Field(strict=True, ge=1, le=10_000)]


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: ContentType
    size: Annotated[int, Field(strict=True, ge=1)]
    title_id: TitleId | None = None
    #: For a series: the episode, as ``S1E3``.
    episode: Annotated[str, StringConstraints(pattern=r"^[Ss]\d{1,4}[Ee]\d{1,4}$")] | None = None
    #: The file's last-modified time in ms since 1970 (what a resuming client matches on).
    last_modified: Annotated[int, Field(strict=True, ge=0)] | None = None


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_numbers: Annotated[list[PartNumber], Field(min_length=1, max_length=100)]


class PartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_number: PartNumber
    etag: ETag


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: Annotated[list[PartIn], Field(min_length=1, max_length=10_000)]


class NewTitleIn(BaseModel):
    """A title an uploader creates to upload to (and then holds)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["film", "series"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    year: Annotated[int, Field(strict=True, ge=1870, le=2100)] | None = None
    overview: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
