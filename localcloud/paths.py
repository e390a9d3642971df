"""Where the embedded stack keeps its installs, data and logs (all under `.local/`)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def local_dir() -> Path:
    """Root of everything the stack writes; `NOTFLIX_LOCAL_DIR` moves it (tests use this)."""
    path = Path(os.environ.get("NOTFLIX_LOCAL_DIR", PROJECT_ROOT / ".local"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(*parts: str) -> Path:
    path = local_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    return sub_dir("logs")


def data_dir(name: str) -> Path:
    return sub_dir("data", name)
