"""Serve a title's posters: the generated SVG, and the address of its own poster frame.

Both are public (they sell the title, like imported artwork): a poster frame is reached by a
short-lived signed S3 URL without the subscription check the streams have.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.catalogue.titles.browse import find_title
from chalicelib.catalogue.titles.models import EpisodeModel, TitleModel, str_list
from chalicelib.catalogue.titles.poster_svg import poster_svg

ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
#: Bumped when the drawing changes, so that cached posters are drawn again.
DRAWING_VERSION = "1"


@dataclass(frozen=True)
class GeneratedPoster:
    body: str
    #: A strong validator of the body (quoted, as HTTP wants it).
    etag: str


def frame_key(title: TitleModel) -> str | None:
    """The S3 key of the title's poster frame (a series: its first playable episode's)."""
    asset: Any = title.asset
    if isinstance(asset, dict) and asset.get("kind") == "episodes":
        episode = next(iter(EpisodeModel.query(
            title.id, filter_condition=EpisodeModel.asset.exists())),
                       None)
        asset = episode.asset if episode is not None else None
    asset_id = str(asset.get("asset_id", "")) if isinstance(asset, dict) else ""
    return f"media/{asset_id}/poster.jpg" if ASSET_ID.match(asset_id) else None


class Artwork:
    def __init__(self, s3: Any, media_bucket: str, url_seconds: int = 3600) -> None:
        self.s3 = s3
        self.media_bucket = media_bucket
        self.url_seconds = url_seconds

    @staticmethod
    def generated(title_id: str) -> GeneratedPoster:
        """The generated poster of a title (404 ``title_not_found`` for an unknown id)."""
        title = find_title(title_id)
        body = poster_svg(title.id, title.name,
                          int(title.year) if title.year is not None else None,
                          str_list(title.genres))
        digest = hashlib.sha256(f"{DRAWING_VERSION}\n{body}".encode()).hexdigest()[:32]
        return GeneratedPoster(body, f'"{digest}"')

    def frame_url(self, title_id: str) -> str | None:
        """A signed URL of the title's poster frame; None when it has no stream yet."""
        key = frame_key(find_title(title_id))
        if key is None:
            return None
        url: str = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.media_bucket, "Key": key},
            ExpiresIn=self.url_seconds)
        return url
