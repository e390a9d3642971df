"""A season's segments written on its episodes from the fingerprints beside their streams
(in process: moto's S3 and DynamoDB)."""

from __future__ import annotations

import json

import numpy as np

from chalicelib.catalogue.titles.models import EpisodeModel
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.segment_store import refresh_season
from chalicelib.services import Services
from tests.unit.chalicelib.catalogue_titles import asset, series

ITEM_S = 1365 / 11025
RNG = np.random.default_rng(11)


def values(n: int) -> list[int]:
    return [int(v) for v in RNG.integers(0, 2**32, n, dtype=np.uint64)]


def test_the_seasons_episodes_get_the_shared_intro_and_credits(in_process: Services) -> None:
    series_id = series(in_process, playable=())
    intro, outro = values(120), values(80)
    media = in_process.settings.media_bucket
    for number in (1, 2, 3):
        stream = {**asset(90.0), "fingerprint": "fingerprint.json"}
        own = [values(100), values(100)]
        fingerprint = {"item_s": ITEM_S, "head": intro + own[0], "tail": own[1] + outro,
                       "tail_start_s": 60.0, "duration_s": 90.0}
        if number == 3:  # a special without the theme
            fingerprint = {**fingerprint, "head": values(220), "tail": values(180)}
        in_process.resources.s3.put_object(
            Bucket=media, Key=f"media/{stream['asset_id']}/fingerprint.json",
            Body=json.dumps(fingerprint).encode())
        assert attach_asset(series_id, stream, f"0001#{number:04d}")

    assert refresh_season(in_process.resources.s3, media, series_id, 1) == 2
    kinds = {e.episode_key: [s["kind"] for s in e.segments or []]
             for e in EpisodeModel.query(series_id, consistent_read=True)}
    assert kinds == {"0001#0001": ["intro", "credits"], "0001#0002": ["intro", "credits"],
                     "0001#0003": []}
    (first,) = [e for e in EpisodeModel.query(series_id) if e.episode_key == "0001#0001"]
    intro_segment = (first.segments or [])[0]
    assert intro_segment["start_s"] == 0.0 and 14.0 <= intro_segment["end_s"] <= 17.0
