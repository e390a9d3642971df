"""Verify that a webhook really comes from PayPal, before anything else looks at it.

Two interchangeable verifiers:
- `ApiVerifier` asks PayPal (`POST /v1/notifications/verify-webhook-signature`);
- `LocalVerifier` checks as PayPal's SDKs do: RSA-SHA256 over
  `transmission_id|transmission_time|webhook_id|crc32(raw body)` with the certificate at
  `PAYPAL-CERT-URL`, whose host must be allowlisted and whose chain must lead to a trusted CA.
"""

from __future__ import annotations

import base64
import itertools
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.payments.paypal_client import PayPalClient, PayPalError
from chalicelib.platform.errors import AppError
from chalicelib.platform.json_input import load_json

MAX_SKEW_SECONDS = 300
HEADERS = ("paypal-transmission-id", "paypal-transmission-time", "paypal-transmission-sig",
           "paypal-cert-url", "paypal-auth-algo")


class WebhookRejected(AppError):
    status = 401
    code = "webhook_rejected"


@dataclass(frozen=True)
class Transmission:
    id: str
    time: str
    signature: str
    cert_url: str
    auth_algo: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Transmission:
        lowered = {k.lower(): v for k, v in headers.items()}
        missing = [h for h in HEADERS if not lowered.get(h)]
        if missing:
            raise AppError(f"missing webhook headers: {', '.join(missing)}", status=400,
                           code="webhook_headers_missing")
        return cls(*(lowered[h] for h in HEADERS))

    def check_time(self, now: datetime, max_skew: int = MAX_SKEW_SECONDS) -> None:
        try:
            sent = datetime.fromisoformat(self.time.replace("Z", "+00:00"))
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=UTC)
            skew = abs((now - sent).total_seconds())
        except (ValueError, OverflowError) as exc:
            raise WebhookRejected("the transmission time is not a date") from exc
        if skew > max_skew:
            raise WebhookRejected("the transmission time is more than 5 minutes off")


class Verifier(Protocol):
    def verify(self, transmission: Transmission, raw_body: bytes) -> None: ...


def signed_string(transmission_id: str, transmission_time: str, webhook_id: str,
                  raw_body: bytes) -> bytes:
    crc = zlib.crc32(raw_body) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


class CertificateStore:
    """Fetches a certificate chain once per URL, checks its host and its chain, caches it."""

    def __init__(self, http: httpx.Client, allowed_hosts: tuple[str, ...],
                 trusted: list[x509.Certificate], *, allow_http_hosts: tuple[str, ...] = ()):
        self.http = http
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.allow_http_hosts = {h.lower() for h in allow_http_hosts}
        self.trusted = trusted
        self._cache: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    @staticmethod
    def load_bundle(path: str) -> list[x509.Certificate]:
        if not path:
            import certifi

            path = certifi.where()
        return x509.load_pem_x509_certificates(Path(path).read_bytes())

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.netloc or "").lower()
        secure = parts.scheme == "https" or (parts.scheme == "http"
                                             and host in self.allow_http_hosts)
        if not secure or host not in self.allowed_hosts:
            raise WebhookRejected("the certificate URL is not on PayPal's allowlist")

    def _check_chain(self, chain: list[x509.Certificate], now: datetime) -> None:
        for cert in chain:
            if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
                raise WebhookRejected("a certificate in the chain is expired or not yet valid")
        for child, parent in itertools.pairwise(chain):
            try:
                child.verify_directly_issued_by(parent)
            except (ValueError, TypeError, InvalidSignature) as exc:
                raise WebhookRejected("the certificate chain is broken") from exc
        top = chain[-1]
        for anchor in self.trusted:
            if top == anchor:
                return
            try:
                top.verify_directly_issued_by(anchor)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return
        raise WebhookRejected("the certificate is not issued by a trusted authority")

    def get(self, url: str, now: datetime) -> x509.Certificate:
        self._check_url(url)
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and cached.not_valid_after_utc >= now:
            return cached
        try:
            response = self.http.get(url, timeout=5)
            response.raise_for_status()
            chain = x509.load_pem_x509_certificates(response.content)
        except (httpx.HTTPError, ValueError) as exc:
            raise WebhookRejected("the signing certificate could not be fetched") from exc
        self._check_chain(chain, now)
        with self._lock:
            self._cache[url] = chain[0]
        return chain[0]


class LocalVerifier:
    def __init__(self, certificates: CertificateStore, webhook_id: str) -> None:
        self.certificates = certificates
        self.webhook_id = webhook_id

    def verify(self, transmission: Transmission, raw_body: bytes) -> None:
        now = datetime.now(UTC)
        transmission.check_time(now)
        if transmission.auth_algo.upper() != "SHA256WITHRSA":
            raise WebhookRejected("unsupported signature algorithm")
        cert = self.certificates.get(transmission.cert_url, now)
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookRejected("the signing certificate has no RSA key")
        try:
            signature = base64.b64decode(transmission.signature, validate=True)
            key.verify(signature, signed_string(transmission.id, transmission.time,
                                                self.webhook_id, raw_body),
                       padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature) as exc:
            raise WebhookRejected("the webhook signature does not match") from exc


class ApiVerifier:
    def __init__(self, client: PayPalClient, webhook_id: str) -> None:
        self.client = client
        self.webhook_id = webhook_id

    def verify(self, transmission: Transmission, raw_body: bytes) -> None:
        transmission.check_time(datetime.now(UTC))
        event: Any = load_json(raw_body)
        try:
            confirmed = self.client.verify_webhook_signature({
                "auth_algo": transmission.auth_algo, "cert_url": transmission.cert_url,
                "transmission_id": transmission.id, "transmission_sig": transmission.signature,
                "transmission_time": transmission.time, "webhook_id": self.webhook_id,
                "webhook_event": event,
            })
        except PayPalError as exc:
            if exc.status >= 500:
                raise  # PayPal is unwell: the caller answers 503 and PayPal retries
            raise WebhookRejected("PayPal refused to verify the webhook") from exc
        if not confirmed:
            raise WebhookRejected("PayPal did not confirm the webhook signature")
