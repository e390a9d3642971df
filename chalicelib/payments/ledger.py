"""The payments ledger: one entry per PayPal sale, refund or reversal, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pynamodb.exceptions import PutError

from chalicelib.openapi import responses as api
from chalicelib.payments.models import PaymentModel
from chalicelib.platform import cursors


@dataclass(frozen=True)
class Payment:
    paypal_id: str
    subscription_id: str
    kind: str
    status: str
    amount: Decimal
    currency: str
    occurred_at: str

    def public(self) -> api.Payment:
        return {"id": self.paypal_id, "subscription_id": self.subscription_id,
                "kind": self.kind, "status": self.status, "amount": str(self.amount),
                "currency": self.currency, "occurred_at": self.occurred_at}

    @classmethod
    def from_model(cls, item: PaymentModel) -> Payment:
        return cls(item.paypal_id, item.subscription_id, item.kind, item.status,
                   Decimal(item.amount), item.currency, item.occurred_at)


class Ledger:
    def record(self, user_id: str, payment: Payment) -> bool:
        """Add an entry once; False when it is already in the ledger.

        Events are deduplicated by id before they get here; the conditional put also stops
        a second write of the same PayPal transaction (same time and id).
        """
        item = PaymentModel(user_id=user_id, entry=f"{payment.occurred_at}#{payment.paypal_id}",
                            paypal_id=payment.paypal_id, subscription_id=payment.subscription_id,
                            kind=payment.kind, status=payment.status, amount=str(payment.amount),
                            currency=payment.currency, occurred_at=payment.occurred_at)
        try:
            item.save(condition=PaymentModel.entry.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def find(self, paypal_id: str) -> tuple[str, Payment] | None:
        if not paypal_id:
            return None
        for item in PaymentModel.by_paypal_id.query(paypal_id, limit=1):
            return item.user_id, Payment.from_model(item)
        return None

    def mark(self, user_id: str, payment: Payment, status: str) -> None:
        """Change an entry's status (a sale becomes refunded or reversed)."""
        PaymentModel(user_id=user_id, entry=f"{payment.occurred_at}#{payment.paypal_id}").update(
            actions=[PaymentModel.status.set(status)])

    def page(self, user_id: str, limit: int = 20,
             cursor: str | None = None) -> tuple[list[Payment], str | None]:
        start = cursors.decode(cursor, "user_id", user_id, "entry") if cursor else None
        result = PaymentModel.query(user_id, scan_index_forward=False, limit=limit,
                                    last_evaluated_key=start)
        items = [Payment.from_model(item) for item in result]
        last = result.last_evaluated_key
        return items, (cursors.encode(last, "entry") if last and len(items) == limit else None)
