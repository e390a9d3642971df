"""Retention: delete sources and superseded encodes older than N days.

Deleted: source files kept under ``processed/`` and ``failed/`` of the uploads bucket, and
assets under ``media/`` that no title or episode plays any more (an older encode a newer
upload replaced, a re-encode's predecessor), both older than ``days``. With
``keep_monthly`` the first and the last such asset published in each month stay. An asset a
title or an episode plays is never deleted: the in-use set is read again right before the
deletions start. A dry run lists what a real run would delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.catalogue.titles.facets import PLAYABLE_FACET
from chalicelib.catalogue.titles.models import EpisodeModel, FacetModel, TitleModel
from chalicelib.openapi.responses import KeptAsset, RetentionReport

SOURCE_PREFIXES = ("processed/", "failed/")
BATCH = 1000


@dataclass
class RetentionPlan:
    sources: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    kept: list[KeptAsset] = field(default_factory=list)


def assets_in_use() -> set[str]:
    """Every asset a playable title or episode points at."""
    ids = [f.id for f in FacetModel.query(PLAYABLE_FACET, attributes_to_get=["id"])]
    used: set[str] = set()
    for start in range(0, len(ids), 100):
        for title in TitleModel.batch_get(ids[start:start + 100]):
            asset = title.asset or {}
            if asset.get("asset_id"):
                used.add(str(asset["asset_id"]))
            if title.kind == "series":
                used |= {str(e.asset["asset_id"]) for e in EpisodeModel.query(title.id)
                         if e.asset and e.asset.get("asset_id")}
    return used


class Retention:
    def __init__(self, s3: Any, uploads_bucket: str, media_bucket: str) -> None:
        self.s3 = s3
        self.uploads_bucket = uploads_bucket
        self.media_bucket = media_bucket

    def plan(self, now: datetime, days: int, keep_monthly: bool) -> RetentionPlan:
        cutoff = now - timedelta(days=days)
        plan = RetentionPlan()
        for prefix in SOURCE_PREFIXES:
            for item in self._objects(self.uploads_bucket, prefix):
                if item["LastModified"] <= cutoff:
                    plan.sources.append(str(item["Key"]))
        used = assets_in_use()
        candidates: list[tuple[datetime, str]] = []
        for asset_id, published in self._assets():
            if asset_id in used:
                continue
            if published <= cutoff:
                candidates.append((published, asset_id))
        keep: dict[str, str] = {}
        if keep_monthly:
            by_month: dict[str, list[tuple[datetime, str]]] = {}
            for published, asset_id in sorted(candidates):
                by_month.setdefault(published.strftime("%Y-%m"), []).append(
                    (published, asset_id))
            for month, assets in by_month.items():
                keep[assets[0][1]] = f"first of {month}"
                keep.setdefault(assets[-1][1], f"last of {month}")
        for _published, asset_id in sorted(candidates):
            if asset_id in keep:
                plan.kept.append({"asset_id": asset_id, "reason": keep[asset_id]})
            else:
                plan.assets.append(asset_id)
        return plan

    def run(self, now: datetime, days: int, keep_monthly: bool,
            dry_run: bool) -> RetentionReport:
        plan = self.plan(now, days, keep_monthly)
        report: RetentionReport = {"dry_run": dry_run, "days": days,
                                  "keep_monthly": keep_monthly, "sources": plan.sources,
                                  "assets": plan.assets, "kept": plan.kept,
                                  "deleted_files": 0}
        if dry_run:
            return report
        deleted = self._delete(self.uploads_bucket, plan.sources)
        skipped: list[str] = []
        in_use = assets_in_use()  # read again: anything attached since the plan stays
        for asset_id in plan.assets:
            if asset_id in in_use:
                skipped.append(asset_id)
                continue
            keys = [str(o["Key"]) for o in self._objects(self.media_bucket,
                                                          f"media/{asset_id}/")]
            # the manifest on its own first: a half-deleted asset never looks complete
            manifest = [k for k in keys if k.endswith("/manifest.mpd")]
            deleted += self._delete(self.media_bucket, manifest)
            deleted += self._delete(self.media_bucket, [k for k in keys if k not in manifest])
        report["deleted_files"] = deleted
        report["skipped_in_use"] = skipped
        return report

    def _objects(self, bucket: str, prefix: str) -> list[dict[str, Any]]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return [item for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", [])]

    def _assets(self) -> list[tuple[str, datetime]]:
        """(asset id, when its manifest was published) for every asset in the media bucket."""
        found = []
        for item in self._objects(self.media_bucket, "media/"):
            key = str(item["Key"])
            if key.endswith("/manifest.mpd") and key.count("/") == 2:
                found.append((key.split("/")[1], item["LastModified"]))
        return found

    def _delete(self, bucket: str, keys: list[str]) -> int:
        for start in range(0, len(keys), BATCH):
            chunk = keys[start:start + BATCH]
            self.s3.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": k} for k in chunk], "Quiet": True})
        return len(keys)
