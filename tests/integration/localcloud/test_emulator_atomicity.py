"""The emulator's DynamoDB requests are atomic, as DynamoDB's are: racing conditional writes
leave one winner and racing counter updates lose none (moto alone checks, then writes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.config import Config

from chalicelib.platform.aws import make_client
from chalicelib.platform.resources import Resources
from tests.support import unique

pytestmark = pytest.mark.integration

THREADS = 12


@pytest.fixture
def table(resources: Resources) -> Iterator[tuple[Any, str]]:
    # a pool as wide as the racing threads, so their requests reach the server at once
    client = make_client(resources.session, resources.settings, "dynamodb",
                         extra=Config(max_pool_connections=THREADS))
    name = unique("atomic-")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    try:
        yield client, name
    finally:
        client.delete_table(TableName=name)


def race(work: Any, rounds: int) -> list[Any]:
    barrier = threading.Barrier(THREADS, timeout=60)

    def one(n: int) -> list[Any]:
        outcomes = []
        for r in range(rounds):
            barrier.wait()
            outcomes.append(work(n, r))
        return outcomes

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def test_racing_conditional_transactions_have_one_winner(table: tuple[Any, str]) -> None:
    """As two registrations of one email race: each writes a guard and an account."""
    client, name = table
    cancelled = client.exceptions.TransactionCanceledException

    def put(n: int, r: int) -> bool:
        def new(pk: str) -> dict[str, Any]:
            return {"Put": {"TableName": name, "Item": {"pk": {"S": pk}, "by": {"N": str(n)}},
                            "ConditionExpression": "attribute_not_exists(pk)"}}
        try:
            client.transact_write_items(TransactItems=[new(f"guard-{r}"), new(f"{n}-{r}")])
            return True
        except cancelled:
            return False

    rounds = 40
    outcomes = race(put, rounds)
    wins = [sum(per_thread[r] for per_thread in outcomes) for r in range(rounds)]
    assert wins == [1] * rounds


def test_a_cancelled_transaction_undoes_only_its_own_writes(table: tuple[Any, str]) -> None:
    """moto backs a transaction up by copying its tables and puts the copy back when it is
    cancelled: unserialised, that erases the writes other requests made meanwhile."""
    client, name = table
    for start in range(0, 1500, 25):  # a table big enough that copying it takes a while
        client.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"filler-{n}"}}}}
            for n in range(start, start + 25)]})
    cancelled = client.exceptions.TransactionCanceledException

    def write(n: int, r: int) -> bool:
        put = {"Put": {"TableName": name, "Item": {"pk": {"S": f"w-{n}-{r}"}}}}
        check = {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "filler-0"}},
                                    "ConditionExpression": "attribute_exists(pk)"
                                    if n % 2 == 0 else "attribute_not_exists(pk)"}}
        try:
            client.transact_write_items(TransactItems=[put, check])
            return True
        except cancelled:
            return False

    rounds = 8
    outcomes = race(write, rounds)
    assert [any(per_thread) for per_thread in outcomes] == [n % 2 == 0 for n in range(THREADS)]
    missing = [f"w-{n}-{r}" for n in range(0, THREADS, 2) for r in range(rounds)
               if "Item" not in client.get_item(TableName=name, Key={"pk": {"S": f"w-{n}-{r}"}},
                                                ConsistentRead=True)]
    assert missing == []


def test_racing_counter_updates_lose_none(table: tuple[Any, str]) -> None:
    client, name = table

    def add(_n: int, _r: int) -> None:
        client.update_item(TableName=name, Key={"pk": {"S": "counter"}},
                           UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}})

    rounds = 25
    race(add, rounds)
    item = client.get_item(TableName=name, Key={"pk": {"S": "counter"}},
                           ConsistentRead=True)["Item"]
    assert int(item["n"]["N"]) == THREADS * rounds
