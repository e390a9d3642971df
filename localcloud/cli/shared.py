"""What the CLI's command groups share: the console, progress bars and the domain services."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chalicelib.platform.config import Settings
from localcloud.sidecars.base import ProgressFn
from localcloud.stack import EmbeddedStack

if TYPE_CHECKING:
    from chalicelib.services import Services

console = Console()
#: How long `notflix seed`, imports and other hand-run work let one AWS call take.
BATCH_READ_TIMEOUT_SECONDS = 60


def progress_bars() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[step]:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    )


def reporter(progress: Progress, step: str, total: float = 1) -> ProgressFn:
    task = progress.add_task("", total=total, step=step)

    def report(done: float, total: float, what: str) -> None:
        progress.update(task, completed=done, total=total or None, description=what)

    return report


def batch_settings(stack: EmbeddedStack) -> Settings:
    """Settings for work run by hand: AWS calls may be slow (a busy emulator, big pages),
    and nobody is waiting on a 503."""
    settings = stack.settings()
    return dataclasses.replace(settings, aws_read_timeout_s=max(settings.aws_read_timeout_s,
                                                                BATCH_READ_TIMEOUT_SECONDS))


@contextmanager
def domain_services(action: str) -> Iterator[Services]:
    """The domain services on the configured target; a refused action exits with 1."""
    from chalicelib.platform.errors import AppError
    from chalicelib.platform.resources import Resources
    from chalicelib.services import Services

    resources = Resources(batch_settings(EmbeddedStack()))
    try:
        yield Services(resources)
    except AppError as exc:
        console.print(f"[red]cannot {action}:[/] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        resources.close()


