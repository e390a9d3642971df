"""redis-server from the machine (Debian's package, installed when missing and allowed:
`localcloud.system_tools`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import redis

from localcloud import paths, system_tools
from localcloud.ports import LOOPBACK
from localcloud.sidecars.base import ProgressFn, Sidecar, SidecarError, no_progress


@dataclass
class RedisSidecar(Sidecar):
    name: str = "redis"
    port: int = 6379
    port_env: str = "NOTFLIX_REDIS_PORT"
    #: Folder under `.local/data/`; a second server (e.g. a test's own) needs its own.
    data_name: str = "redis"

    def binary(self) -> str | None:
        return shutil.which("redis-server")

    def ensure_installed(self, progress: ProgressFn = no_progress) -> None:
        if self.binary():
            progress(1, 1, "redis-server (installed)")
            return
        try:
            system_tools.ensure(["redis-server"], report=lambda line: progress(0, 1, line))
        except system_tools.SystemToolError as exc:
            raise SidecarError(str(exc)) from exc
        progress(1, 1, "redis-server installed")

    def command(self) -> list[str]:
        binary = self.binary()
        if binary is None:
            raise SidecarError("redis-server is not installed")
        return [
            binary,
            "--bind", LOOPBACK,
            "--port", str(self.port),
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--dir", str(paths.data_dir(self.data_name)),
            "--appendonly", "yes",
            "--save", "60 1",
            "--logfile", "",
        ]

    def is_healthy(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=0.5,
                             socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()
