"""The machine's own programs the project needs, installed from Debian when they are missing.

One table, :data:`TOOLS`, names each program, the Debian package that provides it and why it
is needed; `make` asks for the ones each command needs (`python -m localcloud.system_tools
ensure chromium ffmpeg ...`) and the redis sidecar asks for `redis-server` the same way.

A program is found on PATH (or where its override variable points). Missing ones are
installed with one `apt-get update` and one `apt-get install` for all of them: directly as
root, else through `sudo -n` when sudo works without a password. When neither is possible, or
the machine has no apt-get, :class:`SystemToolError` names the packages and the command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: How long apt-get waits for another apt/dpkg (e.g. a parallel `make test`) to let go.
APT_LOCK_TIMEOUT_SECONDS = 300
STDERR_TAIL_CHARS = 500


class SystemToolError(RuntimeError):
    """A program is missing and could not be installed; the message says what to run."""


@dataclass(frozen=True)
class SystemTool:
    command: str
    package: str
    needed_for: str
    #: A variable naming the executable itself (the project's own override), if any.
    path_env: str | None = None
    #: A variable naming an install folder whose `bin/<command>` is used first (JAVA_HOME).
    home_env: str | None = None


TOOLS: dict[str, SystemTool] = {tool.command: tool for tool in (
    SystemTool("node", "nodejs", "npm's packages (dash.js for the player)"),
    SystemTool("npm", "npm", "`npm ci` of package.json"),
    SystemTool("java", "openjdk-17-jre-headless", "Neo4j (Java 17 or 21)", home_env="JAVA_HOME"),
    SystemTool("mvn", "maven", "fetching Neo4j's jars from Maven Central (first start)"),
    SystemTool("redis-server", "redis-server", "Redis (sessions, rate limits, rankings)"),
    SystemTool("ffmpeg", "ffmpeg", "the encoder and the media tests",
               path_env="NOTFLIX_FFMPEG"),
    SystemTool("ffprobe", "ffmpeg", "the tests of probing with ffprobe's JSON",
               path_env="NOTFLIX_FFPROBE"),
    SystemTool("chromium", "chromium", "the browser tests (Playwright drives it)"),
)}


def _run(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, check=False)


def _print(line: str) -> None:
    print(line, flush=True)


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


@dataclass(frozen=True)
class Host:
    """What the installer asks of the machine; tests give it a fake one."""

    which: Callable[[str], str | None] = shutil.which
    run: Callable[[Sequence[str], Mapping[str, str]], subprocess.CompletedProcess[str]] = _run
    euid: Callable[[], int] = os.geteuid
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    is_executable: Callable[[str], bool] = _is_executable


def locate(tool: SystemTool, host: Host) -> str | None:
    """Where ``tool`` is: its override variable's path, ``$HOME_ENV/bin/<command>``, PATH.

    An override that names no executable is an error, not a reason to install anything.
    """
    explicit = host.environ.get(tool.path_env, "").strip() if tool.path_env else ""
    if explicit:
        if not host.is_executable(explicit):
            raise SystemToolError(f"{tool.path_env}={explicit!r} is not an executable file")
        return explicit
    if tool.home_env and host.environ.get(tool.home_env, "").strip():
        in_home = str(Path(host.environ[tool.home_env].strip()) / "bin" / tool.command)
        if host.is_executable(in_home):
            return in_home
    return host.which(tool.command)


def install_command(packages: Iterable[str]) -> str:
    """The command a person runs to install ``packages`` (quoted in error messages)."""
    return f"sudo apt-get install -y {' '.join(packages)}"


def _privilege(host: Host) -> list[str] | None:
    """[] as root, ["sudo", "-n"] when sudo works without a password, else None."""
    if host.euid() == 0:
        return []
    if host.which("sudo") and host.run(["sudo", "-n", "true"], host.environ).returncode == 0:
        return ["sudo", "-n"]
    return None


def apt_install(packages: Sequence[str], host: Host | None = None) -> None:
    """``apt-get update`` then ``apt-get install`` of ``packages`` (non-interactive).

    Raises :class:`SystemToolError` naming the packages and the command to run by hand when
    this process may not install them (not root and no password-less sudo, or no apt-get),
    or when apt-get fails.
    """
    host = host or Host()
    by_hand = install_command(packages)
    if not host.which("apt-get"):
        raise SystemToolError(
            f"this machine has no apt-get: install the Debian package(s) {', '.join(packages)}"
            f" (or their equivalent) with your package manager and run again")
    prefix = _privilege(host)
    if prefix is None:
        raise SystemToolError(
            f"installing {', '.join(packages)} needs root: run `{by_hand}` (or this command as"
            " root, or with password-less sudo) and run again")
    env = {**host.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_SECONDS}"
    # sudo resets the environment; `env` carries DEBIAN_FRONTEND through it.
    through = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive"] if prefix else []
    for argv in (
        [*through, "apt-get", "-o", lock, "update", "-qq"],
        [*through, "apt-get", "-o", lock, "install", "-y", "-qq", "--no-install-recommends",
         *packages],
    ):
        result = host.run(argv, env)
        if result.returncode != 0:
            raise SystemToolError(
                f"`{' '.join(argv)}` failed ({result.returncode}):"
                f" {(result.stderr or '').strip()[-STDERR_TAIL_CHARS:]}\n"
                f"install them by hand with `{by_hand}` and run again")


def ensure(names: Sequence[str], host: Host | None = None,
           report: Callable[[str], None] = _print) -> dict[str, str]:
    """Each named tool's path, installing the missing ones' packages first.

    ``report`` gets one line per tool (found, installing, installed).
    """
    host = host or Host()
    unknown = [name for name in names if name not in TOOLS]
    if unknown:
        raise SystemToolError(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(TOOLS)}")
    tools = [TOOLS[name] for name in dict.fromkeys(names)]
    found: dict[str, str] = {}
    missing: list[SystemTool] = []
    for tool in tools:
        path = locate(tool, host)
        if path is None:
            missing.append(tool)
        else:
            found[tool.command] = path
            report(f"{tool.command}: {path}")
    if not missing:
        return found
    packages = list(dict.fromkeys(tool.package for tool in missing))
    for tool in missing:
        report(f"{tool.command}: missing (needed for {tool.needed_for});"
               f" installing Debian package {tool.package} with apt-get")
    apt_install(packages, host)
    for tool in missing:
        path = locate(tool, host)
        if path is None:
            raise SystemToolError(f"apt-get installed {tool.package} but `{tool.command}`"
                                  " is still not on PATH")
        found[tool.command] = path
        report(f"{tool.command}: installed ({path})")
    return found


USAGE = f"""usage: python -m localcloud.system_tools ensure TOOL...

Finds each TOOL and installs the missing ones' Debian packages with apt-get.
Tools: {', '.join(TOOLS)}"""


def main(argv: Sequence[str] | None = None, host: Host | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "ensure":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        ensure(args[1:], host)
    except SystemToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
