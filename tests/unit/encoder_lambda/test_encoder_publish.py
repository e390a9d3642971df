"""Publishing an asset: everything typed and cached, uploaded concurrently, the manifest last."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from encoder_lambda.publish import MANIFEST, publish


class RecordingS3:
    """Records each upload's start and end; the named key fails when asked to."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.lock = threading.Lock()
        self.calls: dict[str, tuple[float, float, dict[str, Any]]] = {}
        self.running = 0
        self.most_at_once = 0

    def upload_file(self, path: str, bucket: str, key: str, ExtraArgs: dict[str, Any]) -> None:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        started = time.monotonic()
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
            self.calls[key] = (started, time.monotonic(), ExtraArgs)
        if key.endswith(str(self.fail)):
            raise OSError(f"upload of {key} failed")


def _asset(tmp_path: Path) -> list[tuple[Path, str]]:
    names = [MANIFEST, "master.m3u8", "init-0.m4s", "poster.jpg", "thumbnails.vtt"]
    names += [f"chunk-0-{n:05d}.m4s" for n in range(1, 21)]
    files = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(b"x" * 10)
        files.append((path, name))
    return files


def test_the_manifest_goes_up_after_every_other_file(tmp_path: Path) -> None:
    s3 = RecordingS3()
    total = publish(s3, "media", "a1", _asset(tmp_path), workers=8)
    assert total == 25 * 10
    manifest_start = s3.calls[f"media/a1/{MANIFEST}"][0]
    others = [end for key, (_s, end, _a) in s3.calls.items() if not key.endswith(MANIFEST)]
    assert len(others) == 24 and max(others) <= manifest_start
    assert s3.most_at_once > 1  # concurrent, not one after another
    args = {key.rsplit("/", 1)[1]: extra for key, (_s, _e, extra) in s3.calls.items()}
    assert args[MANIFEST] == {"ContentType": "application/dash+xml",
                              "CacheControl": "public, max-age=60"}
    assert args["chunk-0-00001.m4s"]["ContentType"] == "video/iso.segment"
    assert "immutable" in args["chunk-0-00001.m4s"]["CacheControl"]
    assert args["master.m3u8"]["ContentType"] == "application/vnd.apple.mpegurl"
    assert args["thumbnails.vtt"]["ContentType"].startswith("text/vtt")


def test_a_failed_upload_stops_before_the_manifest(tmp_path: Path) -> None:
    s3 = RecordingS3(fail="chunk-0-00007.m4s")
    with pytest.raises(OSError, match="chunk-0-00007"):
        publish(s3, "media", "a1", _asset(tmp_path))
    assert f"media/a1/{MANIFEST}" not in s3.calls
