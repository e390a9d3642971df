"""Accounts, sessions and web security over HTTP against real Redis, DynamoDB and SES."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app import app as chalice_app
from chalicelib.auth import passwords
from chalicelib.auth.limits import AccountLimits, Limit, RateLimiter
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.integration.auth_client import (
    STRONG_PASSWORD,
    Account,
    login,
    new_email,
    register,
    sent_mail,
)

pytestmark = pytest.mark.integration
WINDOW = 4  # NOTFLIX_LOGIN_WINDOW_SECONDS of the test API (tests/conftest.py)


LOCAL_IP = "127.0.0.1"


def clear_ip_counters(resources: Resources) -> None:
    prefix = resources.settings.resource_prefix
    for pattern in (f"{prefix}:login-fail:ip:*", f"{prefix}:limit:*"):
        for key in resources.redis.scan_iter(pattern):
            resources.redis.delete(key)


@pytest.fixture(autouse=True)
def fresh_ip_window(resources: Resources) -> Iterator[None]:
    """Every request here comes from 127.0.0.1: start and end each test with no IP failures
    and no rate-limit counts."""
    clear_ip_counters(resources)
    yield
    clear_ip_counters(resources)


def fill_limit(resources: Resources, limit: Limit, subject: str) -> None:
    """Use up `limit` for `subject` (the API's own numbers, without sending them all)."""
    key = RateLimiter(resources.redis, prefix=resources.settings.resource_prefix).key(
        limit, subject)
    resources.redis.set(key, limit.max_hits, ex=limit.window_seconds)


def refused(response: httpx.Response, code: str) -> int:
    """The 429 of a rate limit: its code, a message and Retry-After (returned)."""
    assert response.status_code == 429, response.text
    assert error_code(response) == code and response.json()["error"]["message"]
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


# -- registration -------------------------------------------------------------------------------
def test_register_opens_a_session_sets_a_safe_cookie_and_sends_a_welcome(
    api_url: str, resources: Resources
) -> None:
    email = new_email()
    response = httpx.post(f"{api_url}/api/auth/register", timeout=30, json={
        "email": f"  {email.upper()} ", "password": STRONG_PASSWORD, "display_name": "Ada"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == email  # normalised
    assert body["user"]["roles"] == ["viewer"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["user"]["created_at"])
    assert "password_hash" not in body["user"]
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert len(body["token"]) >= 43
    me = httpx.get(f"{api_url}/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["email"] == email
    (welcome,) = sent_mail(str(resources.settings.aws_endpoint_url), email)
    assert welcome["subject"] == "Welcome to Notflix"


def test_two_concurrent_registrations_of_one_email_exactly_one_wins(api_url: str) -> None:
    email = new_email()

    def attempt(variant: str) -> int:
        return httpx.post(f"{api_url}/api/auth/register", timeout=30, json={
            "email": variant, "password": STRONG_PASSWORD, "display_name": "Racer"}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(attempt, [email, email.upper(), email, f" {email}"]))
    assert statuses == [201, 409, 409, 409]


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"email": "a@b", "password": STRONG_PASSWORD, "display_name": "x"}, 422,
     "validation_failed"),
    ({"email": "ok@example.com", "password": "short", "display_name": "x"}, 422,
     "password_too_short"),
    ({"email": "ok@example.com", "password": "Password12345", "display_name": "x"}, 422,
     "password_too_common"),
    ({"email": "ok@example.com", "password": 12345678901, "display_name": "x"}, 422,
     "validation_failed"),
    ({"email": "ok@example.com", "password": STRONG_PASSWORD, "display_name": "x",
      "roles": ["admin"]}, 422, "validation_failed"),
    ({"email": "ok@example.com", "password": STRONG_PASSWORD}, 422, "validation_failed"),
])
def test_bad_registrations_are_refused_with_a_clear_message(
    api_url: str, payload: dict[str, object], status: int, code: str
) -> None:
    response = httpx.post(f"{api_url}/api/auth/register", json=payload, timeout=30)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert response.json()["error"]["message"]


def test_malformed_and_oversized_bodies(api_url: str) -> None:
    headers = {"Content-Type": "application/json"}
    broken = httpx.post(f"{api_url}/api/auth/login", content=b'{"email": ', headers=headers)
    assert (broken.status_code, error_code(broken)) == (400, "malformed_json")
    not_object = httpx.post(f"{api_url}/api/auth/login", content=b"[1, 2]", headers=headers)
    assert not_object.status_code == 422
    huge = httpx.post(f"{api_url}/api/auth/login", headers=headers,
                      content=b'{"email": "' + b"a" * 70_000 + b'"}')
    assert (huge.status_code, error_code(huge)) == (413, "body_too_large")


# -- login and throttling ---------------------------------------------------------------------
def test_wrong_password_and_unknown_email_get_the_same_answer(api_url: str) -> None:
    account = register(api_url)
    wrong = login(api_url, account.email, "not-the-password-1")
    unknown = login(api_url, new_email(), "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_five_failures_delay_the_pair_even_with_the_right_password_then_recover(
    api_url: str
) -> None:
    account = register(api_url)
    for _ in range(5):
        assert login(api_url, account.email, "wrong-password-xyz").status_code == 401
    blocked = login(api_url, account.email, account.password)
    assert refused(blocked, "too_many_attempts") == 1  # the first delay
    time.sleep(1.2)
    assert login(api_url, account.email, "wrong-password-xyz").status_code == 401
    doubled = login(api_url, account.email, account.password)
    assert refused(doubled, "too_many_attempts") == 2  # doubled by the sixth failure
    time.sleep(2.2)
    assert login(api_url, account.email, account.password).status_code == 200


def test_the_ip_ceiling_refuses_new_accounts_but_not_those_known_here(
    api_url: str, resources: Resources
) -> None:
    services = Services(resources)
    throttle = services.accounts.throttle
    for _ in range(throttle.rules.ip_max_failures):  # a stranger spraying from our network
        throttle.failed(throttle.acquire(new_email(), LOCAL_IP))
    stranger = login(api_url, new_email(), "wrong-password-xyz")
    assert 1 <= refused(stranger, "too_many_attempts") <= throttle.rules.ceiling_window_seconds
    elsewhere = services.users.create(new_email(), "Far Away",
                                      passwords.hash_password(STRONG_PASSWORD))
    assert login(api_url, elsewhere.email, STRONG_PASSWORD).status_code == 429
    regular = register(api_url)  # registered from this network: a known pair
    assert login(api_url, regular.email, regular.password).status_code == 200


def test_login_history_records_attempts_newest_first(api_url: str) -> None:
    account = register(api_url)
    login(api_url, account.email, "wrong-password-xyz", headers={"User-Agent": "probe/1"})
    login(api_url, account.email, account.password, headers={"User-Agent": "probe/2"})
    logins = httpx.get(f"{api_url}/api/me/logins", headers=account.bearer).json()["logins"]
    assert [(e["success"], e["user_agent"]) for e in logins[:2]] == [(True, "probe/2"),
                                                                    (False, "probe/1")]
    assert logins[0]["ip"] == "127.0.0.1"
    page = httpx.get(f"{api_url}/account", headers=cookie_headers(account)).text
    failed_row = re.search(r"<tr><td>[^<]+</td><td>127\.0\.0\.1</td><td>probe/1</td>"
                           r"<td>failed</td></tr>", page)
    assert failed_row, page  # the owner sees the failure: time, IP, device


def test_a_known_and_an_unknown_email_get_the_same_answer_and_headers(api_url: str) -> None:
    account = register(api_url)
    answers = [login(api_url, email, "wrong-password-xyz")
               for email in (account.email, new_email())]
    assert answers[0].json() == answers[1].json()
    assert [a.status_code for a in answers] == [401, 401]
    varying = {"date", "content-length", "x-request-id"}
    assert ({k: v for k, v in answers[0].headers.items() if k not in varying}
            == {k: v for k, v in answers[1].headers.items() if k not in varying})


# -- rate limits outside login ----------------------------------------------------------------
def test_registration_is_limited_per_ip_before_it_says_an_email_is_taken(
    api_url: str, resources: Resources
) -> None:
    taken = register(api_url)
    fill_limit(resources, AccountLimits.from_settings(resources.settings).register_per_ip,
               LOCAL_IP)
    for email in (taken.email, new_email()):  # no 409, and no argon2 hash, past the limit
        response = httpx.post(f"{api_url}/api/auth/register", timeout=30, json={
            "email": email, "password": STRONG_PASSWORD, "display_name": "Prober"})
        refused(response, "too_many_registrations")


def test_reset_mails_are_limited_per_email_alike_for_known_and_unknown(
    api_url: str, resources: Resources
) -> None:
    per_email = resources.settings.reset_mails_per_email
    account = register(api_url)
    for email in (account.email, new_email()):
        statuses = [httpx.post(f"{api_url}/api/auth/password-reset",
                               json={"email": email}).status_code for _ in range(per_email)]
        assert statuses == [202] * per_email
        refused(httpx.post(f"{api_url}/api/auth/password-reset", json={"email": email}),
                "too_many_reset_requests")


def test_reset_mails_are_limited_per_ip(api_url: str, resources: Resources) -> None:
    fill_limit(resources, AccountLimits.from_settings(resources.settings).reset_per_ip,
               LOCAL_IP)
    refused(httpx.post(f"{api_url}/api/auth/password-reset", json={"email": new_email()}),
            "too_many_reset_requests")


def test_password_changes_are_limited_per_account_and_per_ip(
    api_url: str, resources: Resources
) -> None:
    account = register(api_url)
    wrong = {"current_password": "not-it-at-all-1", "new_password": "yet-another-phrase-9"}
    for _ in range(resources.settings.password_changes_per_account):
        response = httpx.post(f"{api_url}/api/me/password", headers=account.bearer, json=wrong)
        assert response.status_code == 403
    right = {**wrong, "current_password": account.password}
    refused(httpx.post(f"{api_url}/api/me/password", headers=account.bearer, json=right),
            "too_many_password_changes")

    other = register(api_url)
    fill_limit(resources, AccountLimits.from_settings(resources.settings).password_change_per_ip,
               LOCAL_IP)
    refused(httpx.post(f"{api_url}/api/me/password", headers=other.bearer, json=right),
            "too_many_password_changes")


def test_html_form_login_answers_303_with_the_cookie(api_url: str) -> None:
    account = register(api_url)
    response = httpx.post(f"{api_url}/api/auth/login?next=/browse",
                          data={"email": account.email, "password": account.password},
                          headers={"Origin": api_url})
    assert response.status_code == 303
    assert response.headers["location"] == "/browse"
    assert "notflix_session=" in response.headers["set-cookie"]
    evil = httpx.post(f"{api_url}/api/auth/login?next=//evil.example",
                      data={"email": account.email, "password": account.password})
    assert evil.headers["location"] == "/"


# -- sessions ---------------------------------------------------------------------------------
def test_logout_revokes_the_session(api_url: str) -> None:
    account = register(api_url)
    assert httpx.post(f"{api_url}/api/auth/logout", headers=account.bearer).status_code == 204
    assert httpx.get(f"{api_url}/api/me", headers=account.bearer).status_code == 401


def test_password_change_revokes_every_other_session(api_url: str) -> None:
    account = register(api_url)
    other = login(api_url, account.email, account.password).json()["token"]
    new_password = "another-long-phrase-77"
    changed = httpx.post(f"{api_url}/api/me/password", headers=account.bearer, json={
        "current_password": account.password, "new_password": new_password})
    assert changed.status_code == 200, changed.text
    assert httpx.get(f"{api_url}/api/me", headers=account.bearer).status_code == 200
    assert httpx.get(f"{api_url}/api/me",
                     headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert login(api_url, account.email, new_password).status_code == 200
    wrong = httpx.post(f"{api_url}/api/me/password", headers=account.bearer, json={
        "current_password": "not-it-at-all-1", "new_password": "yet-another-phrase-9"})
    assert (wrong.status_code, error_code(wrong)) == (403, "wrong_current_password")


# -- password reset -------------------------------------------------------------------------------
def reset_token(resources: Resources, email: str) -> str:
    """The link of the reset mail the worker sends (waits for it: the request is queued)."""
    mails: list[dict[str, object]] = []
    deadline = time.monotonic() + 30
    while not mails and time.monotonic() < deadline:
        mails = [m for m in sent_mail(str(resources.settings.aws_endpoint_url), email)
                 if m["subject"] == "Reset your Notflix password"]
        time.sleep(0.2)
    assert mails, "no reset mail within 30 s"
    link = re.search(r"http\S+reset-password\?\S+", str(mails[-1]["body"]))
    assert link
    return parse_qs(urlsplit(link.group(0)).query)["token"][0]


def test_reset_is_enumeration_safe_single_use_and_revokes_sessions(
    api_url: str, resources: Resources, reset_worker: None
) -> None:
    account = register(api_url)
    known = httpx.post(f"{api_url}/api/auth/password-reset", json={"email": account.email})
    unknown = httpx.post(f"{api_url}/api/auth/password-reset", json={"email": new_email()})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    token = reset_token(resources, account.email)
    html = {"Accept": "text/html"}
    usable = httpx.get(f"{api_url}/reset-password", params={"token": token}, headers=html)
    assert usable.status_code == 200 and "Choose a new password" in usable.text

    confirm = {"token": token, "new_password": "fresh-start-phrase-31"}
    assert httpx.post(f"{api_url}/api/auth/password-reset/confirm", json=confirm
                      ).status_code == 200
    assert httpx.get(f"{api_url}/api/me", headers=account.bearer).status_code == 401
    again = httpx.post(f"{api_url}/api/auth/password-reset/confirm",
                       json={**confirm, "new_password": "second-try-phrase-32"})
    assert (again.status_code, error_code(again)) == (400, "reset_token_invalid")
    # the used link's page says so before a new password is typed (issue 21 item 3)
    used = httpx.get(f"{api_url}/reset-password", params={"token": token}, headers=html)
    assert used.status_code == 400 and "invalid, used or expired" in used.text
    assert 'name="new_password"' not in used.text
    assert login(api_url, account.email, "fresh-start-phrase-31").status_code == 200


# -- web security ---------------------------------------------------------------------------------
def cookie_headers(account: Account, **extra: str) -> dict[str, str]:
    return {"Cookie": f"notflix_session={account.token}", **extra}


def test_cookie_state_changes_need_our_origin(api_url: str) -> None:
    account = register(api_url)
    patch = {"display_name": "Renamed"}
    missing = httpx.patch(f"{api_url}/api/me", json=patch, headers=cookie_headers(account))
    evil = httpx.patch(f"{api_url}/api/me", json=patch,
                       headers=cookie_headers(account, Origin="https://evil.example"))
    assert (missing.status_code, error_code(missing)) == (403, "csrf_rejected")
    assert (evil.status_code, error_code(evil)) == (403, "csrf_rejected")
    ours = httpx.patch(f"{api_url}/api/me", json=patch,
                       headers=cookie_headers(account, Origin=api_url))
    assert ours.status_code == 200 and ours.json()["display_name"] == "Renamed"
    assert httpx.patch(f"{api_url}/api/me", json=patch, headers=account.bearer
                       ).status_code == 200  # bearer tokens are not sent by browsers


def test_security_headers_and_no_store(api_url: str) -> None:
    account = register(api_url)
    response = httpx.get(f"{api_url}/api/me", headers={**account.bearer,
                                                       "Origin": "https://evil.example"})
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in headers
    assert "x-content-type-options" in httpx.get(f"{api_url}/health").headers


ME_ROUTES = sorted({(path, method) for path, methods in chalice_app.routes.items()
                    if path.startswith("/api/me") for method in methods})
ADMIN_ROUTES = sorted({(path, method) for path, methods in chalice_app.routes.items()
                       if path.startswith("/api/admin") for method in methods})


#: Bodies of the routes whose generic body would only test validation.
SPECIFIC_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/me/profiles", "POST"): {"name": "Route check"},
    ("/api/me/profiles/{profile_id}", "PATCH"): {"name": "Renamed"},
    ("/api/me/profiles/{profile_id}/edit", "POST"): {"name": "Renamed"},
    ("/api/me/profiles/{profile_id}/choose", "POST"): {},
    ("/api/me/ratings/{title_id}", "PUT"): {"thumb": "up"},
    ("/api/me/ratings/{title_id}/thumb", "POST"): {"thumb": "up"},
    ("/api/admin/titles/{title_id}/maturity", "PUT"): {"rating": "PG"},
    ("/api/me/playback-events", "POST"): {"play_id": "not-a-play-of-yours", "seq": 0,
                                          "events": [{"type": "rebuffer", "ms": 1}]},
}


def call(api_url: str, path: str, method: str, headers: dict[str, str],
         profile_id: str = "p-none") -> httpx.Response:
    url = api_url + (path.replace("{user_id}", "00000000-0000-0000-0000-000000000000")
                     .replace("{title_id}", "no-such-title")
                     .replace("{profile_id}", profile_id))
    if (path, method) in SPECIFIC_BODIES:
        return httpx.request(method, url, headers=headers, timeout=30,
                             json=SPECIFIC_BODIES[(path, method)])
    bodies = {"PATCH": {"display_name": "Someone"}, "PUT": {"roles": ["viewer"]},
              "POST": {"current_password": STRONG_PASSWORD,
                       "new_password": "rotated-phrase-long-1"}}
    if path == "/api/admin/imports/tmdb":  # an export that does not exist: fails at once
        return httpx.request(method, url, headers=headers, timeout=30,
                             json={"date": "2001-01-01", "kinds": ["movie"], "limit": 1})
    if path == "/api/admin/retention":  # a dry run: nothing is deleted
        return httpx.request(method, url, headers=headers, timeout=60, json={"dry_run": True})
    if path == "/api/admin/webhooks" and method == "POST":
        return httpx.request(method, url, headers=headers, timeout=30,
                             json={"name": "route check", "actors": ["checker"]})
    if path.endswith("/encode-settings"):
        return httpx.request(method, url, headers=headers, timeout=30,
                             json={"only_latest": True, "cooldown_s": 10})
    if path == "/api/admin/uploads":  # a presigned POST for a small file
        return httpx.request(method, url, headers=headers, timeout=30, json={
            "file_name": "clip.mp4", "content_type": "video/mp4", "size": 10})
    if path == "/api/admin/titles":  # a new title, held by its creator
        return httpx.request(method, url, headers=headers, timeout=30,
                             json={"kind": "film", "name": "Route check"})
    if path == "/api/me/progress":  # a title that does not exist (see GENERIC_CALL_REFUSED)
        return httpx.request(method, url, headers=headers, timeout=30, json={
            "title_id": "no-such-title", "position_s": 1, "duration_s": 60})
    if path == "/api/me/imports/imdb":  # a file upload: an IMDb export with one row
        return httpx.request(method, url, headers=headers, timeout=30,
                             json={"csv": "Const,Title,Year\ntt0111161,Some Film,1994\n"})
    return httpx.request(method, url, headers=headers, json=bodies.get(method), timeout=30)


#: Routes whose generic call above is refused for a reason of its own, and with which status.
GENERIC_CALL_REFUSED = {
    ("/api/me/progress", "POST"): 404,
    # a title that does not exist cannot be listed or rated
    ("/api/me/list/{title_id}", "PUT"): 404, ("/api/me/list/{title_id}/add", "POST"): 404,
    ("/api/me/ratings/{title_id}", "PUT"): 404,
    ("/api/me/ratings/{title_id}/thumb", "POST"): 404,
    # a play id the caller was not granted
    ("/api/me/playback-events", "POST"): 404,
    # the caller's main profile (the profile routes name it) cannot be deleted
    ("/api/me/profiles/{profile_id}", "DELETE"): 409,
    ("/api/me/profiles/{profile_id}/delete", "POST"): 409,
}


def test_every_me_route_shows_only_the_callers_data(api_url: str) -> None:
    assert len(ME_ROUTES) >= 4
    alice, bob = register(api_url, name="Alice Example"), register(api_url, name="Bob Example")
    for path, method in ME_ROUTES:
        assert call(api_url, path, method, {}).status_code == 401, (path, method)
        response = call(api_url, path, method, alice.bearer, alice.user["id"])
        refused = GENERIC_CALL_REFUSED.get((path, method))
        if refused is not None:
            assert response.status_code == refused, (path, method, response.text)
        else:
            assert response.status_code < 300, (path, method, response.text)
        text = response.text
        assert bob.email not in text and bob.user["id"] not in text, (path, method)


def test_every_admin_route_is_guarded_by_role(api_url: str, resources: Resources) -> None:
    assert ADMIN_ROUTES
    viewer = register(api_url)
    admin = register(api_url)
    resources.dynamodb.update_item(
        TableName=resources.settings.table_name("users"), Key={"id": {"S": admin.user["id"]}},
        UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "roles"},
        ExpressionAttributeValues={":r": {"SS": ["admin", "viewer"]}})
    for path, method in ADMIN_ROUTES:
        assert call(api_url, path, method, {}).status_code == 401, (path, method)
        assert call(api_url, path, method, viewer.bearer).status_code == 403, (path, method)
        assert call(api_url, path, method, admin.bearer).status_code in (200, 201, 202, 404), (
            path, method)
    promoted = httpx.put(f"{api_url}/api/admin/users/{viewer.user['id']}/roles",
                         headers=admin.bearer, json={"roles": ["viewer", "uploader"]})
    assert promoted.json()["roles"] == ["uploader", "viewer"]
    bad = httpx.put(f"{api_url}/api/admin/users/{viewer.user['id']}/roles",
                    headers=admin.bearer, json={"roles": ["emperor"]})
    assert (bad.status_code, error_code(bad)) == (422, "unknown_role")
    not_an_id = httpx.put(f"{api_url}/api/admin/users/{'x' * 3000}/roles",
                          headers=admin.bearer, json={"roles": ["viewer"]})
    assert not_an_id.status_code == 404
    junk_page = httpx.get(f"{api_url}/api/admin/users", params={"after": "y" * 3000},
                          headers=admin.bearer)
    assert junk_page.status_code == 400
