"""`notflix upload FILE --title ID`: a resumable upload through the API, then its encode.

The file goes to S3 in parts (:mod:`localcloud.upload_client`), 4 at a time; Ctrl-C (or a
killed process, or a dead network) loses at most the parts in flight, and running the same
command again sends only what S3 lacks. Then the encode job is followed through the upload's
status until its stream is published or the job fails.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from localcloud.cli.shared import console
from localcloud.upload_client import (
    DEFAULT_PARALLEL,
    FINAL_STATES,
    ApiError,
    LocalFile,
    RetryNotice,
    UploadClient,
    UploadError,
    UploadInterrupted,
    UploadPlan,
    parse_rate,
)

#: Exit code after Ctrl-C, as shells report a SIGINT.
commands = typer.Typer()
INTERRUPTED = 130
#: Waiting this long for the encoder to pick the upload up earns a hint.
PICKUP_SECONDS = 60.0
#: At most one "retrying" line per this many seconds (4 parts fail together when a link drops).
RETRY_LINE_EVERY_S = 5.0
MB = 1_000_000


def default_api_url() -> str:
    """The local stack's API (NOTFLIX_API_PORT), as `notflix up` serves it."""
    from chalicelib.platform.config import Settings
    from localcloud.ports import LOOPBACK

    return f"http://{LOOPBACK}:{Settings.from_env().api_port}"


def _token(api: str, email: str | None) -> str:
    token = os.environ.get("NOTFLIX_TOKEN")
    if token:
        return token
    if not email:
        if not sys.stdin.isatty():
            console.print("[red]no credentials:[/] set NOTFLIX_TOKEN, or pass --email "
                          "(or NOTFLIX_EMAIL) with NOTFLIX_PASSWORD")
            raise typer.Exit(2)
        email = typer.prompt("email")
    password = os.environ.get("NOTFLIX_PASSWORD") or typer.prompt("password", hide_input=True)
    return UploadClient.login(api, email, password)


class _RetryLines:
    """Prints lost connections and server errors while the bar keeps going."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0.0

    def __call__(self, notice: RetryNotice) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.last < RETRY_LINE_EVERY_S:
                return
            self.last = now
        what = "connection lost, retrying" if notice.connection_lost else "retrying"
        console.print(f"[yellow]{what}[/] {notice.what} in {notice.delay:.1f}s "
                      f"(attempt {notice.attempt}: {escape(notice.error)})")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _mb(amount: int) -> str:
    return f"{amount / MB:,.1f} MB"


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@commands.command()
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="The video (or subtitle) file to upload.")],
    title: Annotated[str, typer.Option(help="Catalogue id the video plays for.")],
    episode: Annotated[str | None, typer.Option(help="For a series: the episode, e.g. S1E3.")]
    = None,
    api: Annotated[str | None, typer.Option(
        envvar="NOTFLIX_API_URL",
        help="The API's URL (default: the local stack's, on NOTFLIX_API_PORT).")] = None,
    email: Annotated[str | None, typer.Option(
        envvar="NOTFLIX_EMAIL",
        help="Log in as (NOTFLIX_PASSWORD or a prompt); NOTFLIX_TOKEN skips the login.")]
    = None,
    parallel: Annotated[int, typer.Option(min=1, max=32, help="Parts in flight.")]
    = DEFAULT_PARALLEL,
    follow: Annotated[bool, typer.Option(help="Follow the encode until it is published.")]
    = True,
    limit_rate: Annotated[str | None, typer.Option(
        help="Send at most this many bytes per second, e.g. 500K, 20M.")] = None,
    timeout: Annotated[float, typer.Option(help="Stop following the encode after N seconds.")]
    = 3600,
    again: Annotated[bool, typer.Option(
        "--again", help="Upload the file even if it was uploaded for this title before.")]
    = False,
) -> None:
    """Upload a video through the API (resumable: run it again to resume), then follow its
    encode until the stream is published."""
    try:
        max_rate = parse_rate(limit_rate) if limit_rate else None
    except ValueError as exc:
        console.print(f"[red]--limit-rate:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    api_url = (api or default_api_url()).rstrip("/")
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop as cleanly as on Ctrl-C
    # Ctrl-C (SIGINT) even when started with it ignored, as a shell's `&` does, like `up`
    signal.signal(signal.SIGINT, signal.default_int_handler)
    uploader: UploadClient | None = None
    try:
        token = _token(api_url, email)
        uploader = UploadClient(api_url, token, parallel=parallel, max_rate=max_rate,
                                on_retry=_RetryLines())
        done = None if again else uploader.find_completed(LocalFile.of(file), title, episode)
        if done is not None:  # e.g. the last run was stopped as S3 joined the parts
            console.print(f"{escape(file.name)} was already uploaded for {escape(title)} "
                          f"({str(done.get('completed_at') or '')[:19]}, upload "
                          f"{done['upload_id']}); following that upload. --again sends it "
                          "once more.")
            upload_id, status_url = str(done["upload_id"]), str(done["status_url"])
        else:
            plan = _send(uploader, file, title, episode)
            upload_id, status_url = plan.upload_id, plan.status_url
        if follow:
            _follow(uploader, upload_id, status_url, api_url, timeout)
        else:
            console.print(f"status: {api_url}{status_url}")
    except UploadInterrupted as exc:
        _interrupted(exc)
        raise typer.Exit(INTERRUPTED) from None
    except KeyboardInterrupt:
        console.print("\n[yellow]interrupted[/]")
        raise typer.Exit(INTERRUPTED) from None
    except ApiError as exc:
        hint = " (log in again, or check NOTFLIX_TOKEN)" if exc.status == 401 else ""
        console.print(f"[red]the API refused:[/] {escape(exc.message)} "
                      f"(HTTP {exc.status}, {exc.code}){hint}")
        raise typer.Exit(1) from None
    except UploadError as exc:  # S3 refused a part, the file changed
        console.print(f"[red]upload failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:  # still failing after retrying for minutes
        where = _host(exc) or api_url
        console.print(f"[red]gave up:[/] cannot reach {where} ({type(exc).__name__}: "
                      f"{escape(str(exc))}); "
                      "run the same command again to resume")
        raise typer.Exit(1) from None
    except OSError as exc:
        console.print(f"[red]cannot read {escape(str(file))}:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        if uploader is not None:
            uploader.close()


def _host(exc: httpx.TransportError) -> str | None:
    try:
        return f"{exc.request.url.scheme}://{exc.request.url.netloc.decode()}"
    except RuntimeError:  # raised before any request was made
        return None


def _send(uploader: UploadClient, file: Path, title: str, episode: str | None) -> UploadPlan:
    progress = Progress(
        TextColumn("[bold]upload"), BarColumn(), TaskProgressColumn(), DownloadColumn(),
        TransferSpeedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console, transient=False)
    task: list[TaskID] = []

    def planned(plan: UploadPlan) -> None:
        if plan.resumed:
            progress.console.print(
                f"Resuming: {plan.resumed_parts} of {plan.part_count} parts already uploaded "
                f"({_mb(plan.resumed_bytes)}, {plan.resumed_bytes} bytes)")
        else:
            progress.console.print(f"Uploading {escape(file.name)}: {_mb(plan.size)} in "
                                   f"{_n(plan.part_count, 'part')} of {_mb(plan.part_size)}")
        task.append(progress.add_task("upload", total=plan.size, completed=plan.resumed_bytes))

    def advance(amount: int) -> None:
        if task:
            progress.advance(task[0], amount)

    with progress:
        result = uploader.upload(file, title_id=title, episode=episode, on_plan=planned,
                                 on_progress=advance)
    plan = result.plan
    console.print(f"Uploaded {escape(file.name)} ({_mb(plan.size)}) as {escape(plan.key)}; "
                  f"this run sent {_n(result.sent_parts, 'part')}, {result.sent_bytes} bytes "
                  f"({_mb(result.sent_bytes)})"
                  + (f" after {_n(result.retries, 'retry', 'retries')}" if result.retries
                     else ""))
    return plan


def _interrupted(exc: UploadInterrupted) -> None:
    if exc.plan is None:
        console.print("\n[yellow]interrupted[/] before any part was sent; "
                      "run the same command again to upload")
        return
    console.print(f"\n[yellow]interrupted:[/] {exc.parts_done} of {exc.plan.part_count} parts "
                  f"are in S3 (this run sent {_mb(exc.sent_bytes)}); run the same command "
                  "again to resume")


def _follow(uploader: UploadClient, upload_id: str, status_url: str, api_url: str,
            timeout: float) -> None:
    started = time.monotonic()
    hinted = False
    last: dict[str, Any] = {}
    with Progress(TextColumn("[bold]encode"), BarColumn(), TaskProgressColumn(),
                  TextColumn("{task.description}"), console=console) as progress:
        task = progress.add_task("waiting for the encoder", total=1.0)
        for status in uploader.follow(upload_id, timeout=timeout):
            last = status
            state = str(status.get("state"))
            progress.update(task, completed=float(status.get("progress") or 0),
                            description=state.lower())
            if (state == "RECEIVED" and not hinted
                    and time.monotonic() - started > PICKUP_SECONDS):
                hinted = True
                progress.console.print("[yellow]the encoder has not picked the upload up "
                                       "yet[/]; is the event runner (`notflix up`) running?")
    state = str(last.get("state"))
    job = f" (job {last['job_id']})" if last.get("job_id") else ""
    if state == "PUBLISHED":
        console.print(f"published: {last.get('title_id') or 'the title'} plays asset "
                      f"{last.get('asset_id')}{job}")
        return
    if state in FINAL_STATES or last.get("upload_state") == "ABORTED":
        console.print(f"[red]{state}[/]: {escape(str(last.get('error') or 'no reason given'))}"
                      f"{job}")
        raise typer.Exit(1)
    console.print(f"[red]still {state.lower()} after {timeout:.0f}s[/]{job}; "
                  f"status: {api_url}{status_url}")
    raise typer.Exit(1)
