from __future__ import annotations

import gzip
import json
from pathlib import Path

from chalicelib.catalogue.importing.tmdb_export import ExportStats, open_export, parse_lines


def write_export(path: Path, lines: list[bytes]) -> Path:
    with gzip.open(path, "wb") as out:
        out.write(b"\n".join(lines) + b"\n")
    return path


def test_adult_video_and_bad_lines_are_set_aside(tmp_path: Path) -> None:
    lines = [
        json.dumps({"adult": False, "id": 1, "original_title": "Blondie", "popularity": 2.5,
                    "video": False}).encode(),
        json.dumps({"adult": True, "id": 2, "original_title": "x", "popularity": 1,
                    "video": False}).encode(),
        json.dumps({"adult": False, "id": 3, "original_title": "clip", "popularity": 1,
                    "video": True}).encode(),
        b'{"adult": false, "id": 4, "original_title": "cut',
        json.dumps({"original_title": "no id", "popularity": 1}).encode(),
        json.dumps({"id": "five", "original_title": "bad id"}).encode(),
        json.dumps({"id": 6, "original_name": "A Series", "popularity": 9.1}).encode(),
        b"",
    ]
    stats = ExportStats()
    with open_export(write_export(tmp_path / "movie_ids_11_22_2026.json.gz", lines)) as f:
        entries = list(parse_lines(f, stats))
    assert [(e.tmdb_id, e.title) for e in entries] == [(1, "Blondie"), (6, "A Series")]
    assert stats.kept == 2 and stats.skipped_adult_or_video == 2
    assert [b.line_number for b in stats.bad] == [4, 5, 6]
    assert "invalid JSON" in stats.bad[0].reason
    assert "id" in stats.bad[1].reason
    assert stats.bad[0].raw.startswith(b'{"adult"')
