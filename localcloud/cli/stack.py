"""`notflix up`, `status`, `down`, `deploy-infra` and `fuzz`: the local cloud itself."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

import httpx
import typer
from rich.table import Table

from chalicelib.platform.config import ConfigError
from localcloud import pidfiles
from localcloud.catalogue_loading import (
    BackgroundLoad,
    DemoFilmsError,
    clear_state,
    demo_films,
    describe,
    read_state,
    split,
)
from localcloud.cli.shared import (
    batch_settings,
    console,
    domain_services,
    progress_bars,
    reporter,
)
from localcloud.contract_fuzz import ALL_PHASES
from localcloud.ports import PortInUseError
from localcloud.sidecars.base import ProgressFn, SidecarError
from localcloud.stack import EmbeddedStack, StackError

if TYPE_CHECKING:
    pass

commands = typer.Typer()
SUPERVISOR = "up"


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


@commands.command()
def up(empty: bool = typer.Option(
        False, "--empty", help="Start without the demo catalogue and streams (for your own "
        "data; `notflix seed` loads the catalogue later)")) -> None:
    """Install what is missing, start the stack, deploy infra/, serve the API. Ctrl-C stops."""
    if pidfiles.read(SUPERVISOR):
        console.print("[red]the stack is already running[/]; `notflix down` stops it")
        raise typer.Exit(1)
    started = time.monotonic()
    rest: BackgroundLoad | None = None
    try:
        stack = EmbeddedStack()
        stack.settings()  # validates the configuration before anything starts
        demo_films()
    except (ConfigError, DemoFilmsError) as exc:
        console.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    pidfiles.write(SUPERVISOR, os.getpid())
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)  # even when started with SIGINT ignored (`&`)
    try:
        if stack.embedded:
            stack.check_ports()
        with progress_bars() as progress:
            stack.install({s.name: reporter(progress, "install") for s in stack.sidecars})
            stack.start_sidecars(reporter(progress, "start", len(stack.sidecars)))
            stack.deploy(reporter(progress, "deploy"))
            rest = None
            if not empty:
                rest = seed_if_empty(stack, reporter(progress, "seed"))
                demo_streams(stack, reporter(progress, "demo"))
            api = reporter(progress, "api")
            api(0, 1, f"starting on {stack.api_url}")
            stack.start_runner()
            stack.start_api()
            api(1, 1, f"healthy on {stack.api_url}")
        console.print(f"\nNotflix is up at [bold cyan]{stack.api_url}[/]  "
                      f"(ready in {time.monotonic() - started:.1f}s; Ctrl-C stops everything)")
        if rest is not None:
            rest.start()
            console.print("The rest of the demo catalogue is loading; `notflix status` shows "
                          "how far it is.")
        while True:
            time.sleep(1)
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    console.print(f"[red]{name} exited with code {process.returncode}[/];"
                                  f" see .local/logs/{name}.log")
                    raise _Stop
    except (PortInUseError, SidecarError, StackError) as exc:
        console.print(f"[red]cannot start:[/] {exc}")
        raise typer.Exit(1) from exc
    except (KeyboardInterrupt, _Stop):
        console.print("\nstopping...")
    finally:
        if rest is not None:
            rest.stop_recording()
        stack.stop()
        pidfiles.remove(SUPERVISOR)
        console.print("stopped")


@commands.command()
def status() -> None:
    """Show each dependency's state and the API's /health."""
    stack = EmbeddedStack()
    table = Table("part", "port", "state", "detail")
    for sidecar in stack.sidecars:
        healthy = sidecar.is_healthy()
        state = "[green]up[/]" if healthy else "[red]down[/]"
        table.add_row(sidecar.name, str(sidecar.port), state,
                      "" if healthy else f"log: {sidecar.log_path}")
    try:
        response = httpx.get(f"{stack.api_url}/health", timeout=5)
        body = response.json()
        down = ", ".join(body.get("down", []))
        table.add_row("api", str(stack.api_port),
                      "[green]up[/]" if response.status_code == 200 else "[yellow]degraded[/]",
                      f"down: {down}" if down else stack.api_url)
    except (httpx.HTTPError, ValueError):
        table.add_row("api", str(stack.api_port), "[red]down[/]", "")
    runner = pidfiles.read("event-runner")
    table.add_row("event-runner", "-", "[green]up[/]" if runner else "[red]down[/]",
                  f"pid {runner}" if runner else "")
    console.print(table)
    loading = read_state()
    if loading is not None:
        console.print(describe(loading, stack_running=pidfiles.read(SUPERVISOR) is not None))


@commands.command()
def down() -> None:
    """Stop a stack started by `notflix up` in another terminal."""
    stopped = pidfiles.terminate(SUPERVISOR, timeout=60)
    leftovers = [name for name in pidfiles.names() if pidfiles.terminate(name)]
    if stopped or leftovers:
        console.print("stopped")
    else:
        console.print("nothing was running")


@commands.command("fuzz")
def fuzz_stack(
    examples: int = typer.Option(6, help="Cases per operation and phase"),
    phases: str = typer.Option(",".join(ALL_PHASES), help="Schemathesis phases to run"),
    seed: int = typer.Option(20261205, help="The fuzzer's seed (a run is repeatable)"),
) -> None:
    """Fuzz the running stack's API with schemathesis as a visitor, a subscriber, an uploader
    and an admin (accounts made for the run); exits 1 on any 5xx or undocumented answer."""
    import tempfile
    from pathlib import Path

    from localcloud.contract_fuzz import fuzz
    from localcloud.fuzz_accounts import role_tokens

    stack = EmbeddedStack()
    if not pidfiles.read(SUPERVISOR):
        console.print("[red]nothing is running:[/] start the stack with `make run` first")
        raise typer.Exit(1)
    chosen = tuple(p.strip() for p in phases.split(",") if p.strip())
    with domain_services("make the fuzzing accounts") as services:
        tokens = role_tokens(services, stack.api_url)
    table = Table("role", "requests", "failures", "seconds")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for role, token in tokens.items():
            console.print(f"fuzzing as {role} ({', '.join(chosen)})...")
            started = time.monotonic()
            run = fuzz(stack.api_url, role, token, Path(folder) / f"{role}.json",
                       examples=examples, phases=chosen, seed=seed)
            table.add_row(role, str(run.generated), str(len(run.failures)),
                          f"{time.monotonic() - started:.0f}")
            if not run.ok:
                failed = True
                console.print(run.output)
    console.print(table)
    if failed:
        raise typer.Exit(1)


@commands.command("deploy-infra")
def deploy_infra() -> None:
    """Apply infra/template.yaml to the configured target (NOTFLIX_TARGET)."""
    stack = EmbeddedStack()
    with progress_bars() as progress:
        outputs = stack.deploy(reporter(progress, "deploy"))
    for key, value in sorted(outputs.items()):
        console.print(f"{key}: {value}")


def seed_if_empty(stack: EmbeddedStack, report: ProgressFn) -> BackgroundLoad | None:
    """`make run` starts with the demo catalogue when there is no catalogue yet: the most
    reviewed films now, the rest in the background once the URL is printed (the returned
    thread, not started). Also fills the IMDb match keys of a catalogue loaded before they
    existed."""
    from chalicelib.catalogue.demo.seeding import catalogue_is_empty, seed
    from chalicelib.catalogue.titles import match_key_backfill as match_keys
    from chalicelib.platform.resources import Resources
    from chalicelib.services import Services

    clear_state()
    resources = Resources(batch_settings(stack))
    try:
        services = Services(resources)
        services.catalogue  # binds the tables  # noqa: B018
        if not catalogue_is_empty():
            if match_keys.is_empty():  # a catalogue from before the match-keys table
                report(0, 1, "IMDb match keys")
                match_keys.backfill()
            report(1, 1, "catalogue already loaded")
            return None
        first, rest_count = split(demo_films())
        seed(services.catalogue_writer, services.catalogue_indexer, films=first,
             progress=lambda done, total: report(done, total, "demo catalogue"))
    except Exception as exc:
        report(1, 1, f"demo catalogue not loaded ({type(exc).__name__}); `notflix seed` retries")
        return None
    finally:
        resources.close()

    def load_the_rest(progress: Callable[[int, int], None]) -> None:
        rest = Resources(batch_settings(stack))
        try:
            more = Services(rest)
            seed(more.catalogue_writer, more.catalogue_indexer, skip=first, films=rest_count,
                 progress=progress)
        finally:
            rest.close()

    return BackgroundLoad(load_the_rest) if rest_count != 0 else None


def demo_streams(stack: EmbeddedStack, report: ProgressFn) -> None:
    """A few demo titles become playable (encoded once the runner starts); never fatal."""
    from chalicelib.platform.resources import Resources
    from chalicelib.services import Services
    from encoder_lambda.media.binaries import find_tools
    from localcloud.demo_media import upload_demo_streams

    resources = Resources(stack.settings())
    try:
        Services(resources).catalogue  # binds the tables  # noqa: B018
        upload_demo_streams(resources.s3, resources.settings.uploads_bucket,
                            find_tools().ffmpeg, report)
    except Exception as exc:
        report(1, 1, f"demo streams not uploaded ({type(exc).__name__})")
    finally:
        resources.close()


