"""Put an encoded asset in the media bucket: every file typed and cached, the manifest last."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MANIFEST = "manifest.mpd"
#: Written after every segment and playlist: a manifest that exists means a complete asset.
LAST = (MANIFEST,)
_TYPES = {".mpd": "application/dash+xml", ".m3u8": "application/vnd.apple.mpegurl",
          ".m4s": "video/iso.segment", ".mp4": "video/mp4", ".m4a": "audio/mp4",
          ".vtt": "text/vtt; charset=utf-8", ".jpg": "image/jpeg", ".json": "application/json"}
#: Concurrent PUTs while publishing (botocore's default pool holds 10 connections).
UPLOAD_WORKERS = 8
#: Segments never change once written; manifests may be re-published.
_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=60"


def media_prefix(asset_id: str) -> str:
    return f"media/{asset_id}/"


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control(name: str) -> str:
    return _SHORT if Path(name).suffix.lower() in (".mpd", ".m3u8", ".json") else _IMMUTABLE


def publish(s3: Any, bucket: str, asset_id: str, files: Iterable[tuple[Path, str]],
            workers: int = UPLOAD_WORKERS) -> int:
    """Upload (local path, name under the asset) pairs; the manifest goes last. Returns bytes.

    Segments and playlists go up ``workers`` at a time (each PUT waits mostly on the network);
    the manifest only once every one of them is stored, so a reader who finds the manifest
    finds everything it names. The first failed upload raises (the caller removes the rest).
    """
    pairs = list(files)
    first = [pair for pair in pairs if pair[1] not in LAST]
    last = [pair for pair in pairs if pair[1] in LAST]

    def put(pair: tuple[Path, str]) -> int:
        path, name = pair
        s3.upload_file(str(path), bucket, media_prefix(asset_id) + name, ExtraArgs={
            "ContentType": content_type(name), "CacheControl": cache_control(name)})
        return path.stat().st_size

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="publish") as pool:
        total = sum(pool.map(put, first))
    return total + sum(put(pair) for pair in last)


def is_published(s3: Any, bucket: str, asset_id: str) -> bool:
    from botocore.exceptions import ClientError

    from chalicelib.platform.aws import is_missing

    try:
        s3.head_object(Bucket=bucket, Key=media_prefix(asset_id) + MANIFEST)
    except ClientError as exc:
        if is_missing(exc):
            return False
        raise
    return True


def stored_names(s3: Any, bucket: str, asset_id: str) -> set[str]:
    """Names of the files already stored under the asset's prefix."""
    prefix = media_prefix(asset_id)
    paginator = s3.get_paginator("list_objects_v2")
    return {str(item["Key"]).removeprefix(prefix)
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])}


def remove(s3: Any, bucket: str, asset_id: str) -> None:
    """Delete whatever a cancelled or failed publish left under the asset's prefix."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=media_prefix(asset_id)):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
