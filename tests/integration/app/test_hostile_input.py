"""Input an attacker sent the running API (issue 18, findings 1, 5, 6, 10 and 11): each is
answered with a 4xx, or a redirect that stays on the site, never a 500."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from chalicelib.catalogue.titles.records import Season, TitleRecord
from chalicelib.ingest.service import signature
from chalicelib.services import Services
from localcloud.paypal_sim.server import FakePayPal
from tests.integration.auth_client import register, register_as
from tests.integration.subscriptions import subscriber
from tests.support import unique

pytestmark = pytest.mark.integration

JSON_ROUTES = ("/api/auth/login", "/api/auth/register", "/api/auth/password-reset",
               "/api/auth/password-reset/confirm")


@pytest.mark.parametrize("target", ["/\\evil.example/", "/%09/evil.example/",
                                    "/%0a/evil.example/", "/%5Cevil.example"])
def test_login_and_registration_never_redirect_off_the_site(api_url: str, target: str) -> None:
    account = register(api_url)
    # `next` as the browser sends it: percent-encoded in the form's action
    logged_in = httpx.post(f"{api_url}/api/auth/login?next={target}", headers={"Origin": api_url},
                           data={"email": account.email, "password": account.password})
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/"
    registered = httpx.post(f"{api_url}/api/auth/register?next={target}",
                            headers={"Origin": api_url},
                            data={"email": f"{unique('r')}@example.com",
                                  "password": account.password, "display_name": "R"})
    # a new account's own default: choosing a plan (never the hostile target)
    assert registered.status_code == 303
    assert registered.headers["location"] == "/plans?welcome=1"


@pytest.mark.parametrize("body, code", [
    ('{"email": "a@example.com", "password": ' + "1" * 4301 + "}", "malformed_json"),
    ('{"email":' * 1000 + '"a"' + "}" * 1000, "malformed_json"),
    ('{"email": "\\ud800@example.com", "password": "x"}', "text_not_unicode")])
def test_hostile_json_bodies_are_400_on_every_json_route(api_url: str, body: str,
                                                         code: str) -> None:
    for route in JSON_ROUTES:
        response = httpx.post(f"{api_url}{route}", content=body, timeout=30,
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (route, response.text)
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("email", [" ", "\u3000", "\u001f", "\t \n"])
def test_an_email_that_is_blank_once_trimmed_is_a_clear_422(api_url: str, email: str) -> None:
    response = httpx.post(f"{api_url}/api/auth/login", timeout=30,
                          json={"email": email, "password": "whatever-it-is"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "email"
    form = httpx.post(f"{api_url}/api/auth/login", content="email=+&password=x", timeout=30,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 422, form.text


def test_a_season_that_isdigit_accepts_is_a_404_not_a_500(
        api_url: str, catalogue_services: Services) -> None:
    series_id = unique("s-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=series_id, kind="series", name="Superscripts", source="generated", year=2025,
        seasons=(Season(number=1, name="One", episode_count=0, episodes=()),))])
    for season in ("%C2%B2", "%D9%A3", "9" * 5000):
        response = httpx.get(f"{api_url}/titles/{series_id}?season={season}", timeout=30,
                             headers={"Accept": "text/html"})
        # not a season number: "no season ²", never season 1 shown as if it were
        assert response.status_code == 404, (season, response.status_code)
        assert "This title has no season" in response.text
    assert httpx.get(f"{api_url}/api/titles/{series_id}/seasons/%C2%B2",
                     timeout=30).status_code == 404


def test_an_ingest_timestamp_of_unicode_digits_is_refused(
        api_url: str, catalogue_services: Services) -> None:
    admin = register_as(api_url, catalogue_services, "admin")
    hook = httpx.post(f"{api_url}/api/admin/webhooks", headers=admin.bearer, timeout=20,
                      json={"name": "storage", "actors": ["ci@builds"]}).json()
    body = b'{"actor": "ci@builds", "key": "uploads/x.mp4", "title_id": "t-1"}'
    for stamp in ("\u00b2", "9" * 5000):
        wire = stamp.encode("latin-1")  # "²" is the byte 0xb2 on the wire
        response = httpx.post(f"{api_url}/webhooks/ingest", content=body, timeout=20, headers=[
            (b"Content-Type", b"application/json"), (b"X-Notflix-Webhook", hook["id"].encode()),
            (b"X-Notflix-Timestamp", wire),
            (b"X-Notflix-Signature", signature(hook["secret"], stamp, body).encode())])
        assert response.status_code == 401, (stamp[:8], response.text)
        assert response.json()["error"]["code"] == "webhook_stale"


def test_a_signed_paypal_event_dated_year_one_is_422_not_500(
        api_url: str, fake_paypal: FakePayPal) -> None:
    account, subscription_id = subscriber(api_url)
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        answer = fake_paypal.send_event(
            "BILLING.SUBSCRIPTION.UPDATED",
            {"id": subscription_id, "status": "ACTIVE", "plan_id": "P-LOCAL-STANDARD",
             "custom_id": account.user["id"], "create_time": moment, "update_time": moment},
            "subscription")
        assert answer["status"] == 422, answer


def test_cursors_and_ids_in_another_uuid_spelling_are_400(
        api_url: str, catalogue_services: Services) -> None:
    admin = register_as(api_url, catalogue_services, "admin")
    canonical = str(uuid.uuid4())
    for spelling in ("{" + canonical + "}", "urn:uuid:" + canonical, canonical.upper(),
                     canonical.replace("-", "")):
        response = httpx.get(f"{api_url}/api/admin/users", params={"after": spelling},
                             headers=admin.bearer, timeout=20)
        assert response.status_code == 400, (spelling, response.text)


def test_the_jobs_list_holds_panel_to_its_documented_length_even_with_a_title(
        api_url: str, catalogue_services: Services) -> None:
    uploader = register_as(api_url, catalogue_services, "uploader")
    response = httpx.get(f"{api_url}/api/admin/jobs", headers=uploader.bearer, timeout=20,
                         params={"title": "t-1", "panel": "p" * 17})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_query_param",
        "message": "The query parameter panel must be at most 16 characters long."}


def test_the_openapi_document_publishes_the_checked_limits(api_url: str) -> None:
    document = httpx.get(f"{api_url}/openapi.json", timeout=20).json()
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/admin/jobs"]["get"][
        "parameters"]}
    assert params["panel"]["maxLength"] == 16
    assert json.dumps(params["limit"]) == json.dumps(
        {"type": "integer", "minimum": 1, "maximum": 100})
