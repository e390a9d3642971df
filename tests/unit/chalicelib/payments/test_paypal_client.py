"""The PayPal client's token cache, idempotency keys and retry rules."""

from __future__ import annotations

import json

import httpx
import pytest

from chalicelib.payments.paypal_client import PayPalClient, PayPalError


class FakeTransport:
    """Answers token requests and replays scripted statuses for everything else."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.tokens = 0
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/oauth2/token":
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"T{self.tokens}",
                                             "expires_in": 32400, "token_type": "Bearer"})
        self.calls.append(request)
        status = self.statuses.pop(0) if self.statuses else 201
        if status >= 400:
            return httpx.Response(status, json={"name": "ERROR", "message": "scripted"})
        return httpx.Response(status, json={"id": "I-1", "status": "APPROVAL_PENDING", "links": [
            {"rel": "approve", "href": "https://paypal.example/approve/I-1"}]})


def client(transport: FakeTransport) -> PayPalClient:
    return PayPalClient(httpx.Client(transport=httpx.MockTransport(transport)),
                        "https://api.paypal.example", "id", "secret", backoff_seconds=0.01)


def create(paypal: PayPalClient) -> str:
    return paypal.create_subscription(plan_id="P-1", custom_id="u", email="e@example.com",
                                      return_url="r", cancel_url="c", request_id="req-1").id


def test_5xx_is_retried_with_the_same_request_id_and_the_token_is_cached() -> None:
    transport = FakeTransport([503, 500, 201])
    paypal = client(transport)
    assert create(paypal) == "I-1"
    assert [c.headers["PayPal-Request-Id"] for c in transport.calls] == ["req-1"] * 3
    assert create(paypal) == "I-1"
    assert transport.tokens == 1
    assert json.loads(transport.calls[0].content)["custom_id"] == "u"


def test_4xx_is_not_retried() -> None:
    transport = FakeTransport([422])
    with pytest.raises(PayPalError) as info:
        create(client(transport))
    assert info.value.status == 422
    assert len(transport.calls) == 1


def test_retries_stop_after_the_last_attempt() -> None:
    transport = FakeTransport([503] * 10)
    with pytest.raises(PayPalError):
        create(client(transport))
    assert len(transport.calls) == 4
