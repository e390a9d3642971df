"""redis-server from the machine (Debian's package, installed when missing and allowed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import redis

from localcloud import paths
from localcloud.ports import LOOPBACK
from localcloud.sidecars.base import ProgressFn, Sidecar, SidecarError, no_progress


def _apt_install(package: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SidecarError(f"`{' '.join(argv)}` failed: {result.stderr.strip()[-500:]}")


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
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise SidecarError(
                "redis-server is not installed; install it with `sudo apt-get install redis-server`"
                " (or your system's package manager) and run again"
            )
        progress(0, 1, "installing redis-server with apt-get")
        _apt_install("redis-server")
        if not self.binary():
            raise SidecarError("apt-get installed redis-server but it is not on PATH")
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
