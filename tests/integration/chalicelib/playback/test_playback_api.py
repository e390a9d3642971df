"""Entitlement, stream links, resume points, continue watching and history over the real API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.paypal_sim.server import FakePayPal
from tests.integration.auth_client import Account, register
from tests.integration.subscriptions import subscriber
from tests.support import unique

pytestmark = pytest.mark.integration
MANIFEST = b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>'


@pytest.fixture
def film(catalogue_services: Services, resources: Resources) -> dict[str, str]:
    """A playable film whose asset's files are in the media bucket, and one without."""
    ns = unique("p")
    asset_id = uuid.uuid4().hex
    for name, body in (("manifest.mpd", MANIFEST), ("chunk-0-00001.m4s", b"\x00segment")):
        resources.s3.put_object(Bucket=resources.settings.media_bucket,
                                Key=f"media/{asset_id}/{name}", Body=body)
    catalogue_services.catalogue_writer.upsert([
        TitleRecord(id=f"{ns}-film", kind="film", name="Playable", source="generated"),
        TitleRecord(id=f"{ns}-soon", kind="film", name="Coming soon", source="generated")])
    assert attach_asset(f"{ns}-film", {
        "asset_id": asset_id, "duration_s": 600.0,
        "subtitles": [{"language": "en", "file": "subtitles-en.vtt"}],
        "renditions": [{"name": "720p", "width": 1280, "height": 720}]})
    return {"id": f"{ns}-film", "asset_id": asset_id, "unplayable": f"{ns}-soon"}


def get(api_url: str, path: str, account: Account | None = None, **kwargs: Any
        ) -> httpx.Response:
    return httpx.get(f"{api_url}{path}", headers=account.bearer if account else {},
                     timeout=20, **kwargs)


def test_visitors_and_non_subscribers_are_refused(api_url: str, film: dict[str, str]) -> None:
    stream = f"/stream/{film['asset_id']}/manifest.mpd"
    assert get(api_url, f"/api/titles/{film['id']}/play").status_code == 401
    assert get(api_url, stream).status_code == 401
    account = register(api_url)
    for path in (f"/api/titles/{film['id']}/play", stream):
        refused = get(api_url, path, account)
        assert refused.status_code == 402, refused.text
        error = refused.json()["error"]
        assert error["code"] == "subscription_required" and "plan" in error["message"]


def test_a_subscriber_plays_resumes_and_sees_history(
        api_url: str, film: dict[str, str], resources: Resources) -> None:
    account, _ = subscriber(api_url)
    play = get(api_url, f"/api/titles/{film['id']}/play", account)
    assert play.status_code == 200, play.text
    body = play.json()
    asset = film["asset_id"]
    assert body["manifest_url"] == f"/stream/{asset}/manifest.mpd"
    assert body["subtitles"] == [{"language": "en", "label": "English",
                                  "url": f"/stream/{asset}/subtitles-en.vtt"}]
    assert body["resume_s"] == 0 and body["duration_s"] == 600.0
    assert play.headers["cache-control"] == "no-store"
    # the manifest comes from the API itself (relative segment URLs resolve to /stream/);
    # a segment redirects to a presigned S3 URL that expires within minutes
    manifest = get(api_url, body["manifest_url"], account, follow_redirects=False)
    assert manifest.status_code == 200 and manifest.content == MANIFEST
    assert manifest.headers["content-type"] == "application/dash+xml"
    redirect = get(api_url, f"/stream/{asset}/chunk-0-00001.m4s", account,
                   follow_redirects=False)
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    query = parse_qs(urlparse(location).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert httpx.get(location, timeout=20).content == b"\x00segment"
    assert get(api_url, f"/stream/{asset}/missing.mpd", account).status_code == 404
    for bad in (f"/stream/{asset}/..%2Fsecret", f"/stream/{asset}/.hidden",
                "/stream/not-an-asset/manifest.mpd", f"/stream/{asset}/{'a' * 200}.mpd"):
        assert get(api_url, bad, account).status_code == 404, bad
    # progress, then play again: resume where it stopped; continue watching and history
    posted = httpx.post(f"{api_url}/api/me/progress", headers=account.bearer, timeout=20,
                        json={"title_id": film["id"], "position_s": 120, "duration_s": 600,
                              "play_id": "play-resume-1"})
    assert posted.status_code == 200, posted.text
    again = get(api_url, f"/api/titles/{film['id']}/play", account).json()
    assert again["resume_s"] == 120 and again["progress"] == 0.2
    row = get(api_url, "/api/me/continue-watching", account).json()["titles"]
    assert [(t["id"], t["resume_s"]) for t in row] == [(film["id"], 120)]
    history = get(api_url, "/api/me/history", account).json()
    assert [(h["event"], h["title"]["id"]) for h in history["history"]] == [
        ("started", film["id"])]
    # finished: out of continue watching, a "finished" entry, next play from the start
    httpx.post(f"{api_url}/api/me/progress", headers=account.bearer, timeout=20,
               json={"title_id": film["id"], "position_s": 590, "duration_s": 600,
                     "play_id": "play-resume-1"})
    assert get(api_url, "/api/me/continue-watching", account).json()["titles"] == []
    assert get(api_url, f"/api/titles/{film['id']}/play", account).json()["resume_s"] == 0
    first = get(api_url, "/api/me/history?limit=1", account).json()
    assert [h["event"] for h in first["history"]] == ["finished"] and first["next"]
    rest = get(api_url, "/api/me/history", account, params={"limit": "1",
                                                             "cursor": first["next"]}).json()
    assert [h["event"] for h in rest["history"]] == ["started"]
    assert get(api_url, "/api/me/history?cursor=!!", account).status_code == 400


def test_playing_what_cannot_be_played(api_url: str, film: dict[str, str]) -> None:
    account, _ = subscriber(api_url)
    too_long = get(api_url, f"/api/titles/{'x' * 3000}/play", account)
    assert too_long.status_code == 404  # an impossible id, not a backend error
    missing = get(api_url, "/api/titles/no-such-title/play", account)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "title_not_found"
    soon = get(api_url, f"/api/titles/{film['unplayable']}/play", account)
    assert soon.status_code == 409 and soon.json()["error"]["code"] == "title_not_playable"


def test_a_subscription_that_ends_stops_new_plays_at_once(
        api_url: str, film: dict[str, str], fake_paypal: FakePayPal) -> None:
    play = f"/api/titles/{film['id']}/play"
    # cancelled by its owner with no paid time left (the one payment was refunded)
    account, _ = subscriber(api_url)
    (payment,) = get(api_url, "/api/me/payments", account).json()["payments"]
    fake_paypal.refund(payment["id"])
    assert get(api_url, play, account).status_code == 200  # active: may watch (remembered)
    cancel = httpx.post(f"{api_url}/api/subscriptions/cancel", headers=account.bearer,
                        timeout=30)
    assert cancel.status_code == 200, cancel.text
    refused = get(api_url, play, account)
    assert refused.status_code == 402, refused.text
    assert refused.json()["error"]["code"] == "subscription_required"
    # suspended by PayPal: the webhook's change is seen by the next request too
    other, subscription_id = subscriber(api_url)
    assert get(api_url, play, other).status_code == 200
    later = (datetime.now(UTC) + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_paypal.send_event("BILLING.SUBSCRIPTION.SUSPENDED", {
        "id": subscription_id, "status": "SUSPENDED", "plan_id": "P-LOCAL-STANDARD",
        "custom_id": other.user["id"], "create_time": later, "update_time": later},
        "subscription")
    assert get(api_url, play, other).status_code == 402
    assert get(api_url, f"/stream/{film['asset_id']}/manifest.mpd", other).status_code == 402
