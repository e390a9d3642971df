"""The console's live view: only the panels that changed since the caller's cursor.

The cursor is the panels' change counters as the caller last saw them; a poll reads the
counters (one item) and queries only the panels whose counter moved, so an idle console
costs one read a poll whatever the number of jobs.
"""

from __future__ import annotations

import base64
import json

from chalicelib.auth.users import User
from chalicelib.jobs.console import JobsConsole
from chalicelib.jobs.models import PANELS, panel_versions
from chalicelib.openapi.responses import Dashboard as DashboardDelta
from chalicelib.openapi.responses import Job
from chalicelib.platform.errors import catalogued
from chalicelib.platform.labels import Labels


def encode_cursor(versions: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(versions, separators=(",", ":")).encode()
                                    ).decode().rstrip("=")


def decode_cursor(raw: str) -> dict[str, int]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError) as exc:
        raise catalogued("bad_cursor") from exc
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in data.items()):
        raise catalogued("bad_cursor")
    return data


class Dashboard:
    def __init__(self, console: JobsConsole, labels: Labels | None = None) -> None:
        self.console = console
        self.labels = labels

    def delta(self, viewer: User, since: str | None, limit: int = 20) -> DashboardDelta:
        seen = decode_cursor(since) if since else {}
        versions = panel_versions()
        panels: dict[str, list[Job]] = {}
        changed: list[str] = []
        for name in PANELS:
            if since and seen.get(name) == versions[name]:
                panels[name] = []
            else:
                panels[name] = self.console.panel(viewer, name, limit)
                changed.append(name)
        if self.labels is not None:
            label_jobs([job for jobs in panels.values() for job in jobs], self.labels)
        return {"cursor": encode_cursor(versions), "changed": changed, "panels": panels}


def label_jobs(jobs: list[Job], labels: Labels) -> None:
    """Each job's title name and uploader email beside their ids (in place)."""
    names = labels.titles(j["title_id"] for j in jobs)
    emails = labels.users(j["uploader"] for j in jobs)
    for job in jobs:
        if job["title_id"] in names:
            job["title_name"] = names[str(job["title_id"])]
        if job["uploader"] in emails:
            job["uploader_email"] = emails[str(job["uploader"])]
