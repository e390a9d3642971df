"""Playback-quality beacons and the report over the real API and redis-server: a play grant's
play id, beacons as JSON and as sendBeacon's text/plain, a retried batch counted once, another
viewer's play refused, bad batches refused with a 4xx, and the admin's report (JSON and page)
naming the title."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.services import Services
from tests.integration.auth_client import Account, register, register_as
from tests.integration.subscriptions import subscriber
from tests.support import unique

pytestmark = pytest.mark.integration
EVENTS = "/api/me/playback-events"


@pytest.fixture(scope="module")
def film(catalogue_services: Services) -> str:
    title_id = unique("qoe-")
    catalogue_services.catalogue_writer.upsert([
        TitleRecord(id=title_id, kind="film", name=f"Quality {title_id}", source="generated")])
    assert attach_asset(title_id, {
        "asset_id": uuid.uuid4().hex, "duration_s": 600.0,
        "renditions": [{"name": "360p", "width": 640, "height": 360},
                       {"name": "720p", "width": 1280, "height": 720}]})
    return title_id


def post(api_url: str, account: Account, body: Any, content_type: str = "application/json"
         ) -> httpx.Response:
    return httpx.post(f"{api_url}{EVENTS}", headers={**account.bearer,
                                                    "Content-Type": content_type},
                      content=json.dumps(body) if not isinstance(body, bytes) else body,
                      timeout=30)


def grant(api_url: str, account: Account, title_id: str) -> str:
    answer = httpx.get(f"{api_url}/api/titles/{title_id}/play", headers=account.bearer,
                       timeout=30)
    assert answer.status_code == 200, answer.text
    play_id = answer.json()["play_id"]
    assert isinstance(play_id, str) and len(play_id) >= 20
    return str(play_id)


def title_row(api_url: str, admin: Account, title_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{api_url}/api/admin/playback?days=1", headers=admin.bearer,
                       timeout=30)
    assert answer.status_code == 200, answer.text
    rows = [r for r in answer.json()["titles"] if r["title_id"] == title_id]
    assert len(rows) == 1, answer.json()["titles"]
    row: dict[str, Any] = rows[0]
    return row


def test_beacons_are_counted_once_for_their_own_play_and_reported_by_name(
        api_url: str, film: str, catalogue_services: Services) -> None:
    viewer, _ = subscriber(api_url)
    admin = register_as(api_url, catalogue_services, "admin")
    first, second = grant(api_url, viewer, film), grant(api_url, viewer, film)
    assert first != second  # one id per play
    start = {"play_id": first, "seq": 0, "events": [
        {"type": "start", "startup_ms": 800, "rendition": "360p"}]}
    accepted = post(api_url, viewer, start)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"counted": True, "events": 1}
    assert post(api_url, viewer, start).json()["counted"] is False  # a retried beacon
    later = {"play_id": first, "seq": 1, "events": [
        {"type": "rendition_time", "rendition": "720p", "ms": 9000},
        {"type": "rendition_time", "rendition": "360p", "ms": 1000},
        {"type": "switch", "from": "360p", "to": "720p"},
        {"type": "rebuffer", "ms": 1000, "rendition": "720p"},
        {"type": "dropped_frames", "frames": 4}]}
    beacon = post(api_url, viewer, json.dumps(later).encode(), "text/plain;charset=UTF-8")
    assert beacon.status_code == 202, beacon.text
    left = {"play_id": second, "seq": 0, "events": [
        {"type": "exit_before_start", "waited_ms": 5000}]}
    assert post(api_url, viewer, left).status_code == 202
    # someone else's play, or an unknown one: refused, never counted
    other, _ = subscriber(api_url)
    for play_id in (first, "unknown-play-id-000"):
        refused = post(api_url, other, {"play_id": play_id, "seq": 7, "events": [
            {"type": "start", "startup_ms": 1, "rendition": "360p"}]})
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"]["code"] == "play_not_found"

    row = title_row(api_url, admin, film)
    assert row["name"] == f"Quality {film}"
    assert {k: row[k] for k in ("plays", "starts", "exits_before_start", "start_failures",
                                "rebuffer_count", "rebuffer_ms", "watch_ms", "switches",
                                "dropped_frames", "most_watched_rendition")} == {
        "plays": 2, "starts": 1, "exits_before_start": 1, "start_failures": 0,
        "rebuffer_count": 1, "rebuffer_ms": 1000, "watch_ms": 10_000, "switches": 1,
        "dropped_frames": 4, "most_watched_rendition": "720p"}
    assert row["rebuffer_ratio"] == pytest.approx(1000 / 11_000, abs=1e-6)
    assert row["video_start_p50_ms"] == pytest.approx(800, rel=0.011)
    assert row["startup_score"] == pytest.approx(800 / 8.8 * 1.0, abs=0.1)  # 8/(8+0.8)x100
    page = httpx.get(f"{api_url}/admin/playback?days=7", headers=admin.bearer, timeout=30)
    assert page.status_code == 200 and f"Quality {film}" in page.text
    assert "8 / (8 +" in page.text  # says which start time the score uses


@pytest.mark.parametrize("body", [
    b"{not json", b'{"play_id": "x", "seq": 0, "events": []}',
    json.dumps({"play_id": "abcdefgh123", "seq": -1, "events": [
        {"type": "rebuffer", "ms": 1}]}).encode(),
    json.dumps({"play_id": "abcdefgh123", "seq": 0, "events": [
        {"type": "rebuffer", "ms": 1e300}]}).encode(),
    json.dumps({"play_id": "abcdefgh123", "seq": 0, "events": [
        {"type": "start", "startup_ms": 5, "rendition": "360p"}] * 2}).encode(),
])
def test_bad_batches_are_a_4xx(api_url: str, body: bytes) -> None:
    viewer = register(api_url)
    answer = post(api_url, viewer, body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.status_code != 404


def test_the_report_is_for_admins_and_checks_its_days(api_url: str,
                                                      catalogue_services: Services) -> None:
    viewer = register(api_url)
    assert httpx.get(f"{api_url}/api/admin/playback", headers=viewer.bearer,
                     timeout=30).status_code == 403
    admin = register_as(api_url, catalogue_services, "admin")
    for days in ("0", "36", "x", "²"):
        for path in ("/api/admin/playback", "/admin/playback"):
            answer = httpx.get(f"{api_url}{path}", params={"days": days},
                               headers=admin.bearer, timeout=30)
            assert answer.status_code == 400, (path, days, answer.text)
    answer = httpx.get(f"{api_url}/api/admin/playback", headers=admin.bearer, timeout=30)
    assert answer.status_code == 200 and answer.json()["days"] == 1
