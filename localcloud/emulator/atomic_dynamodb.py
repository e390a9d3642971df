"""Make each of moto's DynamoDB requests atomic, as each DynamoDB request is on AWS.

moto's server answers requests on many threads, and its DynamoDB backend checks a
condition and then writes without a lock: two conditional writes racing for one item (two
registrations of one email, two adds racing for the last place in a list) could both pass
the check, and a transaction copying the tables while another thread writes them fails
("dictionary changed size during iteration"). DynamoDB guarantees neither can happen, and
the code under test relies on that; here one lock serialises the DynamoDB requests (the
backend is Python under one GIL, so little throughput is lost).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_LOCK = threading.RLock()
_original = DynamoHandler.call_action


def _call_action(self: DynamoHandler) -> Any:
    with _LOCK:
        return _original(self)


def install() -> None:
    DynamoHandler.call_action = _call_action  # type: ignore[method-assign]
