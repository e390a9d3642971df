"""What keeps a private stack apart from any other on the machine: a free port for each
server and unique names for its resources (tests and benchmarks each start their own)."""

from __future__ import annotations

import socket
import uuid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
