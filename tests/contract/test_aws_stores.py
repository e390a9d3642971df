"""Contract of the DynamoDB-backed stores, held by both ways of running AWS locally: moto in
this process (the in-process layer, tests/inprocess.py) and the stack's moto server with the
emulator's fixes (what `notflix up` runs). Conditional writes and transactions are what the
app's correctness rests on, so they are what both must agree on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from chalicelib.auth.users import normalise_email
from chalicelib.payments.ledger import Ledger, Payment
from chalicelib.platform.errors import AppError
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from tests.inprocess import InProcessCloud
from tests.support import unique

ADAPTERS = [pytest.param("moto-server", marks=pytest.mark.integration), "in-process"]


@pytest.fixture(params=ADAPTERS)
def aws(request: pytest.FixtureRequest) -> Iterator[Services]:
    if request.param == "in-process":
        cloud: InProcessCloud = request.getfixturevalue("cloud")
        with cloud.active():
            yield cloud.services()
        return
    resources: Resources = request.getfixturevalue("resources")
    yield Services(resources)


def email() -> str:
    return f"{unique('contract-')}@Example.com"


# ---- users: one account per email ---------------------------------------------------------
def test_an_email_guards_one_account(aws: Services) -> None:
    address = email()
    created = aws.users.create(address, "Ada", "hash")
    with pytest.raises(AppError) as taken:
        aws.users.create(address.upper(), "Ada", "hash")
    assert taken.value.code == "email_taken"
    assert aws.users.get_by_email(address) == created
    assert created.email == normalise_email(address)


def test_racing_registrations_of_one_email_make_one_account(aws: Services) -> None:
    address = email()
    barrier = threading.Barrier(6)

    def attempt(n: int) -> str:
        barrier.wait()
        try:
            return aws.users.create(address, f"racer {n}", "hash").id
        except AppError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    winners = [o for o in outcomes if o != "email_taken"]
    assert len(winners) == 1, outcomes
    found = aws.users.get_by_email(address)
    assert found is not None and found.id == winners[0]


def test_updating_an_unknown_user_is_refused_not_created(aws: Services) -> None:
    with pytest.raises(AppError) as missing:
        aws.users.set_roles("00000000-0000-4000-8000-000000000000", frozenset({"viewer"}))
    assert missing.value.code == "user_not_found"
    assert aws.users.get("00000000-0000-4000-8000-000000000000") is None


def test_password_versions_count_up_atomically(aws: Services) -> None:
    user = aws.users.create(email(), "Ada", "hash")
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda n: aws.users.set_password_hash(user.id, f"hash {n}",
                                                            new_version=True), range(5)))
    after = aws.users.get(user.id)
    assert after is not None and after.password_version == user.password_version + 5


# ---- the payments ledger and subscription state -------------------------------------------
def payment(paypal_id: str, at: str) -> Payment:
    return Payment(paypal_id=paypal_id, subscription_id="I-CONTRACT", kind="sale",
                   status="completed", amount=Decimal("9.99"), currency="EUR", occurred_at=at)


def test_a_payment_is_entered_once_and_pages_newest_first(aws: Services) -> None:
    aws._bind_tables()
    ledger, user_id = Ledger(), unique("payer-")
    stamps = [f"2026-0{month}-01T00:00:00Z" for month in range(1, 6)]
    for n, stamp in enumerate(stamps):
        assert ledger.record(user_id, payment(f"SALE-{n}", stamp)) is True
    assert ledger.record(user_id, payment("SALE-0", stamps[0])) is False

    first, cursor = ledger.page(user_id, limit=3)
    assert [p.occurred_at for p in first] == stamps[::-1][:3]
    assert cursor is not None
    rest, end = ledger.page(user_id, limit=3, cursor=cursor)
    assert [p.occurred_at for p in rest] == stamps[::-1][3:] and end is None
    found = ledger.find("SALE-2")
    assert found is not None and found[0] == user_id


def test_an_older_paypal_state_never_overwrites_a_newer_one(aws: Services) -> None:
    aws._bind_tables()
    from chalicelib.payments.subscriptions import SubscriptionStore

    store, subscription_id = SubscriptionStore(), unique("I-")
    store.ensure_pending(subscription_id, unique("subscriber-"), "standard")
    store.ensure_pending(subscription_id, "someone else", "premium")  # a repeat: no change
    assert store.apply_state(subscription_id, "active", "2026-12-01T10:00:00Z") is True
    assert store.apply_state(subscription_id, "suspended", "2026-12-01T09:00:00Z") is False
    assert store.apply_state("I-NEVER-CREATED", "active", "2026-12-01T10:00:00Z") is False
    current = store.get(subscription_id)
    assert current is not None and current.status == "active"
    assert current.plan_key == "standard"

    store.record_payment(subscription_id, "2026-12-01T10:00:00Z", "2027-01-01T10:00:00Z")
    store.record_payment(subscription_id, "2026-11-01T10:00:00Z", "2026-12-01T10:00:00Z")
    after = store.get(subscription_id)
    assert after is not None and after.paid_until == "2027-01-01T10:00:00Z"
