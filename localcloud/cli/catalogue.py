"""`notflix seed`, `notflix import tmdb`, `notflix catalogue rebuild` and `match-keys`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from localcloud.cli.shared import console, domain_services, progress_bars, reporter

commands = typer.Typer()
import_cli = typer.Typer(no_args_is_help=True, help="Import catalogue metadata.")
catalogue_cli = typer.Typer(no_args_is_help=True, help="The catalogue's derived data.")


@commands.command()
def seed(films: Annotated[int | None, typer.Option(
        min=0, help="Load only the first N films (a quick stack for development)")] = None,
         ) -> None:
    """Load the demo catalogue: Wikidata's films (most reviewed first) and a few generated
    series."""
    from chalicelib.catalogue.demo.seeding import seed as load

    with domain_services("seed") as services, progress_bars() as progress:
        report = reporter(progress, "seed")
        result = load(services.catalogue_writer, services.catalogue_indexer,
                      progress=lambda done, total: report(done, total, "titles"), films=films)
    source, written = result.source, result.written
    console.print(f"{source.kept} films kept of {source.rows} rows "
                  f"({len(source.rejected)} rejected, {source.duplicates} duplicates); "
                  f"{written.created} created, {written.updated} updated, "
                  f"{written.unchanged} unchanged, {len(written.failed)} failed; "
                  f"search index of {result.rebuilt.titles} titles, "
                  f"{result.rebuilt.countries} country rankings")
    for line, reason in source.rejected[:10]:
        console.print(f"  row {line} rejected: {reason}")


class _RichImportProgress:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, kind: str, total: int) -> None:
        label = "films" if kind == "movie" else "series"
        self.task = self.progress.add_task(f"{label}: details", total=total, step="fetch")

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)


@import_cli.command("tmdb")
def import_tmdb(
    day: Annotated[str | None, typer.Option("--date", help="Export day, YYYY-MM-DD.")] = None,
    kind: Annotated[str, typer.Option(help="movie, tv or all.")] = "all",
    limit: Annotated[int | None, typer.Option(min=1, help="Fetch at most N ids.")] = None,
) -> None:
    """Import TMDB's daily export: details of new and stale ids (NOTFLIX_TMDB_API_KEY)."""

    if kind not in ("movie", "tv", "all"):
        raise typer.BadParameter("--kind is movie, tv or all")
    try:
        export_day = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise typer.BadParameter("--date is YYYY-MM-DD") from exc
    kinds = ["movie", "tv"] if kind == "all" else [kind]
    with domain_services("import") as services:
        imports = services.imports
        run = imports.create(kinds, export_day, limit, "cli")
        console.print(f"run {run['id']}: TMDB export of {run['export_date']}")
        with progress_bars() as progress:
            status = imports.work(run["id"], progress=_RichImportProgress(progress),
                                  requeue=False)
        final = imports.status(run["id"])
    counts = final["counts"]
    console.print(f"{status}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if final.get("message"):
        console.print(f"[red]{final['message']}[/]")
    for failure in final["failures"][:10]:
        console.print(f"  {failure['item']}: {failure['error']}")
    if status == "FAILED":
        raise typer.Exit(1)


@catalogue_cli.command("rebuild")
def rebuild() -> None:
    """Rebuild the search index and the country rankings from the titles table."""
    with domain_services("rebuild") as services:
        report = services.catalogue_indexer.rebuild()
    console.print(f"{report.titles} titles indexed ({report.index_bytes} bytes), "
                  f"{report.countries} country rankings, in {report.seconds}s")


@catalogue_cli.command("match-keys")
def match_keys() -> None:
    """Add every title to its IMDb-id and name#year match keys (for a catalogue written
    before the title-match-keys table existed; idempotent)."""
    from chalicelib.catalogue.titles.match_key_backfill import backfill

    with domain_services("match-keys") as services:
        services.catalogue  # binds the tables  # noqa: B018
        done = backfill()
    console.print(f"{done} titles added to their match keys")
