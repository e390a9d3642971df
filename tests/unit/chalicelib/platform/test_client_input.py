"""What a client sends is refused with a 4xx, never a 500 or a redirect off the site
(issue 18: findings 1, 5, 6, 10 and 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client
from pydantic import BaseModel, ConfigDict

from chalicelib.openapi.declarations import DECLARED
from chalicelib.openapi.queries import Param
from chalicelib.payments.events import MalformedEvent, _time
from chalicelib.payments.verify import Transmission, WebhookRejected
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import AppError
from chalicelib.platform.http import install_middleware, json_response, local_path, parse_body
from chalicelib.platform.ids import is_uuid
from chalicelib.platform.json_input import MAX_DEPTH, load_json
from chalicelib.platform.query_checks import check_query

# -- 1. redirects after login stay on this site ------------------------------------------------


@pytest.mark.parametrize("target", [
    "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "/\r/evil.example",
    "//evil.example/", "https://evil.example/", "javascript:alert(1)", "/ /evil.example",
    "/\u3000/evil.example", "\\/evil.example", "/\x00/evil.example", "evil.example",
    "/caf\u00e9", "",
])
def test_redirect_targets_a_browser_could_resolve_elsewhere_go_home(target: str) -> None:
    assert local_path(target) == "/"


@pytest.mark.parametrize("target", ["/", "/plans", "/titles/t-1?season=2#cast",
                                    "/browse?genre=Drama&year=1994", "/search?q=%C3%A9t%C3%A9"])
def test_local_paths_are_kept(target: str) -> None:
    assert local_path(target) == target


# -- 5. JSON bodies are parsed with limits ---------------------------------------------------


def _refusal(raw: str | bytes) -> AppError:
    with pytest.raises(AppError) as caught:
        load_json(raw)
    return caught.value


@pytest.mark.parametrize("raw", [
    '{"n": ' + "9" * 5000 + "}",  # over Python's 4,300-digit int limit: was a ValueError (500)
    '{"n": ' + "9" * 41 + "}",
    "[" * 1000 + "]" * 1000,  # was a RecursionError (500)
    '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
    '{"x": NaN}', '{"x": -Infinity}',
    b'{"x": "\xff"}',
])
def test_bodies_beyond_the_limits_are_400_malformed_json(raw: str | bytes) -> None:
    error = _refusal(raw)
    assert (error.status, error.code) == (400, "malformed_json")


@pytest.mark.parametrize("raw", ['{"csv": "\\ud800"}', '{"\\udfff": 1}', '["a", ["\\udc00"]]'])
def test_a_lone_surrogate_anywhere_is_400_text_not_unicode(raw: str) -> None:
    error = _refusal(raw)
    assert (error.status, error.code) == (400, "text_not_unicode")
    assert "lone surrogate" in error.message


def test_the_refusal_says_what_is_wrong() -> None:
    details = _refusal("[" * 1000 + "]" * 1000).details
    assert details and f"deeper than {MAX_DEPTH} levels" in details[0]["message"]
    details = _refusal('{"n": ' + "9" * 5000 + "}").details
    assert details and "more than 40 digits" in details[0]["message"]


def test_ordinary_bodies_parse_as_before() -> None:
    body = {"email": "zoë@example.com", "amount": -12345678901234567890, "ratio": 1.5,
            "nested": {"a": [{"b": [1, 2, {"c": "\U0001f600"}]}]}}
    assert load_json(json.dumps(body)) == body
    assert load_json(json.dumps(body, ensure_ascii=False).encode()) == body


class _Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str


def _app() -> Chalice:
    app = Chalice(app_name="limits-test")
    install_middleware(app)

    @app.route("/api/login", methods=["POST"], content_types=["application/json"])
    def login() -> object:
        request = app.current_request
        assert request is not None
        return json_response({"email": parse_body(request, _Login, 65536).email})

    @app.route("/api/admin/jobs", methods=["GET"])
    def jobs() -> object:
        return json_response({"ok": True})

    return app


@pytest.mark.parametrize("raw", ['{"email": ' + "1" * 4301 + "}",
                                 '{"email":' * 1000 + '"a"' + "}" * 1000])
def test_a_json_route_answers_400_not_500(raw: str) -> None:
    with Client(_app()) as client:
        response = client.http.post("/api/login", body=raw,
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "malformed_json"


# -- 6. text that str.isdigit() takes for a number -------------------------------------------


@pytest.mark.parametrize("text", ["\u00b2", "\u0663", "1\u00b2", "9" * 19, "", "-1", " 1"])
def test_only_short_ascii_digits_are_whole_numbers(text: str) -> None:
    assert not is_whole_number(text)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59-01:00", "1969-12-31T00:00:00Z",
                                   "not a time", None])
def test_paypal_times_outside_what_paypal_sends_are_malformed_events(value: Any) -> None:
    with pytest.raises(MalformedEvent):
        _time(value)


def test_paypal_times_in_range_are_normalised() -> None:
    assert _time("2026-12-05T10:00:00+01:00") == "2026-12-05T09:00:00.000Z"


def test_a_transmission_time_in_year_one_is_rejected_not_a_crash() -> None:
    from datetime import UTC, datetime
    transmission = Transmission(id="x", time="0001-01-01T00:00:00+14:00", signature="x",
                                cert_url="x", auth_algo="x")
    with pytest.raises(WebhookRejected):
        transmission.check_time(datetime.now(UTC))


# -- 10. ids only in their canonical form ------------------------------------------------------


def test_only_canonical_uuids_are_ids() -> None:
    canonical = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert is_uuid(canonical)
    for other in ("{" + canonical + "}", "urn:uuid:" + canonical, canonical.replace("-", ""),
                  canonical.upper(), canonical + "\n", " " + canonical, ""):
        assert not is_uuid(other), other


# -- 11. the documented query limits are the checked ones ----------------------------------


def test_the_checked_query_limits_are_the_declared_ones() -> None:
    import app  # noqa: F401  (its route modules declare every route)

    jobs = DECLARED[("GET", "/api/admin/jobs")]
    panel = next(p for p in jobs.query if p.name == "panel")
    assert panel.max_length == 16
    with pytest.raises(AppError, match="panel must be at most 16"):
        check_query("GET", "/api/admin/jobs", {"title": "t-1", "panel": "p" * 17})
    check_query("GET", "/api/admin/jobs", {"title": "t-1", "panel": "p" * 16})


def test_a_documented_limit_holds_whichever_parameters_the_handler_reads() -> None:
    with Client(_app()) as client:
        long_panel = client.http.get("/api/admin/jobs?title=t-1&panel=" + "p" * 17)
        fine = client.http.get("/api/admin/jobs?title=t-1&panel=active")
    assert long_panel.status_code == 400
    error = json.loads(long_panel.body)["error"]
    assert error["code"] == "bad_query_param"
    assert error["message"] == "The query parameter panel must be at most 16 characters long."
    assert fine.status_code == 200


RULES = {("GET", "/api/x"): (Param("n", "n", "integer", minimum=1, maximum=50),
                             Param("q", "q", min_length=1, max_length=4, required=True),
                             Param("after", "after", format="uuid"))}


@pytest.mark.parametrize("params, problem", [
    ({"q": "a", "n": "0"}, "n must be at least 1"),
    ({"q": "a", "n": "51"}, "n must be at most 50"),
    ({"q": "a", "n": "\u00b2"}, "n must be a whole number"),
    ({"q": "a", "n": "1" * 5000}, "n must be a whole number"),
    ({"q": ""}, "q must be at least 1 characters long"),
    ({"q": "abcde"}, "q must be at most 4 characters long"),
    ({}, "q is required"),
    ({"q": "a", "after": "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"}, "after must be"),
])
def test_query_limits_are_400_naming_the_parameter(params: dict[str, str], problem: str) -> None:
    with pytest.raises(AppError) as caught:
        check_query("GET", "/api/x", params, RULES)
    assert caught.value.status == 400 and problem in str(caught.value)


def test_pages_take_their_query_hints_leniently() -> None:
    rules = {("GET", "/x"): (Param("q", "q", max_length=1),)}
    check_query("GET", "/x", {"q": "too long for the rule"}, rules)
    check_query("GET", "/api/x", {"q": "a", "n": "50", "other": "x" * 999}, RULES)
