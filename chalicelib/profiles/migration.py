"""Give every account from before profiles its main profile.

The main profile's id is the account's id, under which everything the account watched was
kept: history, resume points, continue watching, ratings and its user node in the graph are
the main profile's without a byte moved. The migration only writes the profile item (and the
account's profile count) where it is missing, conditionally, so it can run any number of
times, beside the live service (which also creates a missing main profile on first use):
one conditional transaction per account, refused where the main profile exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.auth.models import UserModel
from chalicelib.profiles.store import ProfileStore


@dataclass
class MigrationReport:
    accounts: int = 0
    created: int = 0
    already: int = 0


def migrate(store: ProfileStore, on_progress: Callable[[int, int], None] | None = None,
            page_size: int = 200) -> MigrationReport:
    """Create the missing main profiles; ``on_progress(done, created)`` after each page."""
    report = MigrationReport()
    for user in UserModel.scan(page_size=page_size,
                               attributes_to_get=["id", "display_name"]):
        report.accounts += 1
        if store.create_main(user.id, user.display_name) is None:
            report.already += 1
        else:
            report.created += 1
        if on_progress is not None and report.accounts % page_size == 0:
            on_progress(report.accounts, report.created)
    if on_progress is not None:
        on_progress(report.accounts, report.created)
    return report
