"""The other verifier: PayPal's own verify-webhook-signature API (the local PayPal here)."""

from __future__ import annotations

import httpx
import pytest

from chalicelib.payments.paypal_client import PayPalClient
from chalicelib.payments.verify import ApiVerifier, Transmission
from chalicelib.platform.errors import AppError
from localcloud.paypal_sim.server import FakePayPal

pytestmark = pytest.mark.integration


def test_api_verifier_accepts_what_paypal_sent_and_refuses_changes(
    fake_paypal: FakePayPal,
) -> None:
    client = PayPalClient(httpx.Client(timeout=10), fake_paypal.base_url, fake_paypal.client_id,
                          fake_paypal.client_secret)
    verifier = ApiVerifier(client, fake_paypal.webhook_id)
    delivery = fake_paypal.send_event("CUSTOMER.DISPUTE.CREATED", {"id": "PP-D-2"}, "dispute")
    transmission = Transmission.from_headers(delivery["headers"])
    verifier.verify(transmission, delivery["body"])
    with pytest.raises(AppError) as info:
        verifier.verify(transmission, delivery["body"].replace(b"PP-D-2", b"PP-D-3"))
    assert info.value.status == 401
    with pytest.raises(AppError):
        ApiVerifier(client, "WH-SOMEONE-ELSE").verify(transmission, delivery["body"])
