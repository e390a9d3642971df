"""Session fixtures: the real embedded servers, started once (or reused), and per-test data.

- If a stack started by `notflix up` is running (its pid file under `.local/run/`), the suite
  reuses its servers; set NOTFLIX_TEST_FRESH_STACK=1 to start a private one instead.
- Otherwise the suite starts moto, redis-server and Neo4j on free ports with their data under
  `.local/test-stack/`, and stops them at the end. Under pytest-xdist (`make test`) the workers
  share one set of them (tests/shared_stack.py); each worker has its own prefix and API.
- Every session deploys `infra/` under its own resource prefix, so tests never see a
  developer's data, and tests make their own uniquely named keys, so they pass in any order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from chalicelib.platform.aws import make_session
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from infra.deployer import deploy
from localcloud import paths, pidfiles
from localcloud.paypal_sim.server import FakePayPal
from localcloud.sidecars.redis import RedisSidecar
from localcloud.stack import EmbeddedStack, apply_graph_schema
from localcloud.tmdb_sim.server import FakeTmdb
from tests.inprocess import InProcessCloud, deploy_in_process
from tests.shared_stack import SharedStack
from tests.support import free_port, local_paypal, queue_worker, unique

#: Short windows so lockout-expiry tests take seconds, not minutes; a recommendation budget
#: no busy test machine overruns, so the graph's answers are tested, not the machine's speed
#: (the budget itself is tested with a frozen Neo4j in test_graph_outage).
API_TEST_ENV = {"NOTFLIX_LOGIN_WINDOW_SECONDS": "4", "NOTFLIX_MAX_BODY_BYTES": "65536",
                "NOTFLIX_SEARCH_REFRESH_SECONDS": "0", "NOTFLIX_GRAPH_RETRY_SECONDS": "1",
                "NOTFLIX_GRAPH_RETRY_MAX_SECONDS": "2", "NOTFLIX_RECS_BUDGET_MS": "5000",
                # The suite registers every account from 127.0.0.1; the limit itself is
                # tested by filling its counter (test_auth_api).
                "NOTFLIX_REGISTRATIONS_PER_IP": "1000000"}
TMDB_TEST_KEY = "tmdb-test-key-0123456789"


def _running_stack_env() -> dict[str, str] | None:
    if os.environ.get("NOTFLIX_TEST_FRESH_STACK") == "1" or not pidfiles.read("up"):
        return None
    stack = EmbeddedStack()
    if all(sidecar.is_healthy() for sidecar in stack.sidecars):
        return stack.child_env()
    return None


def _start_private_stack() -> tuple[dict[str, str], Callable[[], None]]:
    """moto, redis-server and Neo4j on free ports; returns their environment and their stop."""
    # NOTFLIX_TEST_STACK_DIR lets two suites (e.g. two checkouts' or helpers') run side by side.
    local_dir = _test_stack_dir()
    env = {
        **os.environ,
        "NOTFLIX_TARGET": "embedded",
        "NOTFLIX_LOCAL_DIR": local_dir,
        "NOTFLIX_AWS_PORT": str(free_port()),
        "NOTFLIX_REDIS_PORT": str(free_port()),
        "NOTFLIX_NEO4J_PORT": str(free_port()),
        "NOTFLIX_PAYPAL_PORT": str(free_port()),
        "NOTFLIX_API_PORT": str(free_port()),  # `notflix up` may hold the default one
    }
    stack = EmbeddedStack(env=env, record_pids=False)
    stack.install()
    try:  # a sidecar that fails to start must not leave the others running
        stack.start_sidecars()
    except BaseException:
        stack.stop()
        raise
    return stack.child_env(), stack.stop


def _test_stack_dir() -> str:
    return os.environ.get("NOTFLIX_TEST_STACK_DIR") or str(
        paths.PROJECT_ROOT / ".local" / "test-stack")


#: Set in a pytest-xdist worker: the run-wide servers it shares with the other workers.
_shared_stack: SharedStack | None = None


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment (ports, password) of running embedded servers."""
    global _shared_stack
    reused = _running_stack_env()
    if reused is not None:
        yield reused
        return
    os.environ["NOTFLIX_LOCAL_DIR"] = _test_stack_dir()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:  # one process: the servers live as long as this fixture
        env, stop = _start_private_stack()
        try:
            yield env
        finally:
            stop()
        return
    # pytest-xdist: one set of servers for all workers (each worker deploys its own prefix).
    _shared_stack = _shared_stack or SharedStack(tmp_path_factory.getbasetemp().parent, worker)
    env = _shared_stack.acquire(_start_private_stack)
    # The logs of this worker's API and event runners (which tests read) are its own.
    os.environ["NOTFLIX_LOCAL_DIR"] = os.path.join(_test_stack_dir(), "workers", worker)
    try:
        yield env
    finally:
        _shared_stack.release()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long-running modules first: under pytest-xdist (`--dist loadscope
    --no-loadscope-reorder`, see the Makefile) each starts on a worker of its own while the
    other workers take the short tests, instead of all waiting on one at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The worker that started the shared servers stops them once no other worker uses them."""
    if _shared_stack is not None:
        _shared_stack.stop_if_started_here()


@pytest.fixture(scope="session")
def api_port() -> int:
    """Chosen up front: the local PayPal must know where to send webhooks."""
    return free_port()


@pytest.fixture(scope="session")
def fake_paypal(api_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakePayPal]:
    """This session's own local PayPal, sending webhooks to this session's API."""
    paypal = local_paypal(tmp_path_factory.mktemp("paypal-pki"), client_id="test-client",
                          webhook_url=f"http://127.0.0.1:{api_port}/webhooks/paypal",
                          port=free_port())
    paypal.start()
    try:
        yield paypal
    finally:
        paypal.stop()


@pytest.fixture(scope="session")
def paypal_env(fake_paypal: FakePayPal) -> dict[str, str]:
    return {
        "NOTFLIX_PAYPAL_BASE_URL": fake_paypal.base_url,
        "NOTFLIX_PAYPAL_CLIENT_ID": "test-client",
        "NOTFLIX_PAYPAL_CLIENT_SECRET": fake_paypal.client_secret,
        "NOTFLIX_PAYPAL_WEBHOOK_ID": fake_paypal.webhook_id,
        "NOTFLIX_PAYPAL_CA_BUNDLE": str(fake_paypal.pki.ca_cert_path),
        "NOTFLIX_PAYPAL_CERT_HOSTS": urlsplit(fake_paypal.base_url).netloc,
    }


@pytest.fixture(scope="session")
def fake_tmdb() -> Iterator[FakeTmdb]:
    """This session's local TMDB (API and daily exports), answering in TMDB's JSON."""
    with FakeTmdb(api_key=TMDB_TEST_KEY) as tmdb:
        yield tmdb


@pytest.fixture(scope="session")
def tmdb_env(fake_tmdb: FakeTmdb) -> dict[str, str]:
    return {"NOTFLIX_TMDB_API_URL": fake_tmdb.api_url,
            "NOTFLIX_TMDB_EXPORT_URL": fake_tmdb.export_url,
            "NOTFLIX_TMDB_API_KEY": TMDB_TEST_KEY, "NOTFLIX_TMDB_RATE_PER_SECOND": "200"}


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str], paypal_env: dict[str, str], tmdb_env: dict[str, str],
             api_port: int) -> Settings:
    return Settings.from_env({**stack_env, **API_TEST_ENV, **paypal_env, **tmdb_env,
                              "NOTFLIX_API_PORT": str(api_port),
                              "NOTFLIX_PREFIX": unique("nft-")})


@pytest.fixture(scope="session")
def stack_outputs(settings: Settings) -> dict[str, str]:
    return deploy(settings, make_session(settings))


@pytest.fixture(scope="session")
def resources(settings: Settings, stack_outputs: dict[str, str]) -> Iterator[Resources]:
    res = Resources(settings)
    yield res
    res.close()


def _api_env(stack_env: dict[str, str], settings: Settings, paypal_env: dict[str, str],
             tmdb_env: dict[str, str], api_port: int) -> dict[str, str]:
    return {**stack_env, **API_TEST_ENV, **paypal_env, **tmdb_env,
            "NOTFLIX_PREFIX": settings.resource_prefix, "NOTFLIX_API_PORT": str(api_port)}


@pytest.fixture(scope="session")
def api_url(stack_env: dict[str, str], settings: Settings, stack_outputs: dict[str, str],
            paypal_env: dict[str, str], tmdb_env: dict[str, str], api_port: int) -> Iterator[str]:
    """The real API (`chalice local`) on a free port, pointed at this session's resources."""
    env = _api_env(stack_env, settings, paypal_env, tmdb_env, api_port)
    api = EmbeddedStack(env=env, record_pids=False)
    api.start_api()
    try:
        yield api.api_url
    finally:
        api.stop()


@pytest.fixture(scope="session")
def catalogue_services(resources: Resources) -> Services:
    """Domain services in the test process, the catalogue models bound to this session."""
    services = Services(resources)
    services.catalogue  # binds the models to this session's tables  # noqa: B018
    return services


@pytest.fixture(scope="session")
def import_worker(stack_env: dict[str, str], settings: Settings, stack_outputs: dict[str, str],
                  paypal_env: dict[str, str], tmdb_env: dict[str, str],
                  api_port: int) -> Iterator[None]:
    """The event runner, driving only the catalogue-import queue's function (as Lambda would)."""
    with queue_worker(_api_env(stack_env, settings, paypal_env, tmdb_env, api_port),
                      settings.import_queue):
        yield


@pytest.fixture
def encoder_worker(stack_env: dict[str, str], settings: Settings, resources: Resources,
                   stack_outputs: dict[str, str]) -> Iterator[None]:
    """The event runner driving only the encoder (uploads and fan-out tasks, one pool of
    invocations), with the timeout the session's encode queues were deployed with; it starts
    on empty queues (tests/integration/encodes.py)."""
    from tests.integration.encodes import empty_encode_queues

    empty_encode_queues(resources)
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_ENCODER_TIMEOUT_SECONDS": str(settings.encoder_timeout_seconds),
           "NOTFLIX_ENCODER_CONCURRENCY": str(settings.encoder_concurrency)}
    with queue_worker(env, settings.encode_queue, settings.encode_tasks_queue):
        yield


@pytest.fixture(scope="session")
def graph_schema(settings: Settings, stack_outputs: dict[str, str]) -> None:
    """The graph's constraints and indexes, as a deploy creates them."""
    apply_graph_schema(settings)


@pytest.fixture
def graph_worker(stack_env: dict[str, str], settings: Settings, stack_outputs: dict[str, str],
                 paypal_env: dict[str, str], tmdb_env: dict[str, str], api_port: int,
                 graph_schema: None) -> Iterator[None]:
    """The event runner, driving only the graph-sync queue's function (as Lambda would)."""
    with queue_worker(_api_env(stack_env, settings, paypal_env, tmdb_env, api_port),
                      settings.graph_queue):
        yield


@pytest.fixture(scope="session")
def reset_worker(stack_env: dict[str, str], settings: Settings, stack_outputs: dict[str, str],
                 paypal_env: dict[str, str], tmdb_env: dict[str, str],
                 api_port: int) -> Iterator[None]:
    """The event runner, driving only the password-resets queue's function (the reset mail)."""
    with queue_worker(_api_env(stack_env, settings, paypal_env, tmdb_env, api_port),
                      settings.reset_queue):
        yield


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


# -- the in-process layer (tests/inprocess.py) -------------------------------------------
@pytest.fixture(scope="session")
def cloud() -> InProcessCloud:
    """moto in this process with the template deployed, and fakeredis: once per test
    process (about 5 s)."""
    return deploy_in_process()


@pytest.fixture
def in_process(cloud: InProcessCloud) -> Iterator[Services]:
    """The app's composition root on the in-process cloud, for one test."""
    with cloud.active():
        services = cloud.services()
        try:
            yield services
        finally:
            services.resources.close()
