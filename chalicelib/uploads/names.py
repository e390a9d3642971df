"""What may be uploaded, and the S3-safe form of a file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts")
SUBTITLE_SUFFIXES = (".srt", ".vtt")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_file_name(name: str) -> str:
    """The last path part with unusual characters replaced (``../x/a?.mp4`` -> ``a_.mp4``)."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[-120:] if cleaned else ""


def is_uploadable(name: str) -> bool:
    return bool(name) and PurePosixPath(name).suffix.lower() in (VIDEO_SUFFIXES
                                                                  + SUBTITLE_SUFFIXES)
