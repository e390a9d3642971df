"""The embedded stack: sidecars, infra deployment, the API and the event runner."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from chalicelib.platform.aws import LOCAL_CREDENTIALS, make_session
from chalicelib.platform.config import Settings, Target, port
from infra.deployer import deploy
from localcloud import paths, pidfiles
from localcloud.ports import LOOPBACK, ensure_free
from localcloud.sidecars.base import ProgressFn, Sidecar, SidecarError, no_progress
from localcloud.sidecars.moto import MotoSidecar
from localcloud.sidecars.neo4j import Neo4jSidecar, read_password
from localcloud.sidecars.paypal import PayPalSidecar
from localcloud.sidecars.redis import RedisSidecar

SIDECAR_START_TIMEOUT = 120.0
API_START_TIMEOUT = 60.0


class StackError(RuntimeError):
    """The stack could not start; the message names the part and what to do."""


@dataclass
class EmbeddedStack:
    """Everything `notflix up` runs, as child processes it owns."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: Pid files let `notflix down` find the processes; a test's private API keeps none.
    record_pids: bool = True
    sidecars: list[Sidecar] = field(init=False)
    processes: dict[str, subprocess.Popen[bytes]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.sidecars = [
            MotoSidecar(port=port(self.env, "aws")),
            RedisSidecar(port=port(self.env, "redis")),
            Neo4jSidecar(port=port(self.env, "neo4j")),
            PayPalSidecar(port=port(self.env, "paypal"),
                          webhook_url=f"{self.api_url}/webhooks/paypal"),
        ]

    @property
    def api_port(self) -> int:
        return port(self.env, "api")

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def child_env(self) -> dict[str, str]:
        """Environment for the API and the runner: the target, its ports and its secrets."""
        env = dict(self.env)
        env.setdefault("NOTFLIX_TARGET", Target.EMBEDDED.value)
        env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        env["PYTHONUNBUFFERED"] = "1"  # JSON log lines reach .local/logs/ as they happen
        env.setdefault("AWS_ACCESS_KEY_ID", LOCAL_CREDENTIALS["aws_access_key_id"])
        env.setdefault("AWS_SECRET_ACCESS_KEY", LOCAL_CREDENTIALS["aws_secret_access_key"])
        password = read_password()
        if password:
            env["NOTFLIX_NEO4J_PASSWORD"] = password
        if env["NOTFLIX_TARGET"] == Target.EMBEDDED.value:
            for sidecar in self.sidecars:
                if isinstance(sidecar, PayPalSidecar):
                    for key, value in sidecar.app_env().items():
                        env.setdefault(key, value)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(paths.PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        return env

    def settings(self) -> Settings:
        return Settings.from_env(self.child_env())

    # -- set-up -------------------------------------------------------------------------
    def install(self, progress_for: dict[str, ProgressFn] | None = None) -> None:
        if not self.embedded:
            return
        for sidecar in self.sidecars:
            progress = (progress_for or {}).get(sidecar.name, no_progress)
            sidecar.ensure_installed(progress)

    def check_ports(self) -> None:
        for sidecar in self.sidecars:
            ensure_free(sidecar.name, sidecar.port, sidecar.port_env)
        ensure_free("api", self.api_port, "NOTFLIX_API_PORT")

    @property
    def embedded(self) -> bool:
        # The target needs only the environment, not the secrets child_env() reads from disk.
        return Settings.from_env(self.env).target is Target.EMBEDDED

    def start_sidecars(self, on_healthy: ProgressFn = no_progress) -> None:
        """Start moto, Redis and Neo4j; on other targets only check they are reachable."""
        if not self.embedded:
            self._check_external()
            on_healthy(1, 1, f"using the {self.settings().target.value} target")
            return
        self.check_ports()
        for sidecar in self.sidecars:
            sidecar.start()
            if sidecar.process is not None and self.record_pids:
                pidfiles.write(sidecar.name, sidecar.process.pid)
        for done, sidecar in enumerate(self.sidecars, start=1):
            try:
                sidecar.wait_healthy(SIDECAR_START_TIMEOUT)
            except SidecarError as exc:
                raise StackError(str(exc)) from exc
            on_healthy(done, len(self.sidecars), f"{sidecar.name} healthy on port {sidecar.port}")

    def _check_external(self) -> None:
        from chalicelib.health.checks import check_all
        from chalicelib.platform.resources import Resources

        resources = Resources(self.settings())
        try:
            down = [s for s in check_all(resources)
                    if not s.ok and s.name in ("redis", "neo4j")]
        finally:
            resources.close()
        if down:
            names = ", ".join(f"{s.name} ({s.error})" for s in down)
            raise StackError(
                f"{names} unreachable on the {self.settings().target.value} target; for LocalStack"
                " start them with `docker compose -f localstack/docker-compose.yml up -d`"
            )

    def deploy(self, progress: ProgressFn = no_progress) -> dict[str, str]:
        """infra/ into the AWS emulator, then the graph's constraints and indexes."""
        settings = self.settings()
        outputs = deploy(settings, make_session(settings), progress=progress)
        apply_graph_schema(settings)
        return outputs

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (paths.logs_dir() / f"{name}.log").open("ab")
        process = subprocess.Popen(argv, cwd=paths.PROJECT_ROOT, env=self.child_env(),
                                   stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        if self.record_pids:
            pidfiles.write(name, process.pid)
        return process

    def start_api(self) -> None:
        # `chalice local`, answering unknown routes with the gateway responses AWS gets
        process = self._spawn("api", [sys.executable, "-m", "localcloud.api_gateway",
                                      "--host", LOOPBACK, "--port", str(self.api_port),
                                      "--stage", "local"])
        deadline = time.monotonic() + API_START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"the API exited with code {process.returncode}; "
                                 f"see {paths.logs_dir() / 'api.log'}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StackError(f"the API did not report healthy at {self.api_url}/health; "
                         f"see {paths.logs_dir() / 'api.log'}")

    def start_runner(self) -> None:
        self._spawn("event-runner", [sys.executable, "-m", "localcloud.runner_main"])

    # -- tear-down ----------------------------------------------------------------------
    def stop(self) -> None:
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
            if self.record_pids:
                pidfiles.remove(name)
        self.processes.clear()
        for sidecar in reversed(self.sidecars):
            if sidecar.process is not None:
                sidecar.stop()
                if self.record_pids:
                    pidfiles.remove(sidecar.name)


def apply_graph_schema(settings: Settings) -> int:
    """Neo4j's constraints and indexes (idempotent), as a deploy creates them."""
    from chalicelib.platform.resources import Resources
    from chalicelib.recommendations.schema import apply_schema

    resources = Resources(settings)
    try:
        return apply_schema(resources.neo4j)
    finally:
        resources.close()
