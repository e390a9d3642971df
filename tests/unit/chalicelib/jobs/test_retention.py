"""Retention in process: a dry run lists what a run deletes and deletes nothing; a run deletes
old sources and superseded encodes, never what a title or an episode plays.

Each test has buckets of its own (the service as wired, pointed at them): a run deletes
everything old enough in its buckets, which must not be other tests' files.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import Episode, Season, TitleRecord
from chalicelib.jobs.retention import Retention, RetentionPlan
from chalicelib.services import Services
from localcloud.isolation import unique

#: Forty days on: every file written now is past a 30-day period.
LATER = timedelta(days=40)


@pytest.fixture
def retention(in_process: Services) -> Retention:
    wired = in_process.retention
    assert (wired.uploads_bucket, wired.media_bucket) == (in_process.settings.uploads_bucket,
                                                          in_process.settings.media_bucket)
    s3 = in_process.resources.s3
    uploads, media = unique("ret-up-"), unique("ret-media-")
    for bucket in (uploads, media):
        s3.create_bucket(Bucket=bucket)
    return Retention(s3, uploads, media)


def put(retention: Retention, bucket: str, *keys: str) -> None:
    for key in keys:
        retention.s3.put_object(Bucket=bucket, Key=key, Body=b"x")


def an_asset(retention: Retention) -> str:
    """An encode's files in the media bucket: its manifest and two segments."""
    asset_id = unique("asset-")
    put(retention, retention.media_bucket, f"media/{asset_id}/manifest.mpd",
        f"media/{asset_id}/video/seg-1.m4s", f"media/{asset_id}/video/seg-2.m4s")
    return asset_id


def keys(retention: Retention, bucket: str) -> set[str]:
    listed = retention.s3.list_objects_v2(Bucket=bucket)
    return {str(item["Key"]) for item in listed.get("Contents", [])}


def played_by_a_film(services: Services, asset_id: str) -> str:
    title_id = unique("ret-film-")
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind="film", name="Plays",
                                                  source="generated")])
    assert attach_asset(title_id, {"asset_id": asset_id})
    return title_id


def played_by_an_episode(services: Services, asset_id: str) -> None:
    title_id = unique("ret-series-")
    services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="series", name="Plays too", source="generated",
        seasons=(Season(number=1, name="One", episodes=(Episode(1, "Pilot"),)),))])
    assert attach_asset(title_id, {"asset_id": asset_id}, episode="0001#0001")


def test_a_dry_run_lists_what_is_old_and_unused_and_deletes_nothing(
        in_process: Services, retention: Retention) -> None:
    sources = {f"processed/{unique()}/a.mp4", f"failed/{unique()}/b.mp4"}
    put(retention, retention.uploads_bucket, *sources, f"uploads/{unique()}/new.mp4")
    superseded, on_film, on_episode = (an_asset(retention) for _ in range(3))
    played_by_a_film(in_process, on_film)
    played_by_an_episode(in_process, on_episode)
    before = keys(retention, retention.uploads_bucket) | keys(retention, retention.media_bucket)
    now = datetime.now(UTC)

    report = retention.run(now + LATER, 30, keep_monthly=False, dry_run=True)
    assert (report["dry_run"], report["deleted_files"]) == (True, 0)
    assert set(report["sources"]) == sources  # uploads/ is the encoder's inbox, never old
    assert report["assets"] == [superseded] and report["kept"] == []
    assert keys(retention, retention.uploads_bucket) | keys(
        retention, retention.media_bucket) == before
    young = retention.run(now, 30, keep_monthly=False, dry_run=True)  # nothing is 30 days old
    assert (young["sources"], young["assets"]) == ([], [])


def test_a_run_deletes_what_the_dry_run_listed_and_nothing_else(
        in_process: Services, retention: Retention) -> None:
    old_source = f"processed/{unique()}/a.mp4"
    waiting = f"uploads/{unique()}/waiting.mp4"
    put(retention, retention.uploads_bucket, old_source, waiting)
    superseded, playing = an_asset(retention), an_asset(retention)
    played_by_a_film(in_process, playing)
    later = datetime.now(UTC) + LATER

    plan = retention.run(later, 30, keep_monthly=False, dry_run=True)
    done = retention.run(later, 30, keep_monthly=False, dry_run=False)
    assert (done["sources"], done["assets"]) == (plan["sources"], plan["assets"])
    assert (done["sources"], done["assets"]) == ([old_source], [superseded])
    assert done["deleted_files"] == 1 + 3 and done["skipped_in_use"] == []
    assert keys(retention, retention.uploads_bucket) == {waiting}
    assert keys(retention, retention.media_bucket) == {
        f"media/{playing}/manifest.mpd", f"media/{playing}/video/seg-1.m4s",
        f"media/{playing}/video/seg-2.m4s"}


def test_keeping_monthly_keeps_the_first_and_last_superseded_asset_of_a_month(
        retention: Retention) -> None:
    assets = [an_asset(retention) for _ in range(4)]
    plan = retention.plan(datetime.now(UTC) + LATER, 30, keep_monthly=True)
    month = datetime.now(UTC).strftime("%Y-%m")  # all published just now
    assert sorted(plan.assets + [k["asset_id"] for k in plan.kept]) == sorted(assets)
    assert sorted(k["reason"] for k in plan.kept) == [f"first of {month}", f"last of {month}"]
    assert len(plan.assets) == 2


def test_an_asset_attached_after_the_plan_is_not_deleted(
        in_process: Services, retention: Retention, monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-use set is read again right before deleting: the encoder may publish meanwhile."""
    republished, superseded = an_asset(retention), an_asset(retention)
    planned = retention.plan

    def plan_then_publish(now: datetime, days: int, keep_monthly: bool) -> RetentionPlan:
        plan = planned(now, days, keep_monthly)
        played_by_a_film(in_process, republished)
        return plan

    monkeypatch.setattr(retention, "plan", plan_then_publish)
    done = retention.run(datetime.now(UTC) + LATER, 30, keep_monthly=False, dry_run=False)
    assert sorted(done["assets"]) == sorted([republished, superseded])
    assert done["skipped_in_use"] == [republished] and done["deleted_files"] == 3
    assert {k.split("/")[1] for k in keys(retention, retention.media_bucket)} == {republished}
