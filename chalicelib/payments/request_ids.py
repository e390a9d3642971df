"""PayPal-Request-Id values: PayPal answers a repeated id with the first answer, not a copy."""

from __future__ import annotations

import uuid


def subscribe_request_id(user_id: str, idempotency_key: str | None) -> str:
    """A subscribe's id: the client's Idempotency-Key scoped to its user (a retried request
    creates nothing new), or a fresh one when the client sent none."""
    return f"{user_id}:{str(idempotency_key or uuid.uuid4())[:100]}"
