"""Port checks: a taken port is reported by name and number before anything starts."""

from __future__ import annotations

import socket
import time

LOOPBACK = "127.0.0.1"


class PortInUseError(RuntimeError):
    def __init__(self, service: str, port: int, env_var: str) -> None:
        super().__init__(
            f"port {port} for {service} on {LOOPBACK} is already in use; stop whatever holds it "
            f"or choose another port with {env_var}=<port>"
        )
        self.service = service
        self.port = port


def is_listening(port: int, host: str = LOOPBACK, timeout: float = 0.3) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_free(service: str, port: int, env_var: str) -> None:
    """Raise PortInUseError naming the port when it cannot be bound on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers do: a port whose last connections linger in TIME_WAIT is free to listen on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            raise PortInUseError(service, port, env_var) from exc


def wait_listening(port: int, timeout: float, host: str = LOOPBACK) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port, host):
            return True
        time.sleep(0.1)
    return False
