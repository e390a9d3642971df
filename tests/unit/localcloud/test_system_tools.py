"""Finding the machine's programs and installing the missing ones, with apt-get faked."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from localcloud import system_tools
from localcloud.sidecars.base import SidecarError
from localcloud.sidecars.redis import RedisSidecar
from localcloud.system_tools import TOOLS, Host, SystemToolError

ROOT = Path(__file__).resolve().parents[3]
#: What each Debian package puts on PATH, as far as these tests go.
PROVIDES = {tool.package: [t.command for t in TOOLS.values() if t.package == tool.package]
            for tool in TOOLS.values()}


@dataclass
class FakeMachine:
    """PATH, privileges and an apt-get that "installs" by adding commands to PATH."""

    on_path: set[str] = field(default_factory=lambda: {"apt-get"})
    root: bool = True
    sudo_without_password: bool = False
    failing: str | None = None  # "update" or "install": that apt-get call fails
    installs_nothing: bool = False
    environ: dict[str, str] = field(default_factory=dict)
    executables: set[str] = field(default_factory=set)
    calls: list[list[str]] = field(default_factory=list)
    envs: list[dict[str, str]] = field(default_factory=list)

    def which(self, command: str) -> str | None:
        return f"/usr/bin/{command}" if command in self.on_path else None

    def run(self, argv: Sequence[str], env: Mapping[str, str]
            ) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append(argv)
        self.envs.append(dict(env))
        if argv == ["sudo", "-n", "true"]:
            ok = self.sudo_without_password
            return subprocess.CompletedProcess(argv, 0 if ok else 1, "", "password required")
        verb = "install" if "install" in argv else "update"
        if verb == self.failing:
            return subprocess.CompletedProcess(argv, 100, "", "E: Unable to locate package")
        if verb == "install" and not self.installs_nothing:
            for package in argv[argv.index("--no-install-recommends") + 1:]:
                self.on_path.update(PROVIDES[package])
        return subprocess.CompletedProcess(argv, 0, "", "")

    def host(self) -> Host:
        return Host(which=self.which, run=self.run, euid=lambda: 0 if self.root else 1000,
                    environ=self.environ, is_executable=lambda p: p in self.executables)

    def apt_calls(self) -> list[list[str]]:
        return [argv for argv in self.calls if "apt-get" in argv]


def test_tools_on_path_are_reported_and_nothing_is_installed() -> None:
    machine = FakeMachine(on_path={"apt-get", "chromium", "ffmpeg", "ffprobe"})
    lines: list[str] = []
    found = system_tools.ensure(["chromium", "ffmpeg", "ffprobe"], machine.host(), lines.append)
    assert found == {"chromium": "/usr/bin/chromium", "ffmpeg": "/usr/bin/ffmpeg",
                     "ffprobe": "/usr/bin/ffprobe"}
    assert machine.calls == []
    assert lines == ["chromium: /usr/bin/chromium", "ffmpeg: /usr/bin/ffmpeg",
                     "ffprobe: /usr/bin/ffprobe"]


def test_missing_tools_are_installed_as_root_in_one_apt_get_install() -> None:
    machine = FakeMachine(on_path={"apt-get", "node"})
    lines: list[str] = []
    found = system_tools.ensure(["node", "chromium", "ffmpeg", "ffprobe"], machine.host(),
                                lines.append)
    update, install = machine.apt_calls()
    assert update[0] == "apt-get" and update[-2:] == ["update", "-qq"]
    assert install[0] == "apt-get"
    # ffmpeg and ffprobe come from one package, asked for once.
    assert install[install.index("install"):] == [
        "install", "-y", "-qq", "--no-install-recommends", "chromium", "ffmpeg"]
    assert all(env["DEBIAN_FRONTEND"] == "noninteractive" for env in machine.envs)
    assert found["chromium"] == "/usr/bin/chromium" and found["ffprobe"] == "/usr/bin/ffprobe"
    assert "chromium: missing (needed for the browser tests (Playwright drives it));" \
           " installing Debian package chromium with apt-get" in lines
    assert lines[-1] == "ffprobe: installed (/usr/bin/ffprobe)"


def test_a_user_with_password_less_sudo_installs_through_sudo() -> None:
    machine = FakeMachine(root=False, sudo_without_password=True,
                          on_path={"apt-get", "sudo"})
    system_tools.ensure(["redis-server"], machine.host(), lambda _line: None)
    assert machine.calls[0] == ["sudo", "-n", "true"]
    update, install = machine.apt_calls()
    assert update[:4] == ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
    assert install[:5] == ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    assert install[-1] == "redis-server"


@pytest.mark.parametrize("sudo_on_path", [True, False])
def test_without_root_or_password_less_sudo_the_error_names_package_and_command(
        sudo_on_path: bool) -> None:
    machine = FakeMachine(root=False, sudo_without_password=False,
                          on_path={"apt-get", "sudo"} if sudo_on_path else {"apt-get"})
    with pytest.raises(SystemToolError) as caught:
        system_tools.ensure(["chromium", "ffprobe"], machine.host(), lambda _line: None)
    assert "`sudo apt-get install -y chromium ffmpeg`" in str(caught.value)
    assert machine.apt_calls() == []


def test_a_machine_without_apt_get_gets_the_package_names() -> None:
    machine = FakeMachine(on_path=set())
    with pytest.raises(SystemToolError, match=r"no apt-get.*chromium"):
        system_tools.ensure(["chromium"], machine.host(), lambda _line: None)
    assert machine.calls == []


@pytest.mark.parametrize("failing", ["update", "install"])
def test_a_failing_apt_get_says_which_call_failed_and_what_to_run(failing: str) -> None:
    machine = FakeMachine(failing=failing)
    with pytest.raises(SystemToolError) as caught:
        system_tools.ensure(["ffmpeg"], machine.host(), lambda _line: None)
    message = str(caught.value)
    assert re.search(rf"`apt-get .*{failing}.*` failed \(100\): E: Unable to locate package",
                     message)
    assert "`sudo apt-get install -y ffmpeg`" in message
    assert len(machine.apt_calls()) == (1 if failing == "update" else 2)


def test_a_package_that_does_not_put_the_tool_on_path_is_an_error() -> None:
    machine = FakeMachine(installs_nothing=True)
    with pytest.raises(SystemToolError, match="installed chromium but `chromium` is still not"):
        system_tools.ensure(["chromium"], machine.host(), lambda _line: None)


def test_java_home_is_used_before_path_and_an_override_before_everything() -> None:
    machine = FakeMachine(on_path={"apt-get"},
                          environ={"JAVA_HOME": "/opt/jdk", "NOTFLIX_FFMPEG": "/opt/ff/ffmpeg"},
                          executables={"/opt/jdk/bin/java", "/opt/ff/ffmpeg"})
    found = system_tools.ensure(["java", "ffmpeg"], machine.host(), lambda _line: None)
    assert found == {"java": "/opt/jdk/bin/java", "ffmpeg": "/opt/ff/ffmpeg"}
    assert machine.calls == []


def test_an_override_naming_no_executable_is_an_error_not_an_install() -> None:
    machine = FakeMachine(environ={"NOTFLIX_FFPROBE": "/nowhere/ffprobe"})
    with pytest.raises(SystemToolError, match="NOTFLIX_FFPROBE='/nowhere/ffprobe' is not"):
        system_tools.ensure(["ffprobe"], machine.host(), lambda _line: None)
    assert machine.calls == []


def test_the_cli_exits_non_zero_with_the_error_and_2_on_bad_usage(
        capsys: pytest.CaptureFixture[str]) -> None:
    machine = FakeMachine(on_path={"ffmpeg"})
    assert system_tools.main(["ensure", "ffmpeg"], machine.host()) == 0
    assert system_tools.main(["ensure", "chromium"], machine.host()) == 1
    assert "error: this machine has no apt-get" in capsys.readouterr().err
    assert system_tools.main(["ensure", "firefox"], machine.host()) == 1
    assert "unknown tool(s) firefox" in capsys.readouterr().err
    assert system_tools.main(["install"], machine.host()) == 2


def test_every_tool_the_makefile_and_ci_ask_for_is_in_the_one_table() -> None:
    makefile = (ROOT / "Makefile").read_text()
    names = [name for line in re.findall(r"^[A-Z_]+_TOOLS :=(.*)$", makefile, re.M)
             for name in line.split() if not name.startswith("$(")]
    assert {"chromium", "ffmpeg", "ffprobe", "redis-server", "java", "mvn", "node",
            "npm"} <= set(names)
    assert set(names) <= set(TOOLS)
    # .ci/run leaves every package of the table to `make test`.
    ci = (ROOT / ".ci" / "run").read_text()
    assert not {tool.package for tool in TOOLS.values()} & set(re.findall(r"[\w.+-]+", ci))


def test_the_redis_sidecar_installs_through_the_shared_installer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    machine = FakeMachine(root=False)
    monkeypatch.setattr(system_tools, "Host", machine.host)
    monkeypatch.setattr("localcloud.sidecars.redis.shutil.which", machine.which)
    with pytest.raises(SidecarError, match="`sudo apt-get install -y redis-server`"):
        RedisSidecar().ensure_installed()

    machine.root = True
    steps: list[str] = []
    RedisSidecar().ensure_installed(lambda _done, _total, what: steps.append(what))
    assert machine.apt_calls()[-1][-1] == "redis-server"
    assert steps[-1] == "redis-server installed"
