"""Password reset requests go through a queue, so the request answers alike for any email.

The route only sends `{"email": ...}` to the password-resets queue (the same SQS call
whether or not an account uses the email); the worker (`AccountService.send_reset`) looks
the account up, issues the link and sends the mail out of band. Timing the request tells
nothing about which emails have accounts (issue 18, finding 7).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.platform.queue_url import LazyQueueUrl


class ResetRequests:
    def __init__(self, sqs: Any, queue_url: str | Callable[[], str]) -> None:
        self.sqs = sqs
        self._queue_url = LazyQueueUrl(queue_url)

    @property
    def queue_url(self) -> str:
        return self._queue_url.get()

    def send(self, email: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({"email": email}))

    @staticmethod
    def email_of(body: str) -> str:
        """The email a queued request is for."""
        return str(json.loads(body)["email"])
