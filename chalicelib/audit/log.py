"""Audit entries in DynamoDB, one partition a month, newest first.

An entry records the actor (id and email), the action (``job.cancel``, ``user.roles``...),
its target, the client's address and user agent, the time and a few details.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.openapi.responses import AuditEntry
from chalicelib.platform.clock import iso, now
from chalicelib.platform.labels import Labels
from chalicelib.platform.logs import logger

KEEP = timedelta(days=400)


class AuditModel(Model):
    class Meta:
        table_name = "audit-log"

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM
    entry = UnicodeAttribute(range_key=True)  # <ISO time>#<random>
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_email = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    details = JSONAttribute(default=dict)
    expires_at = TTLAttribute(null=True)


AUDIT_MODELS: dict[type[Model], str] = {AuditModel: "audit-log"}


class AuditLog:
    def __init__(self, labels: Labels | None = None) -> None:
        self.labels = labels

    def record(self, actor_id: str, actor_email: str, action: str, target: str, *,
               ip: str = "", user_agent: str = "", details: dict[str, Any] | None = None,
               at: datetime | None = None) -> None:
        moment = at or now()
        AuditModel(moment.strftime("%Y-%m"), f"{iso(moment)}#{secrets.token_hex(4)}",
                   at=iso(moment), actor_id=actor_id, actor_email=actor_email, action=action,
                   target=target[:200], ip=ip[:64], user_agent=user_agent[:256],
                   details=details or {}, expires_at=moment + KEEP).save()

    def record_or_log(self, actor_id: str, actor_email: str, action: str, target: str, *,
                      ip: str, user_agent: str, details: dict[str, Any]) -> None:
        """Record an action that has already happened: if the table refuses the entry, it
        goes to the error log whole instead of failing the caller's answer."""
        try:
            self.record(actor_id, actor_email, action, target, ip=ip, user_agent=user_agent,
                        details=details)
        except Exception:
            logger.exception("audit entry not stored", action=action, target=target,
                             actor_id=actor_id, ip=ip, details=str(details)[:500])

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest entries of this month and the last."""
        this_month = now()
        last_month = this_month.replace(day=1) - timedelta(days=1)
        entries: list[AuditEntry] = []
        for month in (this_month.strftime("%Y-%m"), last_month.strftime("%Y-%m")):
            for item in AuditModel.query(month, scan_index_forward=False,
                                         limit=limit - len(entries)):
                entries.append({"at": item.at, "actor_id": item.actor_id,
                                "actor_email": item.actor_email, "action": item.action,
                                "target": item.target, "ip": item.ip,
                                "user_agent": item.user_agent, "details": item.details or {}})
            if len(entries) >= limit:
                break
        if self.labels is not None:  # a user's email or a title's name beside the target id
            names = self.labels.any(e["target"] for e in entries)
            for entry in entries:
                if entry["target"] in names:
                    entry["target_label"] = names[entry["target"]]
        return entries
