"""`notflix up` / `status` / `down` as a user runs them: real processes, real ports."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chalicelib.catalogue.demo.titles import demo_series
from localcloud.paths import PROJECT_ROOT
from localcloud.ports import is_listening
from tests.support import eventually, free_port, unique

pytestmark = [pytest.mark.integration, pytest.mark.long_running]
NOTFLIX = str(Path(sys.executable).with_name("notflix"))
#: Shared by runs of this test so Neo4j's jars are fetched once, not per run.
CLI_LOCAL_DIR = PROJECT_ROOT / ".local" / "test-cli"


def cli_env(**ports: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTFLIX_")}
    env.update({
        "NOTFLIX_LOCAL_DIR": str(CLI_LOCAL_DIR),
        "NOTFLIX_PREFIX": unique("cli-"),
        "NOTFLIX_AWS_PORT": str(ports.get("aws", free_port())),
        "NOTFLIX_REDIS_PORT": str(ports.get("redis", free_port())),
        "NOTFLIX_NEO4J_PORT": str(ports.get("neo4j", free_port())),
        "NOTFLIX_API_PORT": str(ports.get("api", free_port())),
        "NOTFLIX_PAYPAL_PORT": str(ports.get("paypal", free_port())),
        "COLUMNS": "160",
        # 2,000 films before the URL and 300 after it: both parts of the real loading, in
        # a size the suite can afford beside its other tests (all 17,470 take minutes)
        "NOTFLIX_DEMO_FILMS": "2300",
    })
    return env


def start_up(tmp_path: Path, *options: str
             ) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str], Path]]:
    env = cli_env()
    out = tmp_path / "up.out"
    with out.open("wb") as sink:
        process = subprocess.Popen([NOTFLIX, "up", *options], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    try:
        yield process, env, out
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def stack_ports(env: dict[str, str]) -> list[int]:
    return [int(env[k]) for k in ("NOTFLIX_AWS_PORT", "NOTFLIX_REDIS_PORT",
                                  "NOTFLIX_NEO4J_PORT", "NOTFLIX_PAYPAL_PORT",
                                  "NOTFLIX_API_PORT")]


@pytest.fixture
def running_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str], Path]]:
    """`notflix up` as `make run` runs it: the demo catalogue and streams too."""
    yield from start_up(tmp_path)


@pytest.fixture
def running_empty(tmp_path: Path
                  ) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str], Path]]:
    """`notflix up --empty`: every server, no demo data."""
    yield from start_up(tmp_path, "--empty")


# its waits are bounded one by one (start, demo, the rest, down); together they pass 300 s
@pytest.mark.timeout(1500)
def test_up_serves_the_demo_then_down_from_another_terminal_stops_everything(
    running_up: tuple[subprocess.Popen[bytes], dict[str, str], Path],
) -> None:
    process, env, out = running_up

    def url_printed() -> str | None:
        assert process.poll() is None, out.read_text(errors="replace")
        match = re.search(r"Notflix is up at (http://127\.0\.0\.1:\d+)", out.read_text())
        return match.group(1) if match else None

    url = eventually(url_printed, timeout=240, interval=0.5)
    assert url == f"http://127.0.0.1:{env['NOTFLIX_API_PORT']}"
    health = httpx.get(f"{url}/health", timeout=10)
    assert health.status_code == 200, health.text
    assert {d["status"] for d in health.json()["dependencies"].values()} == {"up"}

    status = subprocess.run([NOTFLIX, "status"], env=env, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    for part in ("moto", "redis", "neo4j", "paypal", "api", "event-runner"):
        assert re.search(rf"{part}\s.*\sup\b", status), status

    # a demo that plays: generated clips went through the real upload -> encode pipeline
    series_id = demo_series()[0].id

    def demo_playable() -> bool:
        # three films play: the two most popular and the most popular family film (rated
        # PG or under, so a kids profile has one too)
        films = httpx.get(f"{url}/api/titles", params={"type": "film", "limit": "3",
                                                       "available": "1"},
                          timeout=20).json()["titles"]
        season = httpx.get(f"{url}/api/titles/{series_id}/seasons/1", timeout=20).json()
        return (len(films) == 3 and all(t["playable"] for t in films)
                and [e["playable"] for e in season["episodes"][:2]] == [True, True])

    eventually(demo_playable, timeout=400, interval=2.0)
    playing = httpx.get(f"{url}/api/titles", params={"type": "film", "available": "1"},
                        timeout=20).json()["titles"]
    ratings = {httpx.get(f"{url}/api/titles/{t['id']}", timeout=20).json()["maturity"]
               for t in playing}
    assert ratings & {"G", "PG"}, ratings  # a film a kids profile may play
    home = httpx.get(url, headers={"Accept": "text/html"}, timeout=20)
    assert home.status_code == 200 and "Trending now" in home.text

    second = subprocess.run([NOTFLIX, "up"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stdout

    def rest_loaded() -> str | None:
        said = subprocess.run([NOTFLIX, "status"], env=env, capture_output=True, text=True,
                              timeout=60).stdout
        return said if "demo catalogue loaded: 300 more films" in said else None

    eventually(rest_loaded, timeout=300, interval=3.0)  # the rest, after the URL
    titles = httpx.get(f"{url}/api/titles", params={"type": "film", "limit": "1"},
                       timeout=20).json()["titles"]
    assert titles and titles[0]["id"].startswith("wd-tt")  # Wikidata's films, by IMDb id

    down = subprocess.run([NOTFLIX, "down"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
    assert process.wait(60) == 0
    eventually(lambda: not any(is_listening(p) for p in stack_ports(env)), timeout=30)
    assert "stopped" in out.read_text()
    status = subprocess.run([NOTFLIX, "status"], env=env, capture_output=True, text=True,
                            timeout=60).stdout
    assert not re.search(r"\sup\s", status), status


def test_up_names_a_taken_port_and_starts_nothing() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        env = cli_env(redis=taken)
        started = time.monotonic()
        result = subprocess.run([NOTFLIX, "up"], env=env, capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 1
    text = " ".join(result.stdout.split())
    assert f"port {taken}" in text and "NOTFLIX_REDIS_PORT" in text
    assert not is_listening(int(env["NOTFLIX_AWS_PORT"]))
    assert time.monotonic() - started < 60


def test_ctrl_c_while_starting_stops_what_was_started(
    running_empty: tuple[subprocess.Popen[bytes], dict[str, str], Path],
) -> None:
    """Ctrl-C as soon as the first server answers, while the others still start: the
    supervisor stops every one it started and exits cleanly (`--empty`: no demo to load)."""
    process, env, out = running_empty
    eventually(lambda: is_listening(int(env["NOTFLIX_AWS_PORT"])), timeout=120, interval=0.2)
    assert "Notflix is up at" not in out.read_text()
    process.send_signal(signal.SIGINT)
    assert process.wait(90) == 0, out.read_text()
    said = out.read_text()
    assert "stopping..." in said and said.rstrip().endswith("stopped"), said
    eventually(lambda: not any(is_listening(p) for p in stack_ports(env)), timeout=30)
    status = subprocess.run([NOTFLIX, "status"], env=env, capture_output=True, text=True,
                            timeout=60).stdout
    assert not re.search(r"\sup\s", status), status
