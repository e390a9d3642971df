"""GET /health over the network against the real servers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from localcloud.sidecars.redis import RedisSidecar
from localcloud.stack import EmbeddedStack
from tests.support import eventually, free_port

pytestmark = pytest.mark.integration
DEPENDENCIES = {"dynamodb", "s3", "sqs", "redis", "neo4j"}


def test_health_is_200_with_every_dependency_up(api_url: str) -> None:
    response = httpx.get(f"{api_url}/health", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "up"
    assert set(body["dependencies"]) == DEPENDENCIES
    for name, dep in body["dependencies"].items():
        assert dep["status"] == "up", name
        assert dep["latency_ms"] >= 0
    assert response.headers["X-Request-Id"]


def test_request_id_is_echoed_when_supplied(api_url: str) -> None:
    response = httpx.get(f"{api_url}/health", headers={"X-Request-Id": "trace-1234abcd"},
                         timeout=10)
    assert response.headers["X-Request-Id"] == "trace-1234abcd"


@pytest.fixture
def api_with_private_redis(
    stack_env: dict[str, str], settings: object, stack_outputs: dict[str, str]
) -> Iterator[tuple[str, RedisSidecar]]:
    """An API whose Redis is this test's own server, so stopping it harms nobody else."""
    port = free_port()
    redis_server = RedisSidecar(port=port, data_name=f"redis-test-{port}")
    redis_server.start()
    redis_server.wait_healthy(20)
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,  # type: ignore[attr-defined]
           "NOTFLIX_REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
           "NOTFLIX_API_PORT": str(free_port())}
    api = EmbeddedStack(env=env, record_pids=False)
    api.start_api()
    try:
        yield api.api_url, redis_server
    finally:
        api.stop()
        redis_server.stop()


def test_health_is_503_naming_redis_when_it_stops_and_recovers(
    api_with_private_redis: tuple[str, RedisSidecar],
) -> None:
    url, redis_server = api_with_private_redis
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200

    redis_server.stop()
    response = httpx.get(f"{url}/health", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis"]
    assert body["dependencies"]["redis"]["status"] == "down"
    assert body["dependencies"]["redis"]["error"]
    assert body["dependencies"]["neo4j"]["status"] == "up"

    redis_server.start()
    redis_server.wait_healthy(20)
    eventually(lambda: httpx.get(f"{url}/health", timeout=10).status_code == 200, timeout=20)
