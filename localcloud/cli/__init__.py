"""`notflix`: the local cloud's command line.

Each module of this package is a command group (its `commands`, or a named sub-app); this
module adds them to the one `cli`. No group imports this module back.
"""

from __future__ import annotations

import typer

from localcloud.cli import accounts, catalogue, encode, graph, stack, upload

cli = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Notflix's local cloud: moto, Redis, Neo4j, the API and the event runner.")
for group in (stack, catalogue, encode, upload):
    cli.add_typer(group.commands)
cli.add_typer(accounts.admin_cli, name="admin")
cli.add_typer(accounts.paypal_cli, name="paypal")
cli.add_typer(catalogue.import_cli, name="import")
cli.add_typer(catalogue.catalogue_cli, name="catalogue")
cli.add_typer(graph.graph_cli, name="graph")


def main() -> None:
    cli()
