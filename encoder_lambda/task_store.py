"""Where a job's tasks leave their results for the assembler: small JSON files and thumbnail
tiles under ``jobs/<job id>/`` in the private data bucket (never served to players)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class TaskStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    @staticmethod
    def prefix(job_id: str) -> str:
        return f"jobs/{job_id}/"

    def put_result(self, job_id: str, name: str, result: dict[str, Any]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=f"{self.prefix(job_id)}tasks/{name}.json",
                           Body=json.dumps(result).encode(), ContentType="application/json")

    def results(self, job_id: str) -> dict[str, dict[str, Any]]:
        """Every finished task's result, by task name."""
        found: dict[str, dict[str, Any]] = {}
        for key in self._keys(f"{self.prefix(job_id)}tasks/"):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            found[key.rsplit("/", 1)[-1].removesuffix(".json")] = json.loads(body)
        return found

    def put_tile(self, job_id: str, path: Path) -> None:
        self.s3.upload_file(str(path), self.bucket, f"{self.prefix(job_id)}tiles/{path.name}")

    def download_tiles(self, job_id: str, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for key in self._keys(f"{self.prefix(job_id)}tiles/"):
            target = folder / key.rsplit("/", 1)[-1]
            self.s3.download_file(self.bucket, key, str(target))
            paths.append(target)
        return sorted(paths)

    def clear(self, job_id: str) -> None:
        """Forget the results of an earlier plan (a forced re-encode starts afresh)."""
        keys = [{"Key": k} for k in self._keys(self.prefix(job_id) + "tasks/")]
        keys += [{"Key": k} for k in self._keys(self.prefix(job_id) + "tiles/")]
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=self.bucket,
                                   Delete={"Objects": keys[start:start + 1000], "Quiet": True})

    def _keys(self, prefix: str) -> list[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return [str(item["Key"]) for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])]
