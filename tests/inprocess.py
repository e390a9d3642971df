"""The in-process layer: the app's stores without starting a server.

- AWS is moto in this process (``mock_aws``), with every table, bucket and queue deployed from
  ``infra/template.yaml`` through the same deployer as `notflix up` and real AWS
  (``infra.deployer.deploy``), so a table's keys and indexes are the template's, never a copy.
- Redis is fakeredis with Lua (the rate limiter, the trending counter and the sessions run
  their real scripts on it). The contract tests in ``tests/contract/`` hold it to the same
  behaviour as a real redis-server.
- Neo4j has no in-process double: services that read the graph are tested against the real
  server (``tests/integration/``). Writes to it go through the SQS outbox, which is here.

One cloud is deployed per test process (~5 s); each test switches moto on around itself
without resetting it, and tests keep apart by unique keys, as they do on the shared servers.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.platform.aws import make_session
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.services import Services, table_models
from localcloud.isolation import unique

if TYPE_CHECKING:
    import boto3
    import fakeredis
    import redis
    from neo4j import Driver

#: What moto's in-process mode needs to sign requests; never real credentials.
_FAKE_AWS_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_SECURITY_TOKEN": "test", "AWS_SESSION_TOKEN": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}


class NoGraphInProcess(RuntimeError):
    """A service asked for Neo4j, which only the integration tests have."""


@dataclasses.dataclass
class SharedClients:
    """The boto3 session and clients of one in-process cloud, made once."""

    session: boto3.Session
    clients: dict[str, Any] = dataclasses.field(default_factory=dict)


class InProcessResources(Resources):
    """The app's resources with Redis in memory and no Neo4j."""

    def __init__(self, settings: Settings, server: fakeredis.FakeServer,
                 shared: SharedClients) -> None:
        super().__init__(settings)
        self.fake_redis_server = server
        self.shared = shared

    @cached_property
    def session(self) -> boto3.Session:
        return self.shared.session

    def client(self, service: str) -> Any:
        """One client per service for the whole cloud: a client loads botocore's model of
        its service (tens of milliseconds), which every test would otherwise pay again."""
        clients = self.shared.clients
        if service not in clients:
            clients[service] = super().client(service)
        return clients[service]

    @cached_property
    def redis(self) -> redis.Redis:
        import fakeredis

        return fakeredis.FakeRedis(server=self.fake_redis_server, decode_responses=True)

    @cached_property
    def neo4j(self) -> Driver:
        raise NoGraphInProcess("Neo4j has no in-process double; test this against the real "
                               "server in tests/integration/")


@dataclasses.dataclass
class InProcessCloud:
    """A deployed in-process stack: its settings, and a way to switch it on for a test."""

    settings: Settings
    mock: Any
    redis_server: fakeredis.FakeServer
    shared: SharedClients

    @contextmanager
    def active(self) -> Iterator[None]:
        """moto on for the block, keeping what earlier tests stored (no reset either way).

        The pynamodb models' table bindings are global: they are put back afterwards, so an
        integration test later in the same process still reaches its own servers.
        """
        previous = {key: os.environ.get(key) for key in _FAKE_AWS_ENV}
        os.environ.update(_FAKE_AWS_ENV)
        bindings = _model_bindings()
        self.mock.start(reset=False)
        try:
            yield
        finally:
            self.mock.stop(remove_data=False)
            _restore_model_bindings(bindings)
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def services(self, **overrides: Any) -> Services:
        """A fresh composition root on this cloud (settings changed by ``overrides``)."""
        if overrides:  # other settings, other clients
            settings = dataclasses.replace(self.settings, **overrides)
            shared = SharedClients(make_session(settings))
        else:
            settings, shared = self.settings, self.shared
        return Services(InProcessResources(settings, self.redis_server, shared))


_BINDING_FIELDS = ("table_name", "region", "host", "connect_timeout_seconds",
                   "read_timeout_seconds", "max_retry_attempts", "aws_access_key_id",
                   "aws_secret_access_key")


#: A Meta attribute a model does not have.
_UNSET = object()


def _model_bindings() -> list[tuple[type[Any], dict[str, Any], Any]]:
    return [(model, {name: getattr(model.Meta, name, _UNSET) for name in _BINDING_FIELDS},
             model.__dict__.get("_connection")) for model in table_models()]


def _restore_model_bindings(bindings: list[tuple[type[Any], dict[str, Any], Any]]) -> None:
    """Put back a binding to a server's tables (an integration test's: it has an endpoint);
    a model that was unbound, or bound to this cloud, keeps this cloud's binding and its
    connection, for the next in-process test to reuse (a connection loads botocore's
    DynamoDB model: tens of milliseconds each time)."""
    for model, fields, connection in bindings:
        if not isinstance(fields["host"], str):  # unbound, or bound in process
            continue
        for name, value in fields.items():
            if value is not _UNSET:
                setattr(model.Meta, name, value)
        model._connection = connection


_SERIAL = threading.RLock()


def _serialise_in_process_moto() -> None:
    """One request at a time through in-process moto, as one AWS service applies a request
    atomically: moto's in-process backends are plain dicts, and a transaction deep-copies
    its tables while another thread writes them ("dictionary changed size during
    iteration"). The moto server the integration tests use is not patched."""
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "_serialised", False):
        return
    unlocked = BotocoreStubber.__call__

    def serialised(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _SERIAL:
            return unlocked(self, event_name, request, **kwargs)

    serialised._serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]


def deploy_in_process(**overrides: Any) -> InProcessCloud:
    """moto in this process with ``infra/template.yaml`` deployed under a unique prefix."""
    import fakeredis
    from moto import mock_aws

    from infra.deployer import deploy

    settings = dataclasses.replace(
        Settings.from_env({"NOTFLIX_TARGET": "embedded", "NOTFLIX_PREFIX": unique("inproc-"),
                           "NOTFLIX_REDIS_URL": "redis://in-process.invalid/0",
                           "NOTFLIX_NEO4J_URI": "bolt://in-process.invalid"}),
        # no endpoint: boto3 speaks to AWS's own host names, which mock_aws answers
        aws_endpoint_url=None, **overrides)
    _serialise_in_process_moto()
    cloud = InProcessCloud(settings=settings, mock=mock_aws(), redis_server=fakeredis.FakeServer(),
                           shared=SharedClients(make_session(settings)))
    with cloud.active(), warnings.catch_warnings():
        # moto's CloudFormation skips the queue policies and the SES identity; the deployer
        # applies what moto ignores itself (localcloud/emulator), so the warnings are noise
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
        deploy(settings, make_session(settings))
    return cloud
