"""`notflix admin create` and `notflix paypal simulate`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from localcloud.cli.shared import (
    console,
    domain_services,
)

if TYPE_CHECKING:
    pass

admin_cli = typer.Typer(no_args_is_help=True, help="Staff accounts.")


@admin_cli.command("create")
def admin_create(
    email: str = typer.Option(..., help="The administrator's email address"),
    name: str = typer.Option("Administrator", help="Display name"),
) -> None:
    """Create an admin with a generated password, printed once and stored nowhere."""
    from chalicelib.auth.admin import create_admin

    with domain_services("create the admin") as services:
        user, password = create_admin(services.accounts, email, name)
    console.print(f"admin {user.email} created (id {user.id}) with roles "
                  f"{', '.join(sorted(user.roles))}")
    console.print(f"password, shown only now: [bold]{password}[/]")


paypal_cli = typer.Typer(no_args_is_help=True, help="The local PayPal.")


@paypal_cli.command("simulate")
def paypal_simulate(
    email: str = typer.Option(..., help="The subscriber's email"),
    event: str = typer.Option(..., help="ACTIVATED, UPDATED, SUSPENDED, CANCELLED, EXPIRED, "
                                        "PAYMENT.FAILED or SALE.COMPLETED"),
    plan: str = typer.Option("standard", help="Plan of the subscription created if none"),
) -> None:
    """Have the local PayPal send a signed webhook for a subscriber."""
    from localcloud.paypal_sim.simulate import simulate

    with domain_services("simulate") as services:
        result = simulate(services, email, event, plan)
    console.print(f"{result['event']} sent for subscription {result['subscription_id']}; "
                  f"the webhook was answered with HTTP {result['webhook_status']}")




@admin_cli.command("migrate-profiles")
def migrate_profiles() -> None:
    """Give every account from before profiles its main profile (safe to run again)."""
    from chalicelib.profiles.migration import migrate
    from localcloud.cli.shared import progress_bars

    with domain_services("migrate the profiles") as services, progress_bars() as bars:
        task = bars.add_task("accounts read", total=None, step="profiles")
        report = migrate(services.profiles.store, lambda done, created: bars.update(
            task, completed=done, description=f"{done} accounts read, {created} profiles made"))
        bars.update(task, total=report.accounts or 1, completed=report.accounts or 1)
    console.print(f"{report.accounts} accounts: {report.created} main profiles created, "
                  f"{report.already} already had one")
