"""Session fixtures: the real embedded servers, started once (or reused), and per-test data.

- If a stack started by `notflix up` is running (its pid file under `.local/run/`), the suite
  reuses its servers; set NOTFLIX_TEST_FRESH_STACK=1 to start a private one instead.
- Otherwise the suite starts moto, redis-server and Neo4j on free ports with their data under
  `.local/test-stack/`, and stops them at the end.
- Every session deploys `infra/` under its own resource prefix, so tests never see a
  developer's data, and tests make their own uniquely named keys, so they pass in any order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chalicelib.aws import make_session
from chalicelib.config import Settings
from chalicelib.resources import Resources
from infra.deployer import deploy
from localcloud import paths, pidfiles
from localcloud.sidecars.redis import RedisSidecar
from localcloud.stack import EmbeddedStack
from tests.support import free_port, unique

#: Short windows so lockout-expiry tests take seconds, not minutes.
API_TEST_ENV = {"NOTFLIX_LOGIN_WINDOW_SECONDS": "4", "NOTFLIX_MAX_BODY_BYTES": "65536"}


def _running_stack_env() -> dict[str, str] | None:
    if os.environ.get("NOTFLIX_TEST_FRESH_STACK") == "1" or not pidfiles.read("up"):
        return None
    stack = EmbeddedStack()
    if all(sidecar.is_healthy() for sidecar in stack.sidecars):
        return stack.child_env()
    return None


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """Environment (ports, password) of running embedded servers."""
    reused = _running_stack_env()
    if reused is not None:
        yield reused
        return
    local_dir = str(paths.PROJECT_ROOT / ".local" / "test-stack")
    os.environ["NOTFLIX_LOCAL_DIR"] = local_dir
    env = {
        **os.environ,
        "NOTFLIX_TARGET": "embedded",
        "NOTFLIX_LOCAL_DIR": local_dir,
        "NOTFLIX_AWS_PORT": str(free_port()),
        "NOTFLIX_REDIS_PORT": str(free_port()),
        "NOTFLIX_NEO4J_PORT": str(free_port()),
    }
    stack = EmbeddedStack(env=env, record_pids=False)
    stack.install()
    stack.start_sidecars()
    try:
        yield stack.child_env()
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> Settings:
    return Settings.from_env({**stack_env, **API_TEST_ENV, "NOTFLIX_PREFIX": unique("nft-")})


@pytest.fixture(scope="session")
def stack_outputs(settings: Settings) -> dict[str, str]:
    return deploy(settings, make_session(settings))


@pytest.fixture(scope="session")
def resources(settings: Settings, stack_outputs: dict[str, str]) -> Iterator[Resources]:
    res = Resources(settings)
    yield res
    res.close()


@pytest.fixture(scope="session")
def api_url(stack_env: dict[str, str], settings: Settings,
            stack_outputs: dict[str, str]) -> Iterator[str]:
    """The real API (`chalice local`) on a free port, pointed at this session's resources."""
    env = {**stack_env, **API_TEST_ENV, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_API_PORT": str(free_port())}
    api = EmbeddedStack(env=env, record_pids=False)
    api.start_api()
    try:
        yield api.api_url
    finally:
        api.stop()


@pytest.fixture
def api_with_private_redis(
    stack_env: dict[str, str], settings: Settings, stack_outputs: dict[str, str]
) -> Iterator[tuple[str, RedisSidecar]]:
    """An API whose Redis is this test's own server, so stopping it harms nobody else."""
    port = free_port()
    redis_server = RedisSidecar(port=port, data_name=f"redis-test-{port}")
    redis_server.start()
    redis_server.wait_healthy(20)
    env = {**stack_env, **API_TEST_ENV, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
           "NOTFLIX_API_PORT": str(free_port())}
    api = EmbeddedStack(env=env, record_pids=False)
    api.start_api()
    try:
        yield api.api_url, redis_server
    finally:
        api.stop()
        redis_server.stop()
