"""Login history: every attempt on a known account, newest first."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chalicelib.auth.models import LoginEventModel
from chalicelib.clock import iso

RETENTION_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class LoginEvent:
    at: str
    ip: str
    user_agent: str
    success: bool

    def public(self) -> dict[str, object]:
        return {"at": self.at, "ip": self.ip, "user_agent": self.user_agent,
                "success": self.success}


class LoginHistory:
    def record(self, user_id: str, *, ip: str, user_agent: str, success: bool) -> None:
        LoginEventModel(user_id=user_id, at=f"{iso()}#{secrets.token_hex(3)}", ip=ip,
                        user_agent=user_agent[:512], success="true" if success else "false",
                        expiration=int(time.time()) + RETENTION_SECONDS).save()

    def recent(self, user_id: str, limit: int = 50) -> list[LoginEvent]:
        items = LoginEventModel.query(user_id, scan_index_forward=False, limit=limit)
        return [LoginEvent(at=item.at.split("#", 1)[0], ip=item.ip, user_agent=item.user_agent,
                           success=item.success == "true") for item in items]
