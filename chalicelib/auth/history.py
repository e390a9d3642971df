"""Login history: every attempt that reached the password check, newest first.

Attempts on an email no account uses are written too, under a key no user has, and kept a
day: a login then costs the same write whether or not the account exists, so its timing
tells no one which emails have accounts (issue 18, finding 7). Nobody reads them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from chalicelib.auth.models import LoginEventModel
from chalicelib.openapi import responses as api
from chalicelib.platform.clock import iso

RETENTION_SECONDS = 365 * 24 * 3600
UNKNOWN_RETENTION_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LoginEvent:
    at: str
    ip: str
    user_agent: str
    success: bool

    def public(self) -> api.LoginEvent:
        return {"at": self.at, "ip": self.ip, "user_agent": self.user_agent,
                "success": self.success}


class LoginHistory:
    def record(self, user_id: str, *, ip: str, user_agent: str, success: bool) -> None:
        self._save(user_id, ip, user_agent, success, RETENTION_SECONDS)

    def record_unknown(self, email: str, *, ip: str, user_agent: str) -> None:
        """A failed attempt on an email without an account: the same write, kept a day."""
        digest = hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()
        self._save(f"unknown-email:{digest}", ip, user_agent, False, UNKNOWN_RETENTION_SECONDS)

    @staticmethod
    def _save(key: str, ip: str, user_agent: str, success: bool, keep_seconds: int) -> None:
        LoginEventModel(user_id=key, at=f"{iso()}#{secrets.token_hex(3)}", ip=ip,
                        user_agent=user_agent[:512], success="true" if success else "false",
                        expiration=int(time.time()) + keep_seconds).save()

    def recent(self, user_id: str, limit: int = 50) -> list[LoginEvent]:
        items = LoginEventModel.query(user_id, scan_index_forward=False, limit=limit)
        return [LoginEvent(at=item.at.split("#", 1)[0], ip=item.ip, user_agent=item.user_agent,
                           success=item.success == "true") for item in items]
