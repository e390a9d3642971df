"""Plans, subscriptions, the payments ledger and PayPal's webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import (
    SEE_OTHER,
    USER,
    Op,
)
from chalicelib.openapi.queries import (
    CURSOR,
    LIMIT,
)
from chalicelib.payments.request_ids import subscribe_request_id
from chalicelib.platform.http import (
    BODY_TYPES,
    Json,
    SeeOther,
    is_form,
    json_response,
    page_size,
    see_other,
)
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import (
    body,
    lambda_context,
    query,
    request,
)
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services

if TYPE_CHECKING:
    from chalicelib.payments import schemas as payment_schemas
else:  # pydantic and email-validator load with the first request that parses a body
    payment_schemas = lazy_module("chalicelib.payments.schemas")

bp = Blueprint(__name__)


@declare(bp, "GET", "/api/plans", Op("The plans on offer", "payments", "Plans"))
def plans() -> Json[api.Plans]:
    return json_response({"plans": [p.public() for p in services.payments.all_plans()]})


@declare(bp, "POST", "/api/subscriptions", Op(
    "Start a PayPal subscription (approve it at `approve_url`)", "payments",
    "SubscriptionCreated", 201, "chalicelib.payments.schemas:SubscribeIn", roles=USER,
    errors=(409, 422, 502), also=SEE_OTHER), content_types=BODY_TYPES)
def subscribe() -> Json[api.SubscriptionCreated] | SeeOther:
    user = current().user
    plan = body(payment_schemas.SubscribeIn).plan
    created = services.payments.subscribe(user.id, user.email, plan, subscribe_request_id(
        user.id, request().headers.get("idempotency-key")))
    if is_form(request()):
        return see_other(created["approve_url"])
    return json_response(created, 201)


@declare(bp, "POST", "/api/subscriptions/plan", Op(
    "Change plan, up or down (approve it at `approve_url`; PayPal's plan revision)", "payments",
    "SubscriptionCreated", 200, "chalicelib.payments.schemas:SubscribeIn", roles=USER,
    errors=(409, 422, 502), also=SEE_OTHER), content_types=BODY_TYPES)
def change_plan() -> Json[api.SubscriptionCreated] | SeeOther:
    user = current().user
    plan = body(payment_schemas.SubscribeIn).plan
    revision = services.payments.change_plan(user.id, plan, subscribe_request_id(
        user.id, request().headers.get("idempotency-key")))
    if is_form(request()):
        return see_other(revision["approve_url"])
    return json_response(revision)


@declare(bp, "POST", "/api/subscriptions/restart", Op(
    "Restart a cancelled subscription before its paid time ends (billing resumes when it "
    "would have ended)", "payments", "SubscriptionCreated", 201, roles=USER,
    errors=(409, 502), also=SEE_OTHER), content_types=BODY_TYPES)
def restart_subscription() -> Json[api.SubscriptionCreated] | SeeOther:
    user = current().user
    created = services.payments.restart(user.id, user.email, subscribe_request_id(
        user.id, request().headers.get("idempotency-key")))
    if is_form(request()):
        return see_other(created["approve_url"])
    return json_response(created, 201)


@declare(bp, "POST", "/api/subscriptions/cancel", Op(
    "Cancel the subscription (paid time remains)", "payments", "Subscription", roles=USER,
    errors=(404, 409, 502), also=SEE_OTHER), content_types=BODY_TYPES)
def cancel_subscription() -> Json[api.Subscription] | SeeOther:
    subscription = services.payments.cancel(current().user.id)
    if is_form(request()):
        return see_other("/account?cancelled=1")
    return json_response(subscription.public())


@declare(bp, "GET", "/api/me/payments", Op("The payments ledger, newest first", "payments",
    "Payments", roles=USER,
    query=(LIMIT, CURSOR)))
def my_payments() -> Json[api.Payments]:
    limit = page_size(query("limit"))
    payments, cursor = services.payments.payments(current().user.id, query("cursor"),
                                                  limit)
    return json_response({"payments": [p.public() for p in payments], "next": cursor})


@declare(bp, "POST", "/webhooks/paypal", Op(
    "PayPal's webhook (signature-verified; each event applied once)", "payments",
    "WebhookOutcome", body="object", errors=(401,)))
def paypal_webhook() -> Json[api.WebhookOutcome]:
    current = request()
    raw = current.raw_body or b""
    outcome = services.payments.receive_webhook(
        {k: str(v) for k, v in current.headers.items()},
        raw.encode() if isinstance(raw, str) else raw, lambda_context())
    return json_response({"status": outcome})
