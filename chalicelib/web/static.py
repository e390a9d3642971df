"""Static assets (CSS, scripts, the dash.js player copied from npm at set-up)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from chalice.app import Response

from chalicelib.platform.errors import catalogued

STATIC = Path(__file__).parent / "static"
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg|ico|png)$")
FOLDERS = frozenset({"js", "vendor"})
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".ico": "image/x-icon", ".png": "image/png"}


@lru_cache(maxsize=64)
def _read(path: Path) -> str | bytes:
    if path.suffix in (".png", ".ico"):
        return path.read_bytes()
    return path.read_text(encoding="utf-8")


def static_file(folder: str | None, name: str) -> Response:
    if not NAME.match(name) or (folder is not None and folder not in FOLDERS):
        raise catalogued("page_not_found")
    path = STATIC / folder / name if folder else STATIC / name
    if not path.is_file():
        raise catalogued("page_not_found")
    return Response(body=_read(path), status_code=200,
                    headers={"Content-Type": TYPES.get(path.suffix, "application/octet-stream"),
                             "Cache-Control": "public, max-age=3600"})
