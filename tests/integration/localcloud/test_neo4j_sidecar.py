"""The Neo4j sidecar on its own: a real server from the jar cache, in a throwaway local dir.

The jars live in the shared cache (`.local/cache/neo4j/`, or `$NOTFLIX_NEO4J_JAR_CACHE`), which
does not follow NOTFLIX_LOCAL_DIR, so only the first run anywhere fetches them.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from localcloud.sidecars import neo4j as sidecar_module
from localcloud.sidecars.neo4j import Neo4jSidecar, password_path, read_password
from tests.support import free_port

pytestmark = pytest.mark.integration

START_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def jars() -> Path:
    """Fetch the jars once (a no-op when the cache already has them)."""
    Neo4jSidecar().ensure_installed()
    return sidecar_module.jar_dir()


@pytest.fixture
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jars: Path) -> Path:
    path = tmp_path / "local"
    monkeypatch.setenv("NOTFLIX_LOCAL_DIR", str(path))
    return path


@pytest.fixture
def sidecar(local_dir: Path) -> Iterator[Neo4jSidecar]:
    neo4j = Neo4jSidecar(port=free_port())
    yield neo4j
    neo4j.stop()


def query_one(port: int, password: str) -> int:
    with GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=("neo4j", password),
                              connection_timeout=2.0) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")
    return int(records[0]["one"])


def start(sidecar: Neo4jSidecar) -> None:
    sidecar.start()
    sidecar.wait_healthy(START_TIMEOUT)


def test_installed_jars_are_reused_without_mvn(local_dir: Path, jars: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fetch(*_args: object) -> None:
        raise AssertionError("ensure_installed fetched jars although the cache has them")

    monkeypatch.setattr(sidecar_module, "_fetch_jars", no_fetch)
    seen: list[str] = []
    Neo4jSidecar().ensure_installed(lambda _done, _total, what: seen.append(what))
    assert seen and "cached" in seen[-1]
    assert (jars / f"neo4j-{sidecar_module.neo4j_version()}.jar").is_file()
    assert not jars.is_relative_to(local_dir)


def test_conf_binds_loopback_and_keeps_files_in_the_local_dir(sidecar: Neo4jSidecar,
                                                               local_dir: Path) -> None:
    conf = sidecar.write_conf().read_text().splitlines()
    assert "server.default_listen_address=127.0.0.1" in conf
    assert f"server.bolt.listen_address=127.0.0.1:{sidecar.port}" in conf
    assert "server.http.enabled=false" in conf
    assert "dbms.security.auth_enabled=true" in conf
    assert "dbms.usage_report.enabled=false" in conf
    for line in conf:
        if line.startswith("server.directories."):
            assert Path(line.split("=", 1)[1]).is_relative_to(local_dir), line
    assert not sidecar.is_healthy()  # nothing listens yet


def test_password_is_generated_applied_and_reused(sidecar: Neo4jSidecar) -> None:
    assert read_password() is None

    start(sidecar)
    password = sidecar.password
    assert query_one(sidecar.port, password) == 1
    with pytest.raises(AuthError):
        query_one(sidecar.port, password + "-wrong")
    assert stat.S_IMODE(password_path().stat().st_mode) == 0o600
    sidecar.stop()
    assert not sidecar.is_healthy()

    # A new port: the refused login above leaves the old one in TIME_WAIT on the server side,
    # and the pre-start port check binds without SO_REUSEADDR.
    again = Neo4jSidecar(port=free_port())
    try:
        start(again)
        same = read_password() == password
        assert same, "the password was regenerated on the second start"
        assert query_one(again.port, password) == 1
        assert stat.S_IMODE(password_path().stat().st_mode) == 0o600
    finally:
        again.stop()
