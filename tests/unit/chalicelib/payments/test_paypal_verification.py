"""Local webhook verification, as PayPal's SDKs do it, with certificates made for the test."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from chalicelib.payments.verify import (
    CertificateStore,
    LocalVerifier,
    Transmission,
    signed_string,
)
from chalicelib.platform.errors import AppError
from localcloud.paypal_sim.pki import LocalPki, ensure_test_pki, sign

CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-1"
WEBHOOK_ID = "WH-OURS-1"
BODY = json.dumps({"id": "WH-1", "event_type": "PAYMENT.SALE.COMPLETED"}).encode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPki:
    return ensure_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPki:
    return ensure_test_pki(tmp_path_factory.mktemp("other-pki"))


def store_for(pki: LocalPki, served: LocalPki | None = None,
              fetches: list[str] | None = None) -> CertificateStore:
    chain = Path((served or pki).chain_path).read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        if fetches is not None:
            fetches.append(str(request.url))
        return httpx.Response(200, content=chain)

    trusted = x509.load_pem_x509_certificates(Path(pki.ca_cert_path).read_bytes())
    return CertificateStore(httpx.Client(transport=httpx.MockTransport(handler)),
                            ("api.paypal.com",), trusted)


def transmission(pki: LocalPki, body: bytes = BODY, *, webhook_id: str = WEBHOOK_ID,
                 when: datetime | None = None, cert_url: str = CERT_URL) -> Transmission:
    sent = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = sign(pki, signed_string("tx-1", sent, webhook_id, body))
    return Transmission("tx-1", sent, signature, cert_url, "SHA256withRSA")


def rejected(verifier: LocalVerifier, tx: Transmission, body: bytes = BODY) -> AppError:
    with pytest.raises(AppError) as info:
        verifier.verify(tx, body)
    assert info.value.status == 401
    return info.value


def test_a_genuine_webhook_passes_and_the_certificate_is_fetched_once(pki: LocalPki) -> None:
    fetches: list[str] = []
    verifier = LocalVerifier(store_for(pki, fetches=fetches), WEBHOOK_ID)
    verifier.verify(transmission(pki), BODY)
    verifier.verify(transmission(pki), BODY)
    assert fetches == [CERT_URL]


def test_the_crc_is_the_unsigned_decimal_of_the_raw_body() -> None:
    text = signed_string("a", "b", "c", b"\xff" * 7).decode()
    assert text.startswith("a|b|c|") and int(text.rsplit("|", 1)[1]) > 2**31


def test_tampered_body_forged_signature_and_wrong_webhook_id(pki: LocalPki) -> None:
    verifier = LocalVerifier(store_for(pki), WEBHOOK_ID)
    rejected(verifier, transmission(pki), BODY.replace(b"WH-1", b"WH-2"))
    forged = transmission(pki)
    forged = Transmission(forged.id, forged.time, base64.b64encode(b"x" * 256).decode(),
                          forged.cert_url, forged.auth_algo)
    rejected(verifier, forged)
    rejected(verifier, transmission(pki, webhook_id="WH-SOMEONE-ELSE"))


def test_old_or_future_transmissions_are_refused(pki: LocalPki) -> None:
    verifier = LocalVerifier(store_for(pki), WEBHOOK_ID)
    error = rejected(verifier, transmission(pki, when=datetime.now(UTC) - timedelta(minutes=6)))
    assert "5 minutes" in error.message
    rejected(verifier, transmission(pki, when=datetime.now(UTC) + timedelta(minutes=6)))


def test_certificate_hosts_must_be_allowlisted(pki: LocalPki) -> None:
    verifier = LocalVerifier(store_for(pki), WEBHOOK_ID)
    for url in ("https://evil.example/cert.pem", "http://api.paypal.com/cert.pem",
                "https://api.paypal.com.evil.example/cert.pem"):
        error = rejected(verifier, transmission(pki, cert_url=url))
        assert "allowlist" in error.message


def test_a_chain_from_an_untrusted_authority_is_refused(pki: LocalPki,
                                                        other_pki: LocalPki) -> None:
    verifier = LocalVerifier(store_for(pki, served=other_pki), WEBHOOK_ID)
    error = rejected(verifier, transmission(other_pki))
    assert "trusted" in error.message


def test_missing_headers_are_a_400_naming_them() -> None:
    with pytest.raises(AppError) as info:
        Transmission.from_headers({"PAYPAL-TRANSMISSION-ID": "x"})
    assert info.value.status == 400
    assert "paypal-transmission-sig" in info.value.message
