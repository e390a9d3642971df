from __future__ import annotations

from chalicelib.payments.events import add_month
from chalicelib.payments.subscriptions import Subscription, can_watch


def sub(status: str, paid_until: str | None = None) -> Subscription:
    return Subscription("I-1", "u", "standard", status, "2026-01-01T00:00:00.000Z", None,
                        paid_until)


def test_entitlement() -> None:
    assert can_watch(sub("active"))
    assert can_watch(sub("cancelled", "2999-01-01T00:00:00.000Z"))
    assert not can_watch(sub("cancelled", "2000-01-01T00:00:00.000Z"))
    assert not can_watch(sub("cancelled"))
    assert not can_watch(sub("suspended", "2999-01-01T00:00:00.000Z"))
    assert not can_watch(sub("expired"))
    assert not can_watch(None)


def test_a_month_later_clamps_to_the_end_of_shorter_months() -> None:
    assert add_month("2026-01-31T10:00:00.000Z") == "2026-02-28T10:00:00.000Z"
    assert add_month("2026-12-15T00:00:00.000Z") == "2027-01-15T00:00:00.000Z"
