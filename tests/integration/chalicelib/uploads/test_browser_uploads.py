"""Resumable uploads in a real browser: the upload page sends a file to S3 in parts.

Chromium drives /upload against the real API, moto's S3 and the encoder: a 200 MB file
survives a cut connection (its part requests aborted for seconds) and lands byte-identical;
a page reloaded half-way resumes with the parts S3 already holds; pause stops the requests
and resume sends the rest; cancel (on the page, or on the unfinished-upload list after a
reload) leaves no multipart upload in S3. Every completed upload is encoded exactly once.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import CDPSession, Page, Request, Route, expect

from chalicelib.catalogue.titles.records import Kind, TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import assign_titles
from tests.integration.chalicelib.web import test_browser as browser_tests
from tests.integration.chalicelib.web.test_browser import playable, register_in_page, shot
from tests.media_clips import padded_clip
from tests.support import eventually

pytestmark = pytest.mark.integration

# The browser, page and encoder fixtures of the other browser tests (their module scope is
# per module: this one gets its own browser and encoder).
browser = browser_tests.browser
page = browser_tests.page
encoder = browser_tests.encoder

MIB = 1024 * 1024
PART_SIZE = 8 * MIB  # what the API chooses for files under ~78 GiB
#: The cut and reload tests' file sizes; the acceptance run sets both to 1024 (1 GiB).
CUT_MIB = int(os.environ.get("NOTFLIX_TEST_CUT_UPLOAD_MIB", "200"))
RELOAD_MIB = int(os.environ.get("NOTFLIX_TEST_RELOAD_UPLOAD_MIB", "100"))


def word() -> str:
    """A made-up word (letters only), so a search finds exactly one title."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def searchable_title(services: Services, name: str, kind: Kind = "film") -> str:
    title_id = f"b-{uuid.uuid4().hex[:10]}"
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind=kind, name=name,
                                                  source="generated", year=2024,
                                                  genres=("Drama",))])
    services.catalogue_indexer.rebuild()  # as an import does after writing titles
    return title_id


def become_uploader(page: Page, api_url: str, services: Services,
                    *title_ids: str) -> dict[str, str]:
    """Register in the page, get the uploader role and the titles to upload to; the
    session's cookies."""
    register_in_page(page, api_url)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    account_id = httpx.get(f"{api_url}/api/me", timeout=20, cookies=cookies).json()["id"]
    services.accounts.set_roles(account_id, ["uploader", "viewer"])
    assign_titles(services, account_id, *title_ids)
    return cookies


def pick_title(page: Page, search: str, name: str) -> None:
    """Type in the title search box and pick the match."""
    page.get_by_label("Title it plays for").press_sequentially(search, delay=20)
    page.get_by_role("option").filter(has_text=name).click()
    page.locator("#title-chosen").get_by_text(f"Plays for: {name}").wait_for()


def start_upload(page: Page, path: Path) -> None:
    page.get_by_label("Video file").set_input_files(str(path))
    page.get_by_role("button", name="Upload", exact=True).click()


def is_part_url(url: str) -> bool:
    return "partNumber=" in url and "uploadId=" in url


def part_number(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["partNumber"][0])


def part_bytes(size: int, number: int) -> int:
    count = -(-size // PART_SIZE)
    return PART_SIZE if number < count else size - PART_SIZE * (count - 1)


class PartTraffic:
    """The part PUTs the page sends straight to S3 (part numbers, in order): started,
    finished and failed (cut, or aborted by the page).

    A request sent just as a route is added can reach the page's listeners only as finished
    (Playwright drops its "request" event under load), so "sent" is started or finished.
    """

    def __init__(self, page: Page) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.failed: list[int] = []
        page.on("request", self._request)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    @property
    def sent(self) -> set[int]:
        return set(self.started) | set(self.finished)

    def _finished(self, request: Request) -> None:
        if request.method == "PUT" and is_part_url(request.url):
            self.finished.append(part_number(request.url))

    def _request(self, request: Request) -> None:
        if request.method == "PUT" and is_part_url(request.url):
            self.started.append(part_number(request.url))

    def _failed(self, request: Request) -> None:
        if request.method == "PUT" and is_part_url(request.url):
            self.failed.append(part_number(request.url))


class Network:
    """Chromium's network emulation (DevTools): upload throughput, so a test can act while
    parts are on their way."""

    def __init__(self, page: Page) -> None:
        self.session: CDPSession = page.context.new_cdp_session(page)
        self.session.send("Network.enable")

    def upload_rate(self, bytes_per_second: int | None) -> None:
        self.session.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second if bytes_per_second else -1})


def uploads_of(api_url: str, cookies: dict[str, str], file_name: str) -> list[dict[str, Any]]:
    """This file name's uploads, newest first, as the API describes them to their uploader."""
    answer = httpx.get(f"{api_url}/api/admin/uploads", params={"file_name": file_name},
                       cookies=cookies, timeout=20)
    assert answer.status_code == 200, answer.text
    uploads: list[dict[str, Any]] = answer.json()["uploads"]
    return uploads


def my_upload(api_url: str, cookies: dict[str, str], file_name: str) -> dict[str, Any]:
    uploads = uploads_of(api_url, cookies, file_name)
    assert uploads, f"no upload of {file_name}"
    return uploads[0]


def open_multipart_uploads(resources: Resources, key: str) -> list[dict[str, Any]]:
    listed = resources.s3.list_multipart_uploads(Bucket=resources.settings.uploads_bucket,
                                                 Prefix=key)
    return [dict(u) for u in listed.get("Uploads", []) if u["Key"] == key]


def parts_in_s3(resources: Resources, key: str) -> set[int]:
    uploads = open_multipart_uploads(resources, key)
    if not uploads:
        return set()
    listed = resources.s3.list_parts(Bucket=resources.settings.uploads_bucket, Key=key,
                                     UploadId=uploads[0]["UploadId"], MaxParts=1000)
    return {int(p["PartNumber"]) for p in listed.get("Parts", [])}


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(4 * MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_in_s3(resources: Resources, key: str) -> str:
    body = resources.s3.get_object(Bucket=resources.settings.uploads_bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    for block in body.iter_chunks(4 * MIB):
        digest.update(block)
    return digest.hexdigest()


def encode_jobs(resources: Resources, key: str) -> list[JobModel]:
    bind_models(resources.settings, JOB_MODELS)
    return list(JobModel.by_key.query(key))


def assert_stored_and_encoded_once(resources: Resources, api_url: str, path: Path, key: str,
                                   title_id: str) -> None:
    """The file reached S3 whole and was encoded once (the encoder files an encoded upload
    under processed/, a server-side copy of the completed object)."""
    archived = "processed/" + key.removeprefix("uploads/")
    # the encoder archives the source just after publishing (a copy: seconds for 1 GiB)
    eventually(lambda: resources.s3.list_objects_v2(
        Bucket=resources.settings.uploads_bucket, Prefix=archived).get("KeyCount"),
        timeout=120, interval=0.5)
    assert sha256_in_s3(resources, archived) == sha256_of_file(path), "S3 holds other bytes"
    assert not open_multipart_uploads(resources, key)
    jobs = encode_jobs(resources, key)
    assert [j.status for j in jobs] == ["PUBLISHED"], [(j.job_id, j.status) for j in jobs]
    assert playable(api_url, title_id)


def bar(page: Page) -> float:
    return float(page.evaluate("() => document.getElementById('upload-bar').value"))


def test_a_big_upload_survives_a_cut_connection(page: Page, api_url: str, encoder: None,
                                                catalogue_services: Services,
                                                resources: Resources, tmp_path: Path) -> None:
    name = f"Resilience {word()}"
    title_id = searchable_title(catalogue_services, name)
    cookies = become_uploader(page, api_url, catalogue_services, title_id)
    path = padded_clip(tmp_path / "big.mp4", CUT_MIB * MIB + 12_345)
    size = path.stat().st_size
    traffic = PartTraffic(page)
    page.goto(f"{api_url}/upload")
    pick_title(page, name.split()[1], name)
    start_upload(page, path)
    page.wait_for_function("() => document.getElementById('upload-bar').value >= 15",
                           timeout=120_000)

    connection = {"up": False}

    def s3_link(route: Route) -> None:
        # stays routed after the cut (requests caught by an unroute lose their events)
        if connection["up"]:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route(is_part_url, s3_link)  # the connection to S3 dies
    page.get_by_text("Connection lost; retrying").wait_for(timeout=30_000)
    at_cut = bar(page)
    failed_before = len(traffic.failed)
    page.wait_for_timeout(6_000)
    shot(page, "upload-connection-lost")
    assert page.get_by_text("Connection lost").is_visible()
    assert len(traffic.failed) > failed_before, "the page stopped trying during the cut"
    # in flight when the connection died: at most the 4 parts being sent got through
    assert bar(page) <= at_cut + 4 * PART_SIZE / size * 100 + 0.5
    assert bar(page) < 100
    connection["up"] = True  # back, and the browser says so: the waiting parts go at once
    before = len(traffic.started)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    # at once: before the back-off would try again (seconds apart by now), even
    # on a loaded machine (5 s; signing the parts again goes through the API first)
    deadline = time.monotonic() + 5.0
    while len(traffic.started) - before < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(traffic.started) - before >= 4, "the waiting parts were not retried at once"

    page.wait_for_function("() => document.getElementById('upload-bar').value === 100",
                           timeout=180_000)
    page.get_by_text("Published").wait_for(timeout=240_000)
    shot(page, "upload-published-after-cut")
    assert page.get_by_role("link", name="Watch it").get_attribute("href") == \
        f"/watch/{title_id}"
    upload = my_upload(api_url, cookies, "big.mp4")
    assert upload["state"] == "COMPLETED" and upload["title_id"] == title_id
    count = -(-size // PART_SIZE)  # 26 for 200 MiB
    assert upload["part_count"] == count
    assert sorted(traffic.sent) == list(range(1, count + 1))
    cut_parts = set(traffic.failed)
    assert cut_parts and len(traffic.started) > count, "no part was cut and sent again"
    assert_stored_and_encoded_once(resources, api_url, path, upload["key"], title_id)


def test_a_reloaded_page_resumes_with_the_parts_already_sent(
        page: Page, api_url: str, encoder: None, catalogue_services: Services,
        resources: Resources, tmp_path: Path) -> None:
    name = f"Reloaded {word()}"
    title_id = searchable_title(catalogue_services, name)
    cookies = become_uploader(page, api_url, catalogue_services, title_id)
    path = padded_clip(tmp_path / "halfway.mp4", RELOAD_MIB * MIB + 4_321)
    size = path.stat().st_size
    count = -(-size // PART_SIZE)  # 13 for 100 MiB
    traffic = PartTraffic(page)
    network = Network(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" while uploading
    page.goto(f"{api_url}/upload")
    pick_title(page, name.split()[1], name)
    network.upload_rate(size // 8)  # about 8 s for the file: time to reload half-way
    start_upload(page, path)
    key = eventually(lambda: uploads_of(api_url, cookies, "halfway.mp4"), timeout=30)[0]["key"]
    eventually(lambda: len(parts_in_s3(resources, key)) >= 5, timeout=60, interval=0.1)
    held = parts_in_s3(resources, key)
    page.reload()  # in the middle of sending parts: the page dies, its requests with it
    assert len(held) < count, "the whole file was sent before the reload"

    listed = page.locator("#unfinished-list li").filter(has_text="halfway.mp4")
    listed.wait_for()
    first_session = list(traffic.started)
    listed.get_by_text(re.compile(rf"\d+ of {count} parts uploaded")).wait_for()
    shot(page, "upload-unfinished-listed")
    network.upload_rate(None)
    page.get_by_label("Video file").set_input_files(str(path))  # the same file again
    note = page.locator("#upload-note")
    expect(note).to_contain_text(re.compile(rf"Resuming: \d+ of {count} parts already "
                                            r"uploaded"))
    resumed = int(note.inner_text().split()[1])
    assert resumed >= len(held) >= 5
    page.get_by_text("Published").wait_for(timeout=240_000)
    shot(page, "upload-resumed-published")

    second_session = traffic.started[len(first_session):]
    assert set(second_session).isdisjoint(held), "parts S3 held were sent again"
    assert len(set(second_session)) == count - resumed
    sent_again = sum(part_bytes(size, n) for n in second_session)
    sent_before = sum(part_bytes(size, n) for n in first_session)
    assert sent_again < size - 4 * PART_SIZE, (sent_again, size)
    assert sent_before + sent_again >= size
    upload = my_upload(api_url, cookies, "halfway.mp4")
    assert upload["state"] == "COMPLETED"
    assert_stored_and_encoded_once(resources, api_url, path, key, title_id)


def test_pause_stops_sending_and_resume_sends_the_rest(
        page: Page, api_url: str, encoder: None, catalogue_services: Services,
        resources: Resources, tmp_path: Path) -> None:
    name = f"Paused {word()}"
    title_id = searchable_title(catalogue_services, name)
    cookies = become_uploader(page, api_url, catalogue_services, title_id)
    path = padded_clip(tmp_path / "paused.mp4", 64 * MIB + 99)
    traffic = PartTraffic(page)
    network = Network(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{api_url}/upload?title={title_id}")  # the title comes pre-selected
    page.locator("#title-chosen").get_by_text(f"Plays for: {name} (2024, film)").wait_for()
    assert page.get_by_label("Title it plays for").input_value() == name
    network.upload_rate(8 * MIB)
    start_upload(page, path)
    page.wait_for_function("() => document.getElementById('upload-bar').value >= 5")
    page.get_by_text(re.compile(r"[\d.]+ [KM]B/s")).wait_for()  # the speed, once measured
    assert page.get_by_text(re.compile(r"about \d+:\d\d left")).is_visible()
    assert page.get_by_text(re.compile(r"[\d.]+ MB of 67\.1 MB")).is_visible()
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Paused:").wait_for()
    assert page.get_by_role("button", name="Resume").is_visible()
    assert not page.get_by_role("button", name="Pause").is_visible()
    shot(page, "upload-paused")
    started, at_pause = len(traffic.started), bar(page)
    page.wait_for_timeout(3_000)
    assert len(traffic.started) == started, "parts were sent while paused"
    assert bar(page) == at_pause
    cut_by_pause = set(traffic.failed)
    assert cut_by_pause, "pausing aborted no request in flight"

    network.upload_rate(None)
    page.get_by_role("button", name="Resume").click()
    page.get_by_text("Published").wait_for(timeout=240_000)
    assert cut_by_pause <= set(traffic.started[started:]), "aborted parts were not sent again"
    upload = my_upload(api_url, cookies, "paused.mp4")
    assert upload["state"] == "COMPLETED" and upload["title_id"] == title_id
    assert_stored_and_encoded_once(resources, api_url, path, upload["key"], title_id)


def test_cancel_leaves_no_multipart_upload_in_s3(page: Page, api_url: str,
                                                 catalogue_services: Services,
                                                 resources: Resources, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 360, "height": 740})  # on a phone
    name = f"Cancelled {word()}"
    series_id = searchable_title(catalogue_services, name, kind="series")
    cookies = become_uploader(page, api_url, catalogue_services, series_id)
    path = padded_clip(tmp_path / "dropped.mp4", 60 * MIB + 7)  # 8 parts
    network = Network(page)
    page.goto(f"{api_url}/upload")
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    assert page.evaluate(
        "() => [...document.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
        ".map(e => e.name || e.id)") == []
    assert page.get_by_label("Episode").is_hidden()
    search = page.get_by_label("Title it plays for")  # picked with the keyboard this time
    search.press_sequentially(name.split()[1], delay=20)
    page.get_by_role("option").filter(has_text=name).wait_for()
    search.press("ArrowDown")
    search.press("Enter")  # picks the highlighted match; the form is not sent
    page.locator("#title-chosen").get_by_text(f"Plays for: {name} (2024, series)").wait_for()
    assert page.get_by_role("listbox").is_hidden()
    assert uploads_of(api_url, cookies, "dropped.mp4") == []
    page.get_by_label("Episode").fill("s1e2")  # shown for a series
    network.upload_rate(4 * MIB)
    start_upload(page, path)
    first = eventually(lambda: uploads_of(api_url, cookies, "dropped.mp4"), timeout=30)[0]
    assert first["title_id"] == series_id and first["episode"] == "S1E2"
    eventually(lambda: parts_in_s3(resources, first["key"]), timeout=60, interval=0.2)
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    shot(page, "upload-phone")
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.get_by_text("Upload cancelled").wait_for()
    assert not open_multipart_uploads(resources, first["key"])
    assert my_upload(api_url, cookies, "dropped.mp4")["state"] == "ABORTED"
    assert page.get_by_role("button", name="Upload", exact=True).is_visible()
    assert page.get_by_label("Video file").input_value() == ""
    assert page.locator("#upload-progress").is_hidden()

    # started again, paused, the page reloaded: cancelled from the unfinished-upload list
    start_upload(page, path)
    second = eventually(lambda: [u for u in uploads_of(api_url, cookies, "dropped.mp4")
                                 if u["state"] == "UPLOADING"], timeout=30)[0]
    eventually(lambda: parts_in_s3(resources, second["key"]), timeout=60, interval=0.2)
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Paused:").wait_for()
    page.reload()
    listed = page.locator("#unfinished-list li").filter(has_text="dropped.mp4")
    listed.get_by_text(re.compile(r"\d of 8 parts uploaded")).wait_for()
    shot(page, "upload-unfinished-phone")
    listed.get_by_role("button", name="Cancel dropped.mp4").click()
    page.get_by_text("Cancelled dropped.mp4").wait_for()
    assert not open_multipart_uploads(resources, second["key"])
    assert my_upload(api_url, cookies, "dropped.mp4")["state"] == "ABORTED"
    assert listed.count() == 0
