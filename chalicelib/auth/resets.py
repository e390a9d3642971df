"""Single-use password reset tokens: stored hashed, consumed by a conditional update."""

from __future__ import annotations

import hashlib
import secrets
import time

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.auth.models import PasswordResetModel
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ResetTokens:
    def __init__(self, ttl_seconds: int) -> None:
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: str, password_version: int) -> str:
        token = secrets.token_urlsafe(32)
        expires_at = int(time.time()) + self.ttl_seconds
        PasswordResetModel(token_hash=_digest(token), user_id=user_id,
                           password_version=password_version, created_at=iso(),
                           expires_at=expires_at, expiration=expires_at + 86400).save()
        return token

    def peek(self, token: str) -> tuple[str, int]:
        """(user id, password version) of a usable token, without using it up."""
        if not token or len(token) > 128:
            raise catalogued("reset_token_invalid")
        try:
            item = PasswordResetModel.get(_digest(token), consistent_read=True)
        except DoesNotExist as exc:
            raise catalogued("reset_token_invalid") from exc
        if item.used_at is not None or item.expires_at <= int(time.time()):
            raise catalogued("reset_token_invalid")
        return item.user_id, int(item.password_version)

    def consume(self, token: str) -> tuple[str, int]:
        """Mark the token used and return (user id, password version) it was issued for.

        One conditional update does the check and the write, so two concurrent uses of one
        link cannot both succeed; used, expired and unknown tokens are refused alike.
        """
        if not token or len(token) > 128:
            raise catalogued("reset_token_invalid")
        item = PasswordResetModel(token_hash=_digest(token))
        try:
            item.update(
                actions=[PasswordResetModel.used_at.set(iso())],
                condition=(PasswordResetModel.token_hash.exists()
                           & PasswordResetModel.used_at.does_not_exist()
                           & (PasswordResetModel.expires_at > int(time.time()))),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise catalogued("reset_token_invalid") from exc
            raise
        return item.user_id, int(item.password_version)
