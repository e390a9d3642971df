"""Plans, subscriptions, the payments ledger and PayPal's webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.http import BODY_TYPES, is_form, json_response, page_size, see_other
from chalicelib.lazy import lazy_module
from chalicelib.payments.request_ids import subscribe_request_id
from chalicelib.routes.common import (
    body,
    lambda_context,
    query,
    request,
    requires,
)
from chalicelib.routes.root import services

if TYPE_CHECKING:
    from chalicelib.payments import schemas as payment_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    payment_schemas = lazy_module("chalicelib.payments.schemas")

bp = Blueprint(__name__)


@bp.route("/api/plans", methods=["GET"])
def plans() -> Response:
    return json_response({"plans": [p.public() for p in services.payments.all_plans()]})


@bp.route("/api/subscriptions", methods=["POST"], content_types=BODY_TYPES)
@requires()
def subscribe() -> Response:
    user = current().user
    plan = body(payment_schemas.SubscribeIn).plan
    created = services.payments.subscribe(user.id, user.email, plan, subscribe_request_id(
        user.id, request().headers.get("idempotency-key")))
    if is_form(request()):
        return see_other(created["approve_url"])
    return json_response(created, 201)


@bp.route("/api/subscriptions/cancel", methods=["POST"], content_types=BODY_TYPES)
@requires()
def cancel_subscription() -> Response:
    subscription = services.payments.cancel(current().user.id)
    if is_form(request()):
        return see_other("/account")
    return json_response(subscription.public())


@bp.route("/api/me/payments", methods=["GET"])
@requires()
def my_payments() -> Response:
    limit = page_size(query("limit"))
    payments, cursor = services.payments.payments(current().user.id, query("cursor"),
                                                  limit)
    return json_response({"payments": [p.public() for p in payments], "next": cursor})


@bp.route("/webhooks/paypal", methods=["POST"])
def paypal_webhook() -> Response:
    current = request()
    raw = current.raw_body or b""
    outcome = services.payments.receive_webhook(
        {k: str(v) for k, v in current.headers.items()},
        raw.encode() if isinstance(raw, str) else raw, lambda_context())
    return json_response({"status": outcome})
