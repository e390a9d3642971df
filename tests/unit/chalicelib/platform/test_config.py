from __future__ import annotations

import pytest

from chalicelib.platform.config import ConfigError, Settings, Target


def test_embedded_is_the_default_and_points_at_loopback() -> None:
    settings = Settings.from_env({})
    assert settings.target is Target.EMBEDDED
    assert settings.aws_endpoint_url == "http://127.0.0.1:4566"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.neo4j_uri == "bolt://127.0.0.1:7687"
    assert settings.local


def test_ports_are_overridable() -> None:
    settings = Settings.from_env({"NOTFLIX_AWS_PORT": "5000", "NOTFLIX_REDIS_PORT": "6380",
                                  "NOTFLIX_NEO4J_PORT": "7688", "NOTFLIX_API_PORT": "8001"})
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.redis_url.endswith(":6380/0")
    assert settings.neo4j_uri.endswith(":7688")
    assert settings.api_port == 8001


def test_aws_target_has_no_endpoint_override() -> None:
    settings = Settings.from_env({"NOTFLIX_TARGET": "aws"})
    assert settings.aws_endpoint_url is None
    assert not settings.local
    assert settings.uploads_bucket == "notflix-uploads"


def test_localstack_target_uses_the_compose_password() -> None:
    settings = Settings.from_env({"NOTFLIX_TARGET": "LocalStack"})
    assert settings.target is Target.LOCALSTACK
    assert settings.neo4j_password == "notflix-local-neo4j"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NOTFLIX_TARGET": "azure"}, "NOTFLIX_TARGET must be one of"),
        ({"NOTFLIX_REDIS_PORT": "redis"}, "NOTFLIX_REDIS_PORT must be a port number"),
        ({"NOTFLIX_API_PORT": "70000"}, "NOTFLIX_API_PORT must be between 1 and 65535"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_resource_names_follow_the_prefix() -> None:
    settings = Settings.from_env({"NOTFLIX_PREFIX": "demo"})
    assert settings.media_bucket == "demo-media"
    assert settings.encode_queue == "demo-encode-jobs"
    assert settings.encode_dlq == "demo-encode-jobs-dlq"
    assert settings.table_name("users") == "demo-users"


def test_secrets_stay_out_of_repr() -> None:
    settings = Settings.from_env({"NOTFLIX_NEO4J_PASSWORD": "s3cret-value"})
    assert "s3cret-value" not in repr(settings)


def test_ranking_priors_are_derived_unless_configured() -> None:
    derived = Settings.from_env({})
    assert (derived.ranking_min_votes, derived.ranking_mean) == (None, None)
    assert derived.ranking_min_votes_percentile == 50.0
    fixed = Settings.from_env({"NOTFLIX_RANKING_MIN_VOTES": "40", "NOTFLIX_RANKING_MEAN": "6.5",
                               "NOTFLIX_RANKING_MIN_VOTES_PERCENTILE": "75"})
    assert (fixed.ranking_min_votes, fixed.ranking_mean) == (40, 6.5)
    assert fixed.ranking_min_votes_percentile == 75.0
    for bad in ("101", "-1", "many"):
        with pytest.raises(ConfigError, match="NOTFLIX_RANKING_MIN_VOTES_PERCENTILE"):
            Settings.from_env({"NOTFLIX_RANKING_MIN_VOTES_PERCENTILE": bad})
