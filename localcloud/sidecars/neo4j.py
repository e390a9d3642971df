"""Neo4j 5.26 Community from Maven Central jars, started with `java` directly.

- Jars: `mvn dependency:copy-dependencies` on the pinned `localcloud/neo4j/pom.xml`, into a jar
  cache shared by every local dir (`.local/cache/neo4j/<version>-<pom hash>/`, or
  `$NOTFLIX_NEO4J_JAR_CACHE/<version>-<pom hash>/`), so tests with their own
  `NOTFLIX_LOCAL_DIR` reuse them. A pom change means a new directory, so a new fetch.
- Server: `org.neo4j.server.CommunityEntryPoint` with `<jars>/*` on the classpath, the JVM
  options Neo4j's own `neo4j.conf` lists, and a generated `neo4j.conf` binding loopback only.
- Per local dir: home and conf in `neo4j/`, data in `data/neo4j/`, Neo4j's own logs in
  `logs/neo4j/` (stdout goes to `logs/neo4j.log`).
- Password: generated on first start, kept in `neo4j/password` (0600), applied before the
  first start with neo4j-admin's `dbms set-initial-password` (run from the same jars), which
  writes `data/neo4j/dbms/auth.ini`. It is never printed or logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import string
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase

from localcloud import paths
from localcloud.ports import LOOPBACK
from localcloud.sidecars.base import ProgressFn, Sidecar, SidecarError, no_progress

POM = Path(__file__).resolve().parent.parent / "neo4j" / "pom.xml"
USER = "neo4j"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
JAR_CACHE_ENV = "NOTFLIX_NEO4J_JAR_CACHE"
MIN_JAVA = 17
#: Jars a cold ~/.m2 downloads for the pinned pom (its deps and the dependency plugin's);
#: it only scales the progress bar.
EXPECTED_DOWNLOADS = 262
HEAP = ("256m", "768m")
PAGE_CACHE = "64m"
#: Bigger graphs (bench/recs.py loads 2 million edges) set these, e.g. 2g and 1g.
HEAP_MAX_ENV = "NOTFLIX_NEO4J_HEAP_MAX"
PAGE_CACHE_ENV = "NOTFLIX_NEO4J_PAGECACHE"


def heap() -> tuple[str, str]:
    return HEAP[0], os.environ.get(HEAP_MAX_ENV) or HEAP[1]


def page_cache() -> str:
    return os.environ.get(PAGE_CACHE_ENV) or PAGE_CACHE

#: `server.jvm.additional` from the neo4j.conf Neo4j 5.26 ships, less the profiling and
#: pre-touch ones (-XX:+AlwaysPreTouch would commit the whole heap up front).
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
)

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


# -- where things live ----------------------------------------------------------------------
def pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def neo4j_version() -> str:
    match = re.search(r"<neo4j\.version>\s*([^<\s]+)\s*</neo4j\.version>", POM.read_text())
    if match is None:
        raise SidecarError(f"{POM} has no <neo4j.version> property")
    return match.group(1)


def jar_cache_root() -> Path:
    root = os.environ.get(JAR_CACHE_ENV)
    path = Path(root) if root else paths.PROJECT_ROOT / ".local" / "cache" / "neo4j"
    path.mkdir(parents=True, exist_ok=True)
    return path


def jar_dir() -> Path:
    """Where the jars for the current pom live (whether or not they are there yet)."""
    return jar_cache_root() / f"{neo4j_version()}-{pom_hash()[:12]}"


def home_dir() -> Path:
    return paths.sub_dir("neo4j")


def conf_dir() -> Path:
    return paths.sub_dir("neo4j", "conf")


def neo4j_logs_dir() -> Path:
    return paths.sub_dir("logs", "neo4j")


def password_path() -> Path:
    return home_dir() / "password"


def read_password() -> str | None:
    """The stored password of the `neo4j` user, or None before the first start."""
    try:
        password = password_path().read_text().strip()
    except FileNotFoundError:
        return None
    return password or None


def _write_password(password: str) -> None:
    target = password_path()
    tmp = target.with_name(f".password.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, password.encode())
    finally:
        os.close(fd)
    os.replace(tmp, target)


def _generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(32))


# -- tools ----------------------------------------------------------------------------------
def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise SidecarError(
            f"`java` was not found; Neo4j needs Java {MIN_JAVA} or 21 (e.g. "
            "`sudo apt-get install openjdk-17-jre-headless`), on PATH or in JAVA_HOME"
        )
    return found


def _java_major(java: str) -> int:
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise SidecarError(f"could not tell the version of {java}: {result.stderr.strip()}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _check_java(java: str) -> None:
    major = _java_major(java)
    if major < MIN_JAVA:
        raise SidecarError(f"{java} is Java {major}; Neo4j {neo4j_version()} needs Java 17 or 21"
                           " (set JAVA_HOME or put a newer `java` on PATH)")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_complete(jars: Path) -> bool:
    stamp = jars / "pom.sha256"
    return stamp.is_file() and stamp.read_text().strip() == pom_hash()


def _fetch_jars(dest: Path, progress: ProgressFn) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SidecarError(
            "`mvn` (Apache Maven) was not found; it fetches Neo4j's jars from Maven Central. "
            "Install it (e.g. `sudo apt-get install maven`) and run again"
        )
    version = neo4j_version()
    log_path = paths.logs_dir() / "neo4j-install.log"
    argv = [mvn, "-B", "-Dstyle.color=never", "-f", str(POM),
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={dest}"]
    downloaded = 0
    progress(0, EXPECTED_DOWNLOADS, f"fetching Neo4j {version} jars from Maven Central")
    with log_path.open("w") as log, subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, cwd=POM.parent,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if "Downloaded from" in line and ".jar " in line:
                downloaded += 1
                total = max(EXPECTED_DOWNLOADS, downloaded + 1)
                progress(downloaded, total, f"fetching Neo4j {version} jars ({downloaded})")
    if process.returncode != 0:
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-15:])
        raise SidecarError(f"`mvn dependency:copy-dependencies` for Neo4j {version} failed "
                           f"(full output in {log_path}):\n{tail}")
    if not (dest / f"neo4j-{version}.jar").is_file():
        raise SidecarError(f"mvn finished but {dest} has no neo4j-{version}.jar; see {log_path}")


# -- the sidecar ----------------------------------------------------------------------------
@dataclass
class Neo4jSidecar(Sidecar):
    name: str = "neo4j"
    port: int = 7687
    port_env: str = "NOTFLIX_NEO4J_PORT"

    @property
    def uri(self) -> str:
        return f"bolt://{LOOPBACK}:{self.port}"

    @property
    def password(self) -> str:
        password = read_password()
        if password is None:
            raise SidecarError(f"Neo4j has no password yet ({password_path()}); start it once")
        return password

    def ensure_installed(self, progress: ProgressFn = no_progress) -> None:
        _check_java(java_binary())
        jars = jar_dir()
        if _is_complete(jars):
            progress(1, 1, f"Neo4j {neo4j_version()} jars (cached)")
            return
        root = jar_cache_root()
        with _locked(root / ".lock"):
            if _is_complete(jars):  # another process fetched them while we waited
                progress(1, 1, f"Neo4j {neo4j_version()} jars (cached)")
                return
            tmp = root / f".{jars.name}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                _fetch_jars(tmp, progress)
                (tmp / "pom.sha256").write_text(pom_hash() + "\n")
                if jars.is_symlink() or jars.is_file():
                    jars.unlink()
                elif jars.exists():
                    shutil.rmtree(jars)
                tmp.rename(jars)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            for stale in root.iterdir():  # jars of earlier poms
                if stale.is_dir() and stale != jars and not stale.name.startswith("."):
                    shutil.rmtree(stale, ignore_errors=True)
        count = sum(1 for _ in jars.glob("*.jar"))
        progress(1, 1, f"Neo4j {neo4j_version()} jars fetched ({count} jars)")

    def _jars(self) -> Path:
        jars = jar_dir()
        if not _is_complete(jars):
            raise SidecarError(f"Neo4j's jars are not in {jars}; run `ensure_installed` "
                               "(`notflix up` does) to fetch them with mvn")
        return jars

    def _classpath(self) -> str:
        return f"{self._jars()}{os.sep}*"

    def command(self) -> list[str]:
        return [
            java_binary(),
            f"-Xms{heap()[0]}", f"-Xmx{heap()[1]}",
            *JVM_OPTIONS,
            "-cp", self._classpath(),
            MAIN_CLASS,
            f"--home-dir={home_dir()}",
            f"--config-dir={conf_dir()}",
            "--console-mode",
        ]

    def conf_lines(self) -> list[str]:
        address = f"{LOOPBACK}:{self.port}"
        return [
            "# Written by localcloud/sidecars/neo4j.py on every start; edits are lost.",
            f"server.default_listen_address={LOOPBACK}",
            f"server.default_advertised_address={LOOPBACK}",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address={address}",
            f"server.bolt.advertised_address={address}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            "dbms.usage_report.enabled=false",
            "dbms.security.auth_enabled=true",
            f"server.directories.data={paths.data_dir('neo4j')}",
            f"server.directories.logs={neo4j_logs_dir()}",
            f"server.directories.run={paths.sub_dir('neo4j', 'run')}",
            f"server.directories.import={paths.sub_dir('neo4j', 'import')}",
            f"server.directories.plugins={paths.sub_dir('neo4j', 'plugins')}",
            f"server.memory.heap.initial_size={heap()[0]}",
            f"server.memory.heap.max_size={heap()[1]}",
            f"server.memory.pagecache.size={page_cache()}",
            # Small transaction logs: the default preallocates 256 MB per database.
            "db.tx_log.preallocate=false",
            "db.tx_log.rotation.size=16M",
            "db.tx_log.rotation.retention_policy=64M size",
            # Bolt waits 2 x 5 s on shutdown by default; 1 s keeps `notflix down` quick.
            "internal.server.bolt.connection_shutdown_wait_time=1s",
            "internal.server.bolt.thread_pool_shutdown_wait_time=1s",
        ]

    def write_conf(self) -> Path:
        path = conf_dir() / "neo4j.conf"
        path.write_text("\n".join(self.conf_lines()) + "\n")
        return path

    def _system_db_exists(self) -> bool:
        return (paths.data_dir("neo4j") / "databases" / "system").exists()

    def prepare(self) -> None:
        self.write_conf()
        stored = read_password()
        if stored is not None:
            password_path().chmod(0o600)
        if self._system_db_exists():
            if stored is None:
                raise SidecarError(
                    f"Neo4j's data in {paths.data_dir('neo4j')} was set up with a password that "
                    f"is no longer in {password_path()}; delete that data directory to start "
                    "afresh"
                )
            return
        if stored is None:
            stored = _generate_password()
            _write_password(stored)
        self._set_initial_password(stored)

    def _set_initial_password(self, password: str) -> None:
        """neo4j-admin `dbms set-initial-password`, via an @-file so argv never holds it."""
        argfile = home_dir() / f".initial-password.{os.getpid()}"
        escaped = password.replace("\\", "\\\\").replace('"', '\\"')
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f'"{escaped}"\n'.encode())
        finally:
            os.close(fd)
        env = {**os.environ, "NEO4J_HOME": str(home_dir()), "NEO4J_CONF": str(conf_dir())}
        argv = [java_binary(), "-Xmx128m", "-cp", self._classpath(), ADMIN_CLASS,
                "dbms", "set-initial-password", "--", f"@{argfile}"]
        try:
            result = subprocess.run(argv, env=env, capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL, timeout=120, check=False)
        finally:
            argfile.unlink(missing_ok=True)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).replace(password, "********")
            raise SidecarError(f"neo4j-admin dbms set-initial-password failed "
                               f"(exit {result.returncode}): {output.strip()[-800:]}")

    def is_healthy(self) -> bool:
        password = read_password()
        if password is None:
            return False
        try:
            with GraphDatabase.driver(
                self.uri, auth=(USER, password), connection_timeout=1.0,
                connection_acquisition_timeout=2.0, max_connection_pool_size=1,
            ) as driver, driver.session() as session:
                record = session.run("RETURN 1 AS ok").single()
        except Exception:
            return False
        return record is not None and record["ok"] == 1
