"""The payments service in process, talking to the local PayPal (a loopback HTTP server).

The local PayPal's webhooks go nowhere (a closed port): the tests sign deliveries with its
certificate and hand them to ``PaymentsService.receive_webhook`` themselves.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from chalicelib.payments.plans import CATALOGUE
from chalicelib.services import Services
from localcloud.isolation import free_port
from localcloud.paypal_sim.pki import ensure_test_pki
from localcloud.paypal_sim.server import FakePayPal
from tests.inprocess import InProcessCloud


@pytest.fixture(scope="session")
def local_paypal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakePayPal]:
    pki = ensure_test_pki(tmp_path_factory.mktemp("unit-paypal-pki"))
    paypal = FakePayPal(port=0, pki=pki, client_id="unit-client",
                        client_secret=secrets.token_urlsafe(16),
                        webhook_url=f"http://127.0.0.1:{free_port()}/webhooks/paypal",
                        webhook_id=f"WH-UNIT-{secrets.token_hex(4)}",
                        plans={plan_id: (price, currency) for _, price, currency, _, plan_id
                               in CATALOGUE.values()})
    paypal.start()
    try:
        yield paypal
    finally:
        paypal.stop()


@pytest.fixture
def paying(cloud: InProcessCloud, local_paypal: FakePayPal) -> Iterator[Services]:
    """The in-process composition root, with PayPal settings naming the local PayPal."""
    with cloud.active():
        services = cloud.services(
            paypal_base_url=local_paypal.base_url, paypal_client_id=local_paypal.client_id,
            paypal_client_secret=local_paypal.client_secret,
            paypal_webhook_id=local_paypal.webhook_id, paypal_verifier="local",
            paypal_ca_bundle=str(local_paypal.pki.ca_cert_path),
            paypal_cert_hosts=(urlsplit(local_paypal.base_url).netloc,))
        try:
            yield services
        finally:
            services.resources.close()

