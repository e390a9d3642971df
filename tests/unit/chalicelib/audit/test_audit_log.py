"""The audit log in process: entries newest first across this month and the last, limits,
long fields cut, and ``record_or_log`` never failing the caller's answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.openapi.responses import AuditEntry
from chalicelib.platform.clock import iso, now
from chalicelib.services import Services
from localcloud.isolation import unique
from tests.support import logged_lines


def mine(services: Services, actor_id: str, limit: int = 500) -> list[AuditEntry]:
    return [e for e in services.audit.recent(limit) if e["actor_id"] == actor_id]


def test_entries_are_listed_newest_first_with_what_was_recorded(in_process: Services) -> None:
    actor, start = unique("admin-"), now() - timedelta(seconds=30)
    for n, action in enumerate(["user.roles", "job.cancel", "webhook.create"]):
        in_process.audit.record(actor, "admin@example.com", action, f"target-{n}",
                                ip="198.51.100.7", user_agent="pytest",
                                details={"n": n}, at=start + timedelta(seconds=n))
    entries = mine(in_process, actor)
    assert [e["action"] for e in entries] == ["webhook.create", "job.cancel", "user.roles"]
    assert entries[0] == {"at": iso(start + timedelta(seconds=2)), "actor_id": actor,
                          "actor_email": "admin@example.com", "action": "webhook.create",
                          "target": "target-2", "ip": "198.51.100.7", "user_agent": "pytest",
                          "details": {"n": 2}}


def test_two_entries_at_the_same_moment_are_both_kept(in_process: Services) -> None:
    actor, at = unique("admin-"), now()
    for target in ("first", "second"):
        in_process.audit.record(actor, "a@example.com", "job.retry", target, at=at)
    assert sorted(e["target"] for e in mine(in_process, actor)) == ["first", "second"]


def test_long_fields_are_cut_to_their_limits(in_process: Services) -> None:
    actor = unique("admin-")
    in_process.audit.record(actor, "a@example.com", "job.cancel", "t" * 500, ip="1" * 100,
                            user_agent="u" * 1000)
    (entry,) = mine(in_process, actor)
    assert (len(entry["target"]), len(entry["ip"]), len(entry["user_agent"])) == (200, 64, 256)


def previous_month(moment: datetime) -> datetime:
    """Noon on the last day of the month before `moment`'s."""
    return (moment.replace(day=1) - timedelta(days=1)).replace(hour=12, minute=0, second=0)


def test_recent_reaches_back_to_last_month_and_no_further(in_process: Services) -> None:
    actor = unique("admin-")
    this_month = now()
    last_month = previous_month(this_month)
    two_months_ago = previous_month(last_month)
    for target, at in (("two months ago", two_months_ago), ("last month", last_month),
                       ("this month", this_month)):
        in_process.audit.record(actor, "a@example.com", "user.roles", target, at=at)
    assert [e["target"] for e in mine(in_process, actor)] == ["this month", "last month"]


def test_recent_returns_at_most_the_limit_newest_first(in_process: Services) -> None:
    actor, start = unique("admin-"), now()  # newer than any entry before this test
    for n in range(3):
        in_process.audit.record(actor, "a@example.com", "job.cancel", f"target-{n}",
                                at=start + timedelta(milliseconds=n))
    newest = in_process.audit.recent(2)
    assert [(e["actor_id"], e["target"]) for e in newest] == [(actor, "target-2"),
                                                              (actor, "target-1")]


def test_record_or_log_stores_the_entry(in_process: Services) -> None:
    actor = unique("admin-")
    in_process.audit.record_or_log(actor, "a@example.com", "user.roles", "user-1",
                                   ip="203.0.113.9", user_agent="pytest",
                                   details={"roles": ["admin"]})
    (entry,) = mine(in_process, actor)
    assert (entry["action"], entry["details"]) == ("user.roles", {"roles": ["admin"]})


def test_an_entry_the_table_refuses_goes_to_the_log_instead(in_process: Services) -> None:
    actor = unique("admin-")
    with logged_lines() as lines:
        in_process.audit.record_or_log(actor, "a@example.com", "job.cancel", "job-7",
                                       ip="203.0.113.9", user_agent="pytest",
                                       details={"not json": object()})
    assert mine(in_process, actor) == []
    (line,) = [ln for ln in lines if ln.get("actor_id") == actor]
    assert (line["level"], line["message"]) == ("ERROR", "audit entry not stored")
    assert (line["action"], line["target"], line["ip"]) == ("job.cancel", "job-7",
                                                            "203.0.113.9")
    assert "not json" in line["details"]
