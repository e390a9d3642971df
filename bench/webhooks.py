"""Webhook benchmark: verified PayPal webhook handling with local verification.

In one run, against a private embedded stack (moto DynamoDB) and a local PayPal:
- signature verification alone (certificate cached after the first event);
- a new event handled in-process: verify + idempotency record + ledger and subscription writes;
- a replayed event (answered from the idempotency record);
- `POST /webhooks/paypal` over HTTP through `chalice local`, sequential, and its throughput.
Ratios are to verification alone.

Run: `.venv/bin/python -m bench.webhooks`.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.harness import http_client, measure, private_stack, report
from chalicelib.payments.verify import Transmission
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from localcloud.paypal_sim.pki import ensure_test_pki
from localcloud.paypal_sim.server import signed_delivery
from localcloud.sidecars.paypal import pki_dir

RUNS = 200


def sale(subscription_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": f"WH-{uuid.uuid4().hex[:16]}", "event_version": "1.0", "create_time": now,
            "resource_type": "sale", "event_type": "PAYMENT.SALE.COMPLETED",
            "resource": {"id": f"SALE-{uuid.uuid4().hex[:12]}", "state": "completed",
                         "amount": {"total": "9.99", "currency": "EUR"},
                         "billing_agreement_id": subscription_id, "create_time": now,
                         "update_time": now}}


def main() -> None:
    with private_stack() as (settings, api_url):
        services = Services(Resources(settings))
        payments = services.payments
        subscription_id = f"I-BENCH{uuid.uuid4().hex[:8].upper()}"
        payments.subscriptions.ensure_pending(subscription_id, "bench-user", "standard")
        pki = ensure_test_pki(pki_dir())
        cert_url = f"{settings.paypal_base_url}/certs/webhook-chain.pem"

        def delivery() -> tuple[bytes, dict[str, str]]:
            return signed_delivery(sale(subscription_id), webhook_id=settings.paypal_webhook_id,
                                   cert_url=cert_url, pki=pki)

        body, headers = delivery()
        transmission = Transmission.from_headers(headers)
        fresh = [delivery() for _ in range(RUNS + 1)]

        def new_event() -> None:
            raw, hdrs = fresh.pop()
            payments.receive_webhook(hdrs, raw)

        over_http = [delivery() for _ in range(RUNS + 1)]
        rows = {
            "verify signature (cert cached)": measure(
                lambda: payments.verifier.verify(transmission, body), RUNS),
            "new event, in-process (verify + writes)": measure(new_event, RUNS),
            "replayed event (idempotency hit)": measure(
                lambda: payments.receive_webhook(headers, body), RUNS),
        }
        with http_client(api_url) as http:
            def post() -> None:
                raw, hdrs = over_http.pop()
                http.post("/webhooks/paypal", content=raw, headers=hdrs).raise_for_status()

            started = time.perf_counter()
            rows["POST /webhooks/paypal (HTTP, new event)"] = measure(post, RUNS)
            elapsed = time.perf_counter() - started
    report(rows, "verify signature (cert cached)")
    print(f"HTTP throughput, one client: {(RUNS + 1) / elapsed:.0f} events/s")


if __name__ == "__main__":
    main()
