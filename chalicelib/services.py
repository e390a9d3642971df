"""The domain services, built once per Lambda container from the shared resources.

Each service, and the SDKs behind it, is imported and built on first use: a cold start
pays only for what its first request needs.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.config import Settings
from chalicelib.resources import Resources
from chalicelib.web_security import origin_of

if TYPE_CHECKING:
    from chalicelib.auth.guard import Guard
    from chalicelib.auth.service import AccountService
    from chalicelib.auth.sessions import SessionStore
    from chalicelib.auth.users import UserRepository
    from chalicelib.payments.paypal_client import PayPalClient
    from chalicelib.payments.service import PaymentsService
    from chalicelib.payments.verify import Verifier


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
        self._tables_bound = False

    def _bind_tables(self) -> None:
        """Point every pynamodb model at this target's tables (once, before any use)."""
        if self._tables_bound:
            return
        from chalicelib.auth.models import AUTH_MODELS
        from chalicelib.dynamo import bind_models
        from chalicelib.payments.models import PAYMENT_MODELS

        bind_models(self.settings, {**AUTH_MODELS, **PAYMENT_MODELS})
        self._tables_bound = True

    @cached_property
    def users(self) -> UserRepository:
        from chalicelib.auth.users import UserRepository
        from chalicelib.dynamo import transaction_connection

        self._bind_tables()
        return UserRepository(transaction_connection(self.settings))

    @cached_property
    def sessions(self) -> SessionStore:
        from chalicelib.auth.sessions import SessionStore

        return SessionStore(self.resources.redis, ttl_seconds=self.settings.session_ttl_seconds,
                            prefix=self.settings.resource_prefix)

    @cached_property
    def guard(self) -> Guard:
        from chalicelib.auth.guard import Guard

        return Guard(self.sessions, self.users, allowed_origins(self.settings))

    @cached_property
    def accounts(self) -> AccountService:
        from chalicelib.auth.history import LoginHistory
        from chalicelib.auth.mail import Mailer
        from chalicelib.auth.resets import ResetTokens
        from chalicelib.auth.service import AccountService
        from chalicelib.auth.throttle import LoginThrottle

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
        from chalicelib.payments.paypal_client import PayPalClient

        settings = self.settings
        return PayPalClient(self.resources.http, settings.paypal_base_url,
                            settings.paypal_client_id, settings.paypal_client_secret)

    def _verifier(self) -> Verifier:
        from chalicelib.payments.verify import ApiVerifier, CertificateStore, LocalVerifier

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

        from chalicelib.payments.ledger import Ledger
        from chalicelib.payments.plans import Plans
        from chalicelib.payments.service import PaymentsService
        from chalicelib.payments.subscriptions import SubscriptionStore

        self._bind_tables()
        return PaymentsService(
            plans=Plans(self.settings), paypal=self.paypal, verifier=self._verifier(),
            subscriptions=SubscriptionStore(), ledger=Ledger(),
            idempotency=DynamoDBPersistenceLayer(
                table_name=self.settings.table_name("idempotency"),
                boto3_client=self.resources.dynamodb),
            public_url=self.settings.public_url)
