"""Playable titles and subscribers for the in-process tests of viewing and playback.

Titles are written through the catalogue writer and made playable with ``attach_asset``, as
the encoder's publish step does; a subscriber's subscription is written as PayPal's events
leave it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.platform.clock import iso, now
from chalicelib.services import Services
from localcloud.isolation import unique


def asset(duration_s: float = 600.0) -> dict[str, Any]:
    """An encoded stream's summary, as the encoder attaches it."""
    return {"asset_id": uuid.uuid4().hex, "manifest": "manifest.mpd", "duration_s": duration_s,
            "renditions": [{"name": "360p", "width": 640, "height": 360, "bitrate": 800_000},
                           {"name": "720p", "width": 1280, "height": 720,
                            "bitrate": 2_500_000}],
            "subtitles": [{"language": "en", "file": "subtitles-en.vtt"},
                          {"language": "fr", "file": "subtitles-fr.vtt"}]}


def film(services: Services, *, playable: bool = True, name: str | None = None,
         stream: dict[str, Any] | None = None) -> str:
    title_id = unique("film-")
    services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name=name or f"Film {title_id}", source="generated",
        year=2001, genres=("Drama",), countries=("FR",))])
    if playable:
        assert attach_asset(title_id, stream or asset())
    return title_id


def series(services: Services, playable: tuple[int, ...] = (1, 3)) -> str:
    """Season 1 of three episodes (Pilot, Middle, Finale); `playable` ones have streams."""
    title_id = unique("series-")
    services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="series", name=f"Serial {title_id}", source="generated", year=2025,
        seasons=(Season(number=1, name="One", episode_count=3, episodes=(
            Episode(1, "Pilot"), Episode(2, "Middle"), Episode(3, "Finale"))),))])
    for number in playable:
        assert attach_asset(title_id, asset(1200.0), f"0001#{number:04d}")
    return title_id


def subscriber(services: Services, status: str = "active") -> str:
    """A user whose subscription is in `status`."""
    user_id, subscription_id = unique("viewer-"), unique("I-")
    store = services.entitlements.subscriptions
    store.ensure_pending(subscription_id, user_id, "standard")
    if status != "approval_pending":
        assert store.apply_state(subscription_id, status, iso(now() - timedelta(minutes=5)))
    return user_id
