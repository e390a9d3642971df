from __future__ import annotations

from chalicelib.health.checks import check_all
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from tests.support import free_port


def test_every_unreachable_dependency_is_reported_down_within_budget() -> None:
    ports = {name: str(free_port()) for name in ("AWS", "REDIS", "NEO4J")}
    settings = Settings.from_env({f"NOTFLIX_{k}_PORT": v for k, v in ports.items()}
                                 | {"NOTFLIX_NEO4J_PASSWORD": "secret-pw-123"})
    resources = Resources(settings)
    try:
        statuses = check_all(resources, budget=5.0)
    finally:
        resources.close()
    assert [s.name for s in statuses] == ["dynamodb", "s3", "sqs", "redis", "neo4j"]
    assert not any(s.ok for s in statuses)
    for status in statuses:
        assert status.error
        assert "secret-pw-123" not in status.error
        assert status.as_dict()["status"] == "down"
