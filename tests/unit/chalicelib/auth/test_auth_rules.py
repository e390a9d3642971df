from __future__ import annotations

import pytest
from chalice.app import Request

from chalicelib.auth import passwords
from chalicelib.auth.guard import Guard, bearer_token, cookie_token
from chalicelib.platform.errors import AppError
from chalicelib.platform.web_security import SecurityHeaders


@pytest.mark.parametrize(("password", "code"), [
    ("short", "password_too_short"),
    ("x" * 300, "password_too_long"),
    ("QWERTYUIOP", "password_too_common"),
    ("password2024", "password_too_common"),
    ("marguerite-1985x", "password_matches_account"),
])
def test_password_policy_refusals(password: str, code: str) -> None:
    error = passwords.policy_error(password, email="marguerite@example.com", name="Marg")
    assert error is not None and error.code == code and error.status == 422


def test_a_good_password_passes_and_verifies() -> None:
    assert passwords.policy_error("tangerine-orbit-castle-9") is None
    stored = passwords.hash_password("tangerine-orbit-castle-9")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "tangerine-orbit-castle-9")
    assert not passwords.verify_password(stored, "tangerine-orbit-castle-8")
    assert not passwords.verify_password("not a hash", "x")


def request(method: str = "POST", **headers: str) -> Request:
    return Request({"multiValueQueryStringParameters": None, "headers": headers,
                    "pathParameters": None, "requestContext": {"httpMethod": method,
                                                               "resourcePath": "/api/me"},
                    "body": None, "stageVariables": None})


def test_tokens_are_read_from_bearer_or_cookie() -> None:
    assert bearer_token(request(authorization="Bearer abc")) == "abc"
    assert bearer_token(request(authorization="Basic abc")) is None
    assert cookie_token(request(cookie="a=1; notflix_session=tok; b=2")) == "tok"


def test_origin_check() -> None:
    guard = Guard(None, None, frozenset({"http://127.0.0.1:8000"}))  # type: ignore[arg-type]
    guard.check_origin(request(origin="http://127.0.0.1:8000"), required=True)
    guard.check_origin(request(referer="http://127.0.0.1:8000/account"), required=True)
    guard.check_origin(request("GET"), required=True)
    guard.check_origin(request(), required=False)
    for bad in (request(), request(origin="https://evil.example")):
        with pytest.raises(AppError) as info:
            guard.check_origin(bad, required=True)
        assert info.value.code == "csrf_rejected"


def test_cors_echoes_only_allowlisted_origins() -> None:
    from chalice.app import Response

    headers = SecurityHeaders(csp="default-src 'self'", cors_origins=["https://app.example"],
                              https=True)
    allowed, refused = Response(body=""), Response(body="")
    headers.apply(request("GET", origin="https://app.example"), allowed, "/api/titles")
    headers.apply(request("GET", origin="https://evil.example"), refused, "/api/titles")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Strict-Transport-Security" in allowed.headers
    assert "Cache-Control" not in allowed.headers
