"""The local PayPal server: OAuth2, subscriptions, webhook verification, signed webhooks.

Formats follow PayPal's REST documentation. `/_control/*` endpoints are test-only knobs
(fail the next requests, list recent requests, simulate an event for a subscription).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import secrets
import string
import threading
import uuid
import zlib
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from localcloud.loopback_server import LoopbackServer
from localcloud.paypal_sim.pki import LocalPki, ensure_test_pki, sign

SUBSCRIPTION_EVENTS = {
    "ACTIVATED": "ACTIVE", "SUSPENDED": "SUSPENDED", "CANCELLED": "CANCELLED",
    "EXPIRED": "EXPIRED", "UPDATED": None, "CREATED": "APPROVAL_PENDING",
    "PAYMENT.FAILED": None,
}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_id(prefix: str, length: int = 12) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def signed_delivery(event: dict[str, Any], *, webhook_id: str, cert_url: str, pki: LocalPki,
                    transmission_time: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers PayPal would send for `event` (nothing is sent)."""
    body = json.dumps(event, separators=(",", ":")).encode()
    transmission_id = str(uuid.uuid4())
    sent_at = transmission_time or now_iso()
    crc = zlib.crc32(body) & 0xFFFFFFFF
    signature = sign(pki, f"{transmission_id}|{sent_at}|{webhook_id}|{crc}".encode())
    return body, {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": sent_at,
        "PAYPAL-TRANSMISSION-SIG": signature,
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


class FakePayPal(LoopbackServer):
    thread_name = "local-paypal"

    def __init__(self, *, port: int, pki: LocalPki, client_id: str, client_secret: str,
                 webhook_url: str, webhook_id: str,
                 plans: dict[str, tuple[str, str]] | None = None) -> None:
        super().__init__(port)
        self.pki = pki
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_url = webhook_url
        self.webhook_id = webhook_id
        self.plans = plans or {}
        self.tokens: set[str] = set()
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.by_request_id: dict[str, str] = {}
        self.sent_bodies: dict[str, bytes] = {}
        #: sale id -> (amount, currency, subscription id), so a refund returns what was paid
        self.sales: dict[str, tuple[str, str, str]] = {}
        self.requests: deque[dict[str, str]] = deque(maxlen=200)
        self.failures: list[int] = []
        self.lock = threading.Lock()

    @property
    def cert_url(self) -> str:
        return f"{self.base_url}/certs/webhook-chain.pem"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # -- webhooks --------------------------------------------------------------------------------
    def send_event(self, event_type: str, resource: dict[str, Any], resource_type: str, *,
                   event_id: str | None = None) -> dict[str, Any]:
        event = {"id": event_id or _random_id("WH-", 17), "event_version": "1.0",
                 "create_time": now_iso(), "resource_type": resource_type,
                 "event_type": event_type, "summary": event_type.title().replace(".", " "),
                 "resource": resource}
        body, headers = signed_delivery(event, webhook_id=self.webhook_id,
                                        cert_url=self.cert_url, pki=self.pki)
        with self.lock:
            self.sent_bodies[headers["PAYPAL-TRANSMISSION-ID"]] = body
        try:
            status = httpx.post(self.webhook_url, content=body, headers=headers,
                                timeout=30).status_code
        except httpx.HTTPError:
            status = 0
        return {"event": event, "headers": headers, "body": body, "status": status}

    def _subscription_resource(self, subscription_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.subscriptions[subscription_id])

    def set_status(self, subscription_id: str, event: str) -> dict[str, Any]:
        """Simulate a lifecycle event (ACTIVATED, SUSPENDED, ...) and send its webhook."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            status = SUBSCRIPTION_EVENTS[event]
            if status:
                subscription["status"] = status
            subscription["update_time"] = subscription["status_update_time"] = now_iso()
            if event == "PAYMENT.FAILED":
                price, currency = self._price(subscription["plan_id"])
                subscription["billing_info"] = {"last_failed_payment": {
                    "amount": {"currency_code": currency, "value": price}, "time": now_iso()}}
        return self.send_event(f"BILLING.SUBSCRIPTION.{event}",
                               self._subscription_resource(subscription_id), "subscription")

    def _price(self, plan_id: str) -> tuple[str, str]:
        return self.plans.get(plan_id, ("9.99", "EUR"))

    def complete_sale(self, subscription_id: str) -> dict[str, Any]:
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            price, currency = self._price(subscription["plan_id"])
            sale_time = now_iso()
            subscription["billing_info"] = {
                "last_payment": {"amount": {"currency_code": currency, "value": price},
                                 "time": sale_time}}
        sale_id = _random_id("SALE-")
        with self.lock:
            self.sales[sale_id] = (price, currency, subscription_id)
        sale = {"id": sale_id, "state": "completed",
                "amount": {"total": price, "currency": currency},
                "billing_agreement_id": subscription_id, "create_time": sale_time,
                "update_time": sale_time}
        return self.send_event("PAYMENT.SALE.COMPLETED", sale, "sale")

    def refund(self, sale_id: str) -> dict[str, Any]:
        with self.lock:
            price, currency, subscription_id = self.sales.get(sale_id, ("9.99", "EUR", ""))
        refund = {"id": _random_id("REF-"), "state": "completed",
                  "amount": {"total": price, "currency": currency}, "sale_id": sale_id,
                  "billing_agreement_id": subscription_id, "create_time": now_iso(),
                  "update_time": now_iso()}
        return self.send_event("PAYMENT.SALE.REFUNDED", refund, "refund")

    # -- REST ------------------------------------------------------------------------------------
    def create_subscription(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        with self.lock:
            if request_id and request_id in self.by_request_id:
                return dict(self.subscriptions[self.by_request_id[request_id]])
            subscription_id = _random_id("I-")
            context = body.get("application_context") or {}
            created = now_iso()
            self.subscriptions[subscription_id] = {
                "id": subscription_id, "status": "APPROVAL_PENDING",
                "plan_id": body.get("plan_id"), "custom_id": body.get("custom_id"),
                "subscriber": body.get("subscriber") or {}, "create_time": created,
                "update_time": created, "_return_url": context.get("return_url", ""),
                "start_time": body.get("start_time") or created,
                "links": [
                    {"href": f"{self.base_url}/checkoutnow?{urlencode({'subscription_id': subscription_id})}",  # noqa: E501
                     "rel": "approve", "method": "GET"},
                    {"href": f"{self.base_url}/v1/billing/subscriptions/{subscription_id}",
                     "rel": "self", "method": "GET"}],
            }
            if request_id:
                self.by_request_id[request_id] = subscription_id
            return dict(self.subscriptions[subscription_id])

    def revise(self, subscription_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """A plan change awaiting the subscriber's approval (PayPal's revise call)."""
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                return None
            context = body.get("application_context") or {}
            subscription["_pending_plan_id"] = body.get("plan_id")
            subscription["_revise_return_url"] = context.get("return_url", "")
            query = urlencode({"subscription_id": subscription_id, "revision": "1"})
            return {"plan_id": body.get("plan_id"), "effective_time": now_iso(),
                    "links": [{"href": f"{self.base_url}/checkoutnow?{query}",
                               "rel": "approve", "method": "GET"}]}

    def apply_revision(self, subscription_id: str) -> str:
        """The approved plan change: the plan replaced, BILLING.SUBSCRIPTION.UPDATED sent;
        where to send the subscriber back."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            subscription["plan_id"] = subscription.pop("_pending_plan_id", subscription["plan_id"])
            subscription["update_time"] = now_iso()
            target = str(subscription.get("_revise_return_url") or "/")
        self.send_event("BILLING.SUBSCRIPTION.UPDATED",
                        _public(self._subscription_resource(subscription_id)), "subscription")
        return target

    def bills_now(self, subscription_id: str) -> bool:
        """False for a subscription whose billing starts later (``start_time`` ahead)."""
        with self.lock:
            start = str(self.subscriptions[subscription_id].get("start_time") or "")
        return not start or start <= now_iso()

    def verify(self, body: dict[str, Any]) -> bool:
        with self.lock:
            sent = self.sent_bodies.get(str(body.get("transmission_id")))
        if sent is None or body.get("webhook_id") != self.webhook_id:
            return False
        if json.loads(sent) != body.get("webhook_event"):
            return False
        crc = zlib.crc32(sent) & 0xFFFFFFFF
        expected = sign(self.pki, (f"{body['transmission_id']}|{body['transmission_time']}|"
                                   f"{self.webhook_id}|{crc}").encode())
        return secrets.compare_digest(expected, str(body.get("transmission_sig")))


APPROVAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local PayPal: approve</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
<h1>Local PayPal</h1>
<p>Approve subscription <strong>{id}</strong> to plan {plan} for {price} a month?</p>
<form method="post" action="/checkoutnow">
<input type="hidden" name="subscription_id" value="{id}">
<button type="submit">Agree and subscribe</button>
</form>
<p><small>This is the local stand-in for PayPal's approval page; no money moves.</small></p>
</body></html>
"""

REVISION_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local PayPal: change plan</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
<h1>Local PayPal</h1>
<p>Change subscription <strong>{id}</strong> from plan {plan} to plan {new_plan} ({price} a
month from the next payment)?</p>
<form method="post" action="/checkoutnow">
<input type="hidden" name="subscription_id" value="{id}">
<input type="hidden" name="revision" value="1">
<button type="submit">Agree and change the plan</button>
</form>
<p><small>This is the local stand-in for PayPal's approval page; no money moves.</small></p>
</body></html>
"""


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in subscription.items() if not k.startswith("_")}


def _handler_for(paypal: FakePayPal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                  raw: bytes | None = None) -> None:
            payload = raw if raw is not None else (b"" if body is None
                                                   else json.dumps(body).encode())
            self.send_response(status)
            for key, value in (headers or {"Content-Type": "application/json"}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _json(self) -> dict[str, Any]:
            try:
                value = json.loads(self._body() or b"{}")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}

        def _error(self, status: int, name: str, message: str) -> None:
            self._send(status, {"name": name, "message": message,
                                "debug_id": secrets.token_hex(6)})

        def _authorised(self) -> bool:
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            return scheme == "Bearer" and token in paypal.tokens

        def _record(self) -> None:
            paypal.requests.append({"method": self.command, "path": urlsplit(self.path).path,
                                    "request_id": self.headers.get("PayPal-Request-Id") or ""})

        def _injected_failure(self) -> bool:
            with paypal.lock:
                status = paypal.failures.pop(0) if paypal.failures else 0
            if status:
                self._error(status, "INTERNAL_SERVICE_ERROR", "injected failure")
            return bool(status)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._record()
            if parts.path == "/certs/webhook-chain.pem":
                self._send(200, raw=paypal.pki.chain_path.read_bytes(),
                           headers={"Content-Type": "application/x-pem-file"})
            elif parts.path == "/_control/requests":
                self._send(200, list(paypal.requests))
            elif parts.path == "/checkoutnow":
                query = parse_qs(parts.query)
                self._approval_page(query.get("subscription_id", [""])[0],
                                    bool(query.get("revision")))
            elif parts.path.startswith("/v1/billing/subscriptions/"):
                if not self._authorised():
                    self._error(401, "AUTHENTICATION_FAILURE", "invalid token")
                elif not self._injected_failure():
                    subscription_id = parts.path.rsplit("/", 1)[-1]
                    with paypal.lock:
                        found = paypal.subscriptions.get(subscription_id)
                    if found is None:
                        self._error(404, "RESOURCE_NOT_FOUND", "no such subscription")
                    else:
                        self._send(200, _public(found))
            else:
                self._error(404, "NOT_FOUND", "no such endpoint")

        def _approval_page(self, subscription_id: str, revision: bool = False) -> None:
            with paypal.lock:
                found = paypal.subscriptions.get(subscription_id)
            if found is None or (revision and not found.get("_pending_plan_id")):
                self._send(404, raw=b"Unknown subscription or revision",
                           headers={"Content-Type": "text/plain"})
                return
            if revision:
                new_plan = str(found["_pending_plan_id"])
                price, currency = paypal._price(new_plan)
                page = REVISION_PAGE.format(id=html.escape(subscription_id),
                                            plan=html.escape(str(found["plan_id"])),
                                            new_plan=html.escape(new_plan),
                                            price=html.escape(f"{price} {currency}"))
                self._send(200, raw=page.encode(), headers={"Content-Type": "text/html"})
                return
            price, currency = paypal._price(str(found["plan_id"]))
            page = APPROVAL_PAGE.format(id=html.escape(subscription_id),
                                        plan=html.escape(str(found["plan_id"])),
                                        price=html.escape(f"{price} {currency}"))
            self._send(200, raw=page.encode(), headers={"Content-Type": "text/html"})

        def _approve(self, subscription_id: str) -> None:
            if subscription_id not in paypal.subscriptions:
                self._send(404, raw=b"Unknown subscription", headers={
                    "Content-Type": "text/plain"})
                return
            paypal.set_status(subscription_id, "ACTIVATED")
            if paypal.bills_now(subscription_id):  # else the first payment is at start_time
                paypal.complete_sale(subscription_id)
            target = paypal.subscriptions[subscription_id]["_return_url"] or "/"
            joiner = "&" if "?" in target else "?"
            self._send(302, headers={
                "Location": f"{target}{joiner}{urlencode({'subscription_id': subscription_id})}"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            self._record()
            if path == "/v1/oauth2/token":
                self._token()
            elif path == "/checkoutnow":
                form = parse_qs(self._body().decode())
                subscription_id = form.get("subscription_id", [""])[0]
                if form.get("revision") and subscription_id in paypal.subscriptions:
                    self._send(302, headers={"Location": paypal.apply_revision(subscription_id)})
                else:
                    self._approve(subscription_id)
            elif path == "/_control/fail-next":
                body = self._json()
                with paypal.lock:
                    paypal.failures = [int(body.get("status", 503))] * int(body.get("count", 1))
                self._send(204)
            elif path == "/_control/simulate":
                body = self._json()
                try:
                    if body.get("event") == "SALE.COMPLETED":
                        result = paypal.complete_sale(str(body["subscription_id"]))
                    else:
                        result = paypal.set_status(str(body["subscription_id"]),
                                                   str(body["event"]))
                except KeyError:
                    self._error(404, "RESOURCE_NOT_FOUND", "unknown subscription or event")
                    return
                self._send(200, {"event": result["event"], "delivered": result["status"]})
            elif not self._authorised():
                self._body()
                self._error(401, "AUTHENTICATION_FAILURE", "invalid token")
            elif self._injected_failure():
                self._body()
            elif path == "/v1/billing/subscriptions":
                created = paypal.create_subscription(
                    self._json(), self.headers.get("PayPal-Request-Id") or "")
                self._send(201, _public(created))
            elif path.startswith("/v1/billing/subscriptions/") and path.endswith("/revise"):
                revised = paypal.revise(path.split("/")[-2], self._json())
                if revised is None:
                    self._error(404, "RESOURCE_NOT_FOUND", "no such subscription")
                else:
                    self._send(200, revised)
            elif path.startswith("/v1/billing/subscriptions/") and path.endswith("/cancel"):
                self._body()
                subscription_id = path.split("/")[-2]
                if subscription_id not in paypal.subscriptions:
                    self._error(404, "RESOURCE_NOT_FOUND", "no such subscription")
                    return
                self._send(204)
                threading.Thread(target=paypal.set_status, args=(subscription_id, "CANCELLED"),
                                 daemon=True).start()
            elif path == "/v1/notifications/verify-webhook-signature":
                status = "SUCCESS" if paypal.verify(self._json()) else "FAILURE"
                self._send(200, {"verification_status": status})
            else:
                self._error(404, "NOT_FOUND", "no such endpoint")

        def _token(self) -> None:
            self._body()
            expected = base64.b64encode(
                f"{paypal.client_id}:{paypal.client_secret}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._send(401, {"error": "invalid_client",
                                 "error_description": "Client Authentication failed"})
                return
            token = "A21" + secrets.token_urlsafe(24)
            with paypal.lock:
                paypal.tokens.add(token)
            self._send(200, {"scope": "https://uri.paypal.com/services/subscriptions",
                             "access_token": token, "token_type": "Bearer",
                             "app_id": "APP-LOCAL", "expires_in": 32400,
                             "nonce": secrets.token_hex(8)})

    return Handler


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Notflix's local PayPal")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pki-dir", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--webhook-id", required=True)
    return parser.parse_args(argv)


def main() -> None:
    args = arguments()
    from pathlib import Path

    from chalicelib.payments.plans import CATALOGUE

    FakePayPal(port=args.port, pki=ensure_test_pki(Path(args.pki_dir)),
               client_id=args.client_id, client_secret=args.client_secret,
               webhook_url=args.webhook_url, webhook_id=args.webhook_id,
               plans={plan_id: (price, currency)
                      for _, price, currency, _, plan_id in CATALOGUE.values()}
               ).serve_forever()


if __name__ == "__main__":
    main()
