"""Episode references: ``S1E3`` in URLs and metadata, ``0001#0003`` as the table's key."""

from __future__ import annotations

import re

LABEL = re.compile(r"^[Ss](\d{1,4})[Ee](\d{1,4})$")


def episode_key(label: str | None) -> str | None:
    """``S1E3`` (or ``s01e03``) -> ``0001#0003``; None for anything else."""
    match = LABEL.match((label or "").strip())
    if not match:
        return None
    return f"{int(match.group(1)):04d}#{int(match.group(2)):04d}"


def episode_label(key: str) -> str:
    """``0001#0003`` -> ``S1E3``."""
    season, number = key.split("#")
    return f"S{int(season)}E{int(number)}"
