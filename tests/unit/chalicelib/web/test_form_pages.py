"""A failed form comes back as its page: the message, the fields refilled, never a password."""

from __future__ import annotations

from urllib.parse import urlencode

from chalice.app import Chalice, Request, Response
from chalice.test import Client, HTTPResponse

from chalicelib.platform.errors import AppError, catalogued
from chalicelib.platform.http import BODY_TYPES, install_middleware
from chalicelib.web import form_pages
from chalicelib.web.errors import page_error
from chalicelib.web.form_pages import FormPage, field_errors, form_context

FORM = {"accept": "text/html", "content-type": "application/x-www-form-urlencoded"}


def echo(error: AppError, values: dict[str, str], _request: Request) -> Response:
    shown = ";".join(f"{k}={v}" for k, v in sorted(values.items()))
    return Response(body=f"{error.code}|{shown}|{sorted(field_errors(error))}",
                    status_code=error.status, headers={"Content-Type": "text/html"})


def broken(_error: AppError, _values: dict[str, str], _request: Request) -> Response:
    raise RuntimeError("the page could not draw")


def make_app() -> Chalice:
    app = Chalice(app_name="form-pages-test")
    install_middleware(app, html_errors=page_error)
    form_pages.register("/t/register", FormPage("/t-register", echo, ("name", "email",
                                                                      "password")))
    form_pages.register("/t/subscribe", FormPage("/t-plans", echo))
    form_pages.register("/t/broken", FormPage("/t-broken", broken))

    @app.route("/t/register", methods=["POST"], content_types=BODY_TYPES)
    def register() -> object:
        raise catalogued("password_too_short", minimum=12)

    @app.route("/t/subscribe", methods=["POST"], content_types=BODY_TYPES)
    def subscribe() -> object:
        raise catalogued("not_authenticated")

    @app.route("/t/broken", methods=["POST"], content_types=BODY_TYPES)
    def broken_form() -> object:
        raise catalogued("email_taken")

    return app


def post(path: str, fields: dict[str, str], **headers: str) -> HTTPResponse:
    with Client(make_app()) as client:
        return client.http.post(path, headers={**FORM, **headers}, body=urlencode(fields))


def test_the_form_comes_back_with_its_fields_and_never_the_password() -> None:
    answer = post("/t/register", {"name": "Ann", "email": "ann@example.com",
                                  "password": "hunter2"})
    assert answer.status_code == 422
    code, shown, fields = answer.body.decode().split("|")
    assert code == "password_too_short"
    assert shown == "email=ann@example.com;name=Ann"
    assert "hunter2" not in answer.body.decode()
    assert fields == "['new_password', 'password']"  # the policy's field is marked


def test_a_logged_out_post_goes_to_log_in_and_back_to_the_forms_page() -> None:
    answer = post("/t/subscribe", {"plan": "basic"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=/t-plans"


def test_a_form_page_that_cannot_draw_falls_back_to_the_error_page_with_a_real_link() -> None:
    answer = post("/t/broken", {"email": "a@example.com"}, referer="http://testhost/t-broken?x=1",
                  host="testhost")
    body = answer.body.decode()
    assert answer.status_code == 409
    assert 'href="/t-broken?x=1"' in body and "javascript:" not in body


def test_a_referer_from_another_site_is_no_way_back() -> None:
    answer = post("/t/broken", {}, referer="https://evil.example/x", host="testhost")
    assert "evil.example" not in answer.body.decode()
    assert 'id="back"' not in answer.body.decode()


def test_validation_details_mark_their_fields() -> None:
    error = catalogued("validation_failed", details=[
        {"field": "email", "message": "not an email"}, {"field": "email", "message": "second"}])
    context = form_context(error, {"email": "x"})
    assert context["field_errors"] == {"email": "not an email"}
    assert form_context(None, {})["field_errors"] == {}
