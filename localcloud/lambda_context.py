"""The context object Lambda passes to a handler, with the attributes handlers read."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """Counts down from the invocation's start to its deadline, as Lambda's context does.

    ``deadline_epoch`` (wall clock, so it can cross into a worker process) fixes when the
    invocation ends; without it the invocation starts now and ends ``timeout_seconds`` later.
    Once built, the context counts on the monotonic clock.
    """

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    deadline_epoch: float | None = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        now = time.time()
        if self.deadline_epoch is None:
            self.deadline_epoch = now + self.timeout_seconds
        self._deadline = time.monotonic() + (self.deadline_epoch - now)
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
