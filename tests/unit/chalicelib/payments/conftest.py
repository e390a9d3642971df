"""The payments service in process, talking to the local PayPal (a loopback HTTP server).

The local PayPal's webhooks go nowhere (a closed port): the tests sign deliveries with its
certificate and hand them to ``PaymentsService.receive_webhook`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from chalicelib.services import Services
from localcloud.isolation import free_port
from localcloud.paypal_sim.server import FakePayPal
from tests.inprocess import InProcessCloud
from tests.support import local_paypal as unstarted_paypal


@pytest.fixture(scope="session")
def local_paypal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakePayPal]:
    paypal = unstarted_paypal(tmp_path_factory.mktemp("unit-paypal-pki"), client_id="unit-client",
                          webhook_url=f"http://127.0.0.1:{free_port()}/webhooks/paypal")
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

