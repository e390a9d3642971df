"""Account use cases: register, log in and out, profile, passwords, resets, roles."""

from __future__ import annotations

from collections.abc import Callable

import redis

from chalicelib.auth import passwords
from chalicelib.auth.history import LoginEvent, LoginHistory
from chalicelib.auth.limits import AccountLimits, Limit, RateLimiter
from chalicelib.auth.mail import Mailer
from chalicelib.auth.principal import ClientInfo, LoggedIn
from chalicelib.auth.reset_requests import ResetRequests
from chalicelib.auth.resets import ResetTokens
from chalicelib.auth.sessions import Session, SessionStore
from chalicelib.auth.throttle import LoginThrottle
from chalicelib.auth.users import ROLES, User, UserRepository, normalise_email
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import logger


class AccountService:
    def __init__(self, users: UserRepository, sessions: SessionStore, throttle: LoginThrottle,
                 history: LoginHistory, resets: ResetTokens, mailer: Mailer,
                 limiter: RateLimiter, limits: AccountLimits, reset_requests: ResetRequests,
                 on_registered: Callable[[User], None] | None = None) -> None:
        self.users = users
        #: Told about each new account (the recommendation graph); must not raise.
        self.on_registered = on_registered
        self.sessions = sessions
        self.throttle = throttle
        self.history = history
        self.resets = resets
        self.mailer = mailer
        self.limiter = limiter
        self.limits = limits
        self.reset_requests = reset_requests

    def _limit(self, code: str, *checks: tuple[Limit, str]) -> None:
        """Count this request against its rate limits: 429 with Retry-After when one is full,
        503 when Redis is down (fail closed, as login does)."""
        try:
            wait = self.limiter.hit(*checks)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc
        if wait:
            raise catalogued(code, seconds=wait, headers={"Retry-After": str(wait)})

    # -- registration and login -----------------------------------------------------------
    def register(self, email: str, password: str, display_name: str,
                 client: ClientInfo) -> LoggedIn:
        """Create the account, send the welcome mail and open a first session.

        Rate-limited per IP before anything else: each attempt costs an argon2 hash, and the
        409 for a taken email must not test thousands of addresses. With Redis down the limit
        answers 503 before anything is written, so the client's retry after the outage creates
        the account, not a 409 (no account without its first session).
        """
        self._limit("too_many_registrations", (self.limits.register_per_ip, client.ip))
        passwords.check_policy(password, email=email, name=display_name)
        user = self.users.create(email, display_name, passwords.hash_password(password))
        try:
            self.throttle.known(user.email, client.ip)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc
        self._send_mail(lambda: self.mailer.welcome(user.email, user.display_name), "welcome")
        if self.on_registered is not None:
            self.on_registered(user)
        logger.info("user registered", user_id=user.id)
        return LoggedIn(user, self._open_session(user, client))

    def _open_session(self, user: User, client: ClientInfo) -> str:
        try:
            return self.sessions.create(user.id, ip=client.ip, user_agent=client.user_agent)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc

    def create_with_roles(self, email: str, display_name: str, password: str,
                          roles: frozenset[str]) -> User:
        passwords.check_policy(password, email=email, name=display_name)
        return self.users.create(email, display_name, passwords.hash_password(password), roles)

    def login(self, email: str, password: str, client: ClientInfo) -> LoggedIn:
        """Throttled, enumeration-safe login; fails closed (503) when Redis is down.

        A known email with a wrong password and an unknown email do the same work: the same
        reads (`get_by_email`), an argon2 check (a dummy hash for unknown emails), one history
        write and the throttle's failure; they get the same answer.
        """
        try:
            attempt = self.throttle.acquire(normalise_email(email), client.ip)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc
        if not attempt.allowed:
            raise catalogued("too_many_attempts", seconds=attempt.retry_after,
                             headers={"Retry-After": str(attempt.retry_after)})
        user = self.users.get_by_email(email)
        # Verify against a dummy hash for unknown emails: same work, same answer.
        ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(),
                                       password)
        if user is not None:
            self.history.record(user.id, ip=client.ip, user_agent=client.user_agent,
                                success=ok)
        else:
            self.history.record_unknown(normalise_email(email), ip=client.ip,
                                        user_agent=client.user_agent)
        if user is None or not ok:
            try:
                self.throttle.failed(attempt)
            except redis.RedisError as exc:
                raise catalogued("service_unavailable") from exc
            raise catalogued("invalid_credentials")
        try:
            self.throttle.succeeded(attempt)
        except redis.RedisError as exc:
            raise catalogued("service_unavailable") from exc
        token = self._open_session(user, client)
        if passwords.needs_rehash(user.password_hash):
            user = self.users.set_password_hash(user.id, passwords.hash_password(password),
                                                new_version=False)
        return LoggedIn(user, token)

    def logout(self, token: str) -> None:
        self.sessions.revoke(token)

    # -- the current user ---------------------------------------------------------------
    def update_profile(self, user: User, display_name: str) -> User:
        return self.users.update_display_name(user.id, display_name)

    def change_password(self, user: User, session: Session, current: str, new: str,
                        client: ClientInfo) -> User:
        """Limited per account and per IP, so a stolen session cannot guess the current
        password without end."""
        self._limit("too_many_password_changes",
                    (self.limits.password_change_per_account, user.id),
                    (self.limits.password_change_per_ip, client.ip))
        if not passwords.verify_password(user.password_hash, current):
            raise catalogued("wrong_current_password")
        passwords.check_policy(new, email=user.email, name=user.display_name)
        updated = self.users.set_password_hash(user.id, passwords.hash_password(new),
                                               new_version=True)
        revoked = self.sessions.revoke_all(user.id, except_digest=session.token_digest)
        logger.info("password changed", user_id=user.id, sessions_revoked=revoked)
        return updated

    def login_history(self, user: User) -> list[LoginEvent]:
        return self.history.recent(user.id)

    # -- password reset -------------------------------------------------------------------
    def request_reset(self, email: str, client: ClientInfo) -> None:
        """Queue the request (limited per email and per IP): the same work and the same
        answer whether or not an account uses the email; `send_reset` does the rest."""
        email = normalise_email(email)
        self._limit("too_many_reset_requests", (self.limits.reset_per_email, email),
                    (self.limits.reset_per_ip, client.ip))
        self.reset_requests.send(email)

    def send_reset(self, email: str) -> None:
        """The reset worker: mail a link if an account uses the email, else nothing."""
        user = self.users.get_by_email(email)
        if user is None:
            logger.info("password reset requested for an unknown email")
            return
        token = self.resets.issue(user.id, user.password_version)
        minutes = self.resets.ttl_seconds // 60
        self._send_mail(lambda: self.mailer.password_reset(user.email, token, minutes),
                        "password reset")

    def check_reset_link(self, token: str) -> User:
        """The user a reset link is for, if it can still be used (not used, not expired, the
        password not changed since): 400 ``reset_token_invalid`` otherwise. Nothing used up."""
        user_id, version = self.resets.peek(token)
        user = self.users.get(user_id)
        if user is None or user.password_version != version:
            raise catalogued("reset_token_invalid")  # the password changed since it was sent
        return user

    def confirm_reset(self, token: str, new_password: str) -> User:
        """Check the link and the new password first, so a refused password keeps the link."""
        user = self.check_reset_link(token)
        passwords.check_policy(new_password, email=user.email, name=user.display_name)
        self.resets.consume(token)  # the single-use gate: one of two racing uses wins
        updated = self.users.set_password_hash(user.id, passwords.hash_password(new_password),
                                               new_version=True)
        self.sessions.revoke_all(user.id)
        logger.info("password reset", user_id=user.id)
        return updated

    # -- roles ------------------------------------------------------------------------------
    def set_roles(self, user_id: str, roles: list[str]) -> User:
        """404 for an id no user has (or no id at all), 422 for a role there is not."""
        self.users.existing(user_id)
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise catalogued("unknown_role", role=unknown[0], roles=", ".join(ROLES))
        return self.users.set_roles(user_id, frozenset(roles))

    @staticmethod
    def _send_mail(send: Callable[[], None], kind: str) -> None:
        """Mail is best effort: a failure is logged, never shown (it could reveal accounts)."""
        try:
            send()
        except Exception:
            logger.exception("sending mail failed", mail=kind)
