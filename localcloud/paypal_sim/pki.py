"""A test certificate authority and a webhook-signing certificate it issued."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class LocalPki:
    ca_cert_path: Path
    chain_path: Path
    signing_key_path: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Notflix local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey,
                 signing_key: rsa.RSAPrivateKey, *, ca: bool, days: int) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signing_key, hashes.SHA256()))


def ensure_test_pki(directory: Path) -> LocalPki:
    """Create the CA and the signing certificate once; later calls reuse them."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = LocalPki(directory / "ca.pem", directory / "webhook-chain.pem",
                  directory / "signing-key.pem")
    if pki.ca_cert_path.exists() and pki.chain_path.exists() and pki.signing_key_path.exists():
        return pki
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("Notflix Local PayPal Test CA")
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, days=3650)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate(_name("messageverificationcerts.local"), ca_name,
                        leaf_key.public_key(), ca_key, ca=False, days=365)
    pem = serialization.Encoding.PEM
    pki.signing_key_path.touch(mode=0o600)
    pki.signing_key_path.write_bytes(leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    pki.chain_path.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    pki.ca_cert_path.write_bytes(ca.public_bytes(pem))
    return pki


def sign(pki: LocalPki, message: bytes) -> str:
    key = serialization.load_pem_private_key(pki.signing_key_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
