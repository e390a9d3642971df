"""GET /health over the network against the real servers."""

from __future__ import annotations

import httpx
import pytest

from localcloud.sidecars.redis import RedisSidecar
from tests.support import eventually

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
