"""Series: episodes encoded one by one, played in order, resumed per episode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import Account
from tests.integration.encodes import wait_for_encodes
from tests.integration.subscriptions import subscriber
from tests.media_clips import clip
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
def series(api_url: str, resources: Resources, catalogue_services: Services,
           encoder_worker: None, tmp_path: Path) -> str:
    """Season 1 of three episodes; the first and the third have streams."""
    series_id = unique("s-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=series_id, kind="series", name="Serial", source="generated", year=2025,
        seasons=(Season(number=1, name="One", episode_count=3, episodes=(
            Episode(1, "Pilot"), Episode(2, "Middle"), Episode(3, "Finale"))),))])
    keys = {label: f"uploads/{unique()}/serial-{label}.mp4" for label in ("S1E1", "S1E3")}
    for label, key in keys.items():
        resources.s3.upload_file(
            str(clip(tmp_path / f"{label}.mp4", seconds=2)), resources.settings.uploads_bucket,
            key, ExtraArgs={"Metadata": {"title-id": series_id, "episode": label}})

    def both_playable() -> bool:
        season = httpx.get(f"{api_url}/api/titles/{series_id}/seasons/1", timeout=20).json()
        return [e["playable"] for e in season["episodes"]] == [True, False, True]

    # the loaded suite's encodes are slow
    wait_for_encodes(resources, keys.values(), both_playable, timeout=780)
    return series_id


def play(api_url: str, account: Account, series_id: str, **params: str) -> httpx.Response:
    return httpx.get(f"{api_url}/api/titles/{series_id}/play", params=params,
                     headers=account.bearer, timeout=20)


def progress(api_url: str, account: Account, **body: Any) -> httpx.Response:
    return httpx.post(f"{api_url}/api/me/progress", json=body, headers=account.bearer,
                      timeout=20)


# the set-up waits on the shared encoder worker, which may have a queue on a loaded suite
@pytest.mark.timeout(900)
def test_episodes_play_in_order_and_resume_each(api_url: str, series: str) -> None:
    account, _ = subscriber(api_url)
    assert httpx.get(f"{api_url}/api/titles/{series}", timeout=20).json()["playable"] is True
    first = play(api_url, account, series).json()
    assert first["episode"]["label"] == "S1E1" and first["episode"]["name"] == "Pilot"
    assert {k: v for k, v in first["next_episode"].items() if k != "poster_url"} == {
        "label": "S1E3", "name": "Finale", "url": f"/watch/{series}?episode=S1E3"}  # E2: none
    third = play(api_url, account, series, episode="S1E3").json()
    assert third["next_episode"] is None and third["manifest_url"] != first["manifest_url"]
    for bad in ("S1E2", "S9E9", "pilot"):
        refused = play(api_url, account, series, episode=bad)
        assert refused.status_code == 404, bad
        assert refused.json()["error"]["code"] == "episode_not_found"
    # progress needs the episode; each episode resumes on its own
    missing = progress(api_url, account, title_id=series, position_s=10, duration_s=600)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "episode_not_found"
    posted = progress(api_url, account, title_id=series, episode="S1E1", position_s=120,
                      duration_s=600, play_id="serial-play-1")
    assert posted.status_code == 200, posted.text
    assert posted.json()["episode"] == "S1E1"
    again = play(api_url, account, series).json()  # the episode in progress
    assert again["episode"]["label"] == "S1E1" and again["resume_s"] == 120
    assert play(api_url, account, series, episode="S1E3").json()["resume_s"] == 0
    row = httpx.get(f"{api_url}/api/me/continue-watching", headers=account.bearer,
                    timeout=20).json()["titles"]
    assert [(t["id"], t["episode"], t["resume_s"]) for t in row] == [(series, "S1E1", 120)]
    # finishing the first episode makes the next playable one the default
    progress(api_url, account, title_id=series, episode="S1E1", position_s=590,
             duration_s=600, play_id="serial-play-1")
    assert play(api_url, account, series).json()["episode"]["label"] == "S1E3"
    history = httpx.get(f"{api_url}/api/me/history", headers=account.bearer,
                        timeout=20).json()["history"]
    assert [(h["event"], h["episode"]) for h in history] == [("finished", "S1E1"),
                                                             ("started", "S1E1")]
    page = httpx.get(f"{api_url}/watch/{series}?episode=S1E1", timeout=20,
                     headers={**account.bearer, "Accept": "text/html"})
    assert f'id="next" href="/watch/{series}?episode=S1E3"' in page.text
    assert 'data-episode="S1E1"' in page.text
