"""Which TMDB daily export is the newest at a given time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def latest_export_day(now: datetime) -> date:
    """The newest export TMDB has published at `now`: they appear by about 08:00 UTC."""
    utc = now.astimezone(UTC)
    return utc.date() if utc.hour >= 9 else utc.date() - timedelta(days=1)
