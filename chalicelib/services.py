"""The domain services, built once per Lambda container from the shared resources."""

from __future__ import annotations

from functools import cached_property

from chalicelib.auth.guard import Guard, origin_of
from chalicelib.auth.history import LoginHistory
from chalicelib.auth.mail import Mailer
from chalicelib.auth.models import AUTH_MODELS
from chalicelib.auth.resets import ResetTokens
from chalicelib.auth.service import AccountService
from chalicelib.auth.sessions import SessionStore
from chalicelib.auth.throttle import LoginThrottle
from chalicelib.auth.users import UserRepository
from chalicelib.config import Settings
from chalicelib.dynamo import bind_models, transaction_connection
from chalicelib.payments.ledger import Ledger
from chalicelib.payments.models import PAYMENT_MODELS
from chalicelib.payments.paypal_client import PayPalClient
from chalicelib.payments.plans import Plans
from chalicelib.payments.service import PaymentsService
from chalicelib.payments.subscriptions import SubscriptionStore
from chalicelib.payments.verify import ApiVerifier, CertificateStore, LocalVerifier, Verifier
from chalicelib.resources import Resources


def allowed_origins(settings: Settings) -> frozenset[str]:
    """Origins whose pages may change state: our own site and the CORS allowlist."""
    origins = {origin_of(settings.public_url), *settings.cors_origins}
    if settings.local:
        origins |= {f"http://127.0.0.1:{settings.api_port}", f"http://localhost:{settings.api_port}"}
    return frozenset(o.rstrip("/").lower() for o in origins if o)


class Services:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.settings = resources.settings
        bind_models(self.settings, {**AUTH_MODELS, **PAYMENT_MODELS})

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(transaction_connection(self.settings))

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.resources.redis, ttl_seconds=self.settings.session_ttl_seconds,
                            prefix=self.settings.resource_prefix)

    @cached_property
    def guard(self) -> Guard:
        return Guard(self.sessions, self.users, allowed_origins(self.settings))

    @cached_property
    def accounts(self) -> AccountService:
        settings = self.settings
        return AccountService(
            users=self.users,
            sessions=self.sessions,
            throttle=LoginThrottle(self.resources.redis, max_failures=settings.login_max_failures,
                                   window_seconds=settings.login_window_seconds,
                                   prefix=settings.resource_prefix),
            history=LoginHistory(),
            resets=ResetTokens(settings.password_reset_ttl_seconds),
            mailer=Mailer(self.resources.client("ses"), settings.mail_from, settings.public_url),
        )

    @cached_property
    def paypal(self) -> PayPalClient:
        settings = self.settings
        return PayPalClient(self.resources.http, settings.paypal_base_url,
                            settings.paypal_client_id, settings.paypal_client_secret)

    def _verifier(self) -> Verifier:
        settings = self.settings
        if settings.paypal_verifier == "api":
            return ApiVerifier(self.paypal, settings.paypal_webhook_id)
        certificates = CertificateStore(
            self.resources.http, settings.paypal_cert_hosts,
            CertificateStore.load_bundle(settings.paypal_ca_bundle),
            allow_http_hosts=settings.paypal_cert_hosts if settings.local else ())
        return LocalVerifier(certificates, settings.paypal_webhook_id)

    @cached_property
    def payments(self) -> PaymentsService:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return PaymentsService(
            plans=Plans(self.settings), paypal=self.paypal, verifier=self._verifier(),
            subscriptions=SubscriptionStore(), ledger=Ledger(),
            idempotency=DynamoDBPersistenceLayer(
                table_name=self.settings.table_name("idempotency"),
                boto3_client=self.resources.dynamodb),
            public_url=self.settings.public_url)
