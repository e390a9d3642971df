"""Clients and drivers for the configured target, each created once on first use.

A Lambda container builds one :class:`Resources` at cold start; every request reuses its
connections. Imports of the heavier SDKs happen on first use so cold start stays cheap.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.platform.aws import make_client, make_session
from chalicelib.platform.config import Settings

if TYPE_CHECKING:
    import boto3
    import httpx
    import redis
    from neo4j import Driver


class Resources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def session(self) -> boto3.Session:
        return make_session(self.settings)

    def client(self, service: str) -> Any:
        return make_client(self.session, self.settings, service)

    @cached_property
    def s3(self) -> Any:
        return self.client("s3")

    @cached_property
    def s3_long_calls(self) -> Any:
        """S3 for calls that may take a minute to answer (joining the parts of a large
        multipart upload), with a read timeout to match."""
        from botocore.config import Config

        return make_client(self.session, self.settings, "s3",
                           Config(read_timeout=max(60, self.settings.aws_read_timeout_s)))

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")

    @cached_property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @cached_property
    def redis(self) -> redis.Redis:
        import redis as redis_lib

        return redis_lib.Redis.from_url(
            self.settings.redis_url,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            health_check_interval=30,
            decode_responses=True,
        )

    @cached_property
    def neo4j(self) -> Driver:
        from neo4j import GraphDatabase

        return GraphDatabase.driver(
            self.settings.neo4j_uri,
            auth=(self.settings.neo4j_user, self.settings.neo4j_password),
            connection_timeout=2.0,
            connection_acquisition_timeout=2.0,
            max_transaction_retry_time=2.0,
            # "property key does not exist" while no title has, say, a poster yet is noise
            notifications_disabled_classifications=["UNRECOGNIZED"],
        )

    @cached_property
    def http(self) -> httpx.Client:
        """Outbound HTTP (PayPal, TMDB): pooled connections, bounded waits."""
        import httpx as httpx_lib

        return httpx_lib.Client(timeout=httpx_lib.Timeout(10.0, connect=3.0))

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
        if "neo4j" in self.__dict__:
            self.neo4j.close()
        if "redis" in self.__dict__:
            self.redis.close()
