"""What every embedded server (moto, redis, neo4j) offers the supervisor."""

from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from localcloud import paths
from localcloud.ports import ensure_free, is_listening

#: Called with (completed, total, description) while long set-up steps run.
ProgressFn = Callable[[float, float, str], None]


def no_progress(_done: float, _total: float, _what: str) -> None:
    return None


class SidecarError(RuntimeError):
    """A sidecar could not be installed or started; the message says what to do."""


@dataclass
class Sidecar(ABC):
    """One server process the embedded stack runs on 127.0.0.1."""

    name: str
    port: int
    port_env: str
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def log_path(self) -> Path:
        return paths.logs_dir() / f"{self.name}.log"

    @abstractmethod
    def ensure_installed(self, progress: ProgressFn = no_progress) -> None:
        """Fetch whatever the server needs; a no-op when it is already there."""

    @abstractmethod
    def command(self) -> list[str]:
        """The argv that starts the server in the foreground."""

    @abstractmethod
    def is_healthy(self) -> bool:
        """A real round trip (PING, a query, an API call), not just an open port."""

    def prepare(self) -> None:
        """Hook run after the port check and before the process starts."""
        return None

    def after_start(self) -> None:
        """Hook run once the server is healthy (e.g. first-start configuration)."""
        return None

    def is_running(self) -> bool:
        return is_listening(self.port)

    def start(self) -> None:
        ensure_free(self.name, self.port, self.port_env)
        self.prepare()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=paths.local_dir(),
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SidecarError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log_path}"
                )
            if self.is_healthy():
                self.after_start()
                return
            time.sleep(0.2)
        raise SidecarError(f"{self.name} was not healthy on port {self.port} after {timeout:.0f}s;"
                           f" see {self.log_path}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
