"""`notflix encode FILE [--title ID]`: upload a video and follow its encode job."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from localcloud.cli.shared import console, domain_services, progress_bars

#: How long to wait for the encoder to pick the upload up before suspecting it is not running.
commands = typer.Typer()
PICKUP_SECONDS = 60.0


@commands.command()
def encode(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="A video file to upload and encode.")],
    title: Annotated[str | None, typer.Option(help="Catalogue id the video plays for.")] = None,
    timeout: Annotated[float, typer.Option(help="Give up following after N seconds.")] = 3600,
) -> None:
    """Upload a video to S3 and follow the encoder until its stream is published."""
    from chalicelib.jobs.models import FINAL, JOB_MODELS, JobModel, job_id_for
    from chalicelib.platform.dynamo import bind_models

    with domain_services("encode") as services:
        settings = services.settings
        if title is not None:
            services.catalogue.title(title)  # 404 (exit 1) when there is no such title
        bind_models(settings, JOB_MODELS)
        s3 = services.resources.s3
        bucket = settings.uploads_bucket
        key = f"uploads/{uuid.uuid4().hex[:12]}/{file.name}"
        size = file.stat().st_size
        with progress_bars() as progress:
            sent = progress.add_task(file.name, total=size, step="upload")
            s3.upload_file(str(file), bucket, key,
                           ExtraArgs={"Metadata": {"title-id": title}} if title else None,
                           Callback=lambda n: progress.advance(sent, n))
            etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
            job_id = job_id_for(bucket, key, etag)
            task = progress.add_task("waiting for the encoder", total=1.0, step="encode")
            started = time.monotonic()
            job = None
            while time.monotonic() - started < timeout:
                try:
                    job = JobModel.get(job_id, consistent_read=True)
                except JobModel.DoesNotExist:
                    if time.monotonic() - started > PICKUP_SECONDS:
                        console.print("[red]the encoder has not picked the upload up;[/] "
                                      "is `notflix up` (its event runner) running?")
                        raise typer.Exit(1) from None
                    time.sleep(0.5)
                    continue
                progress.update(task, completed=float(job.progress or 0),
                                description=f"{job.status.lower()}")
                if job.status in FINAL:
                    break
                time.sleep(0.5)
    if job is None or job.status not in FINAL:
        console.print(f"[red]still running after {timeout:.0f}s[/]; job {job_id}")
        raise typer.Exit(1)
    if job.status != "PUBLISHED":
        console.print(f"[red]{job.status}[/]: {job.error or 'cancelled'} (job {job_id})")
        raise typer.Exit(1)
    console.print(f"published asset {job.asset_id}: media/{job.asset_id}/manifest.mpd"
                  + (f", playable as {title}" if title else "") + f" (job {job_id})")
