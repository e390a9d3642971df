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
        bind_models(self.settings, AUTH_MODELS)

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
