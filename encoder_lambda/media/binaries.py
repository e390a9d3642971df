"""Find the ffmpeg (and ffprobe) executables and run short ffmpeg calls.

Order: the ``NOTFLIX_FFMPEG`` override, ``ffmpeg`` on PATH, then the static binary shipped in
the ``imageio-ffmpeg`` wheel. That static build has no ffprobe, so ``Tools.ffprobe`` may be
``None``; :mod:`encoder_lambda.media.probe` then parses ``ffmpeg -i`` instead.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_FFMPEG = "NOTFLIX_FFMPEG"
ENV_FFPROBE = "NOTFLIX_FFPROBE"
STDERR_TAIL_LINES = 50


class FfmpegNotFound(RuntimeError):
    """No usable ffmpeg executable on this machine."""


class ToolFailed(RuntimeError):
    """An ffmpeg/ffprobe call exited non-zero (or timed out); ``stderr_tail`` says why."""

    def __init__(self, stderr_tail: str, returncode: int | None = None) -> None:
        self.stderr_tail = stderr_tail
        self.returncode = returncode
        detail = stderr_tail.strip() or "no error output"
        status = "timed out" if returncode is None else f"exited with status {returncode}"
        super().__init__(f"ffmpeg {status}: {detail}")


@dataclass(frozen=True)
class Tools:
    ffmpeg: str
    ffprobe: str | None
    origin: str  # "env", "path" or "imageio-ffmpeg"


def _executable(candidate: str) -> str | None:
    """Absolute path of ``candidate`` (a path or a command name) if it can be executed."""
    if os.sep in candidate:
        path = Path(candidate)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(candidate)


def _sibling_ffprobe(ffmpeg: str) -> str | None:
    return _executable(str(Path(ffmpeg).with_name("ffprobe")))


def _explicit_ffprobe() -> str | None:
    value = os.environ.get(ENV_FFPROBE, "").strip()
    if not value:
        return None
    found = _executable(value)
    if found is None:
        raise FfmpegNotFound(f"{ENV_FFPROBE}={value!r} is not an executable file")
    return found


def _imageio_ffmpeg() -> str | None:
    try:
        module = importlib.import_module("imageio_ffmpeg")
    except ImportError:
        return None
    try:
        exe = module.get_ffmpeg_exe()
    except RuntimeError:
        return None
    return _executable(str(exe))


def find_tools() -> Tools:
    """The ffmpeg to use, and ffprobe when there is one beside it (or on PATH).

    Raises :class:`FfmpegNotFound` with what was tried when there is none.
    """
    override = os.environ.get(ENV_FFMPEG, "").strip()
    if override:
        ffmpeg = _executable(override)
        if ffmpeg is None:
            raise FfmpegNotFound(f"{ENV_FFMPEG}={override!r} is not an executable file")
        return Tools(ffmpeg, _explicit_ffprobe() or _sibling_ffprobe(ffmpeg), "env")
    on_path = shutil.which("ffmpeg")
    if on_path:
        ffprobe = _explicit_ffprobe() or _sibling_ffprobe(on_path) or shutil.which("ffprobe")
        return Tools(on_path, ffprobe, "path")
    bundled = _imageio_ffmpeg()
    if bundled:
        return Tools(bundled, _explicit_ffprobe(), "imageio-ffmpeg")
    raise FfmpegNotFound(
        "ffmpeg not found: set NOTFLIX_FFMPEG, install ffmpeg (apt-get install ffmpeg) "
        "or the imageio-ffmpeg wheel"
    )


def ffmpeg_version(tools: Tools | None = None) -> str:
    """First line of ``ffmpeg -version``, e.g. ``ffmpeg version 5.1.9-0+deb12u1 ...``."""
    tools = tools or find_tools()
    out = run_tool([tools.ffmpeg, "-hide_banner", "-version"], timeout_s=30)
    return out.stdout.splitlines()[0].strip() if out.stdout else ""


def tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_tool(
    argv: Sequence[str], timeout_s: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a short ffmpeg/ffprobe call to completion; :class:`ToolFailed` when it fails."""
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise ToolFailed(tail(stderr), None) from exc
    if check and done.returncode != 0:
        raise ToolFailed(tail(done.stderr), done.returncode)
    return done
