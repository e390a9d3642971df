"""`notflix graph schema` and `notflix graph sync`: the recommendation graph by hand."""

from __future__ import annotations

import typer

from localcloud.cli.shared import console, domain_services, progress_bars, reporter
from localcloud.stack import EmbeddedStack, apply_graph_schema

graph_cli = typer.Typer(no_args_is_help=True, help="The recommendation graph in Neo4j.")


@graph_cli.command("schema")
def schema() -> None:
    """Create the graph's constraints and indexes (deploys do this; idempotent)."""
    count = apply_graph_schema(EmbeddedStack().settings())
    console.print(f"{count} constraints and indexes in place")


@graph_cli.command("sync")
def sync() -> None:
    """Write every catalogue title, its genres and people to the graph (idempotent)."""
    from chalicelib.recommendations.resync import resync_titles
    from chalicelib.recommendations.sync import GraphSync

    with domain_services("sync the graph") as services, progress_bars() as progress:
        services.catalogue  # binds the tables  # noqa: B018
        report = reporter(progress, "graph")
        written = resync_titles(GraphSync(services.resources.neo4j),
                                progress=lambda done, total: report(done, total, "titles"))
    console.print(f"{written} titles written to the graph")
