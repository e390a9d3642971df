"""Uploads through the encoder pipeline with real ffmpeg and the emulated S3 and DynamoDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chalicelib.catalogue.titles.facets import facet_names, rank_key
from chalicelib.catalogue.titles.models import FacetModel, TitleModel
from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import JOB_MODELS, JobModel, job_id_for
from chalicelib.platform.config import Settings
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from encoder_lambda.content_id import file_content_id
from encoder_lambda.jobs import JobStore
from encoder_lambda.media.mpd import parse
from encoder_lambda.pipeline import JobBusy, OutOfTime, Pipeline
from encoder_lambda.s3_events import Upload
from localcloud.paths import PROJECT_ROOT
from tests.media_clips import clip
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
#: A worker's lease on a job, short so that retries after a crash need not wait 15 minutes.
LEASE = 1.0
#: The lease of the worker that is killed mid-encode.
DOOMED_LEASE = 10.0


@pytest.fixture(scope="module")
def pipeline(resources: Resources, catalogue_services: Services) -> Pipeline:
    bind_models(resources.settings, JOB_MODELS)
    settings = resources.settings
    return Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                    JobStore(lease_seconds=LEASE), attach_asset, preset="ultrafast")


def upload(resources: Resources, path: Path, key: str, title_id: str | None = None,
           episode: str | None = None) -> Upload:
    s3 = resources.s3
    bucket = resources.settings.uploads_bucket
    metadata = {"title-id": title_id} if title_id else {}
    if episode:
        metadata["episode"] = episode
    s3.upload_file(str(path), bucket, key,
                   ExtraArgs={"Metadata": metadata} if metadata else None)
    head = s3.head_object(Bucket=bucket, Key=key)
    return Upload(bucket=bucket, key=key, size=head["ContentLength"], etag=head["ETag"],
                  event_name="ObjectCreated:Put", event_time="", sequencer="")


def test_an_upload_becomes_a_published_asset_and_makes_its_title_playable(
        pipeline: Pipeline, resources: Resources, catalogue_services: Services,
        tmp_path: Path) -> None:
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Encoded Film", source="generated", year=2020)])
    source = clip(tmp_path / "film.mp4")
    key = f"uploads/{unique()}/mon film é.mp4"
    first = upload(resources, source, key, title_id)
    assert pipeline.process(first) == "PUBLISHED"

    job = JobModel.get(job_id_for(first.bucket, key, first.etag))
    assert job.status == "PUBLISHED" and job.progress == 1 and job.asset_id
    log = resources.s3.get_object(Bucket=resources.settings.data_bucket, Key=job.log_key)
    assert f"encoded {key} as asset {job.asset_id}" in log["Body"].read().decode()
    assert [job.stages[s]["outcome"] for s in ("PROBING", "ENCODING", "PACKAGING")] == [
        "ok", "ok", "encoded"]
    s3, media = resources.s3, resources.settings.media_bucket
    prefix = f"media/{job.asset_id}/"
    manifest_object = s3.get_object(Bucket=media, Key=prefix + "manifest.mpd")
    assert manifest_object["ContentType"] == "application/dash+xml"
    manifest = parse(manifest_object["Body"].read())
    stored = {o["Key"].removeprefix(prefix) for o in
              s3.list_objects_v2(Bucket=media, Prefix=prefix)["Contents"]}
    referenced = {f for r in manifest.representations for f in r.files}
    assert referenced and referenced <= stored
    assert {"master.m3u8", "poster.jpg", "thumbnails.vtt", "sprite.jpg"} <= stored
    assert {r.height for r in manifest.representations if r.height} == {360, 240}
    segment = next(f for f in stored if f.endswith(".m4s"))
    head = s3.head_object(Bucket=media, Key=prefix + segment)
    assert "immutable" in head["CacheControl"]

    title = TitleModel.get(title_id)
    assert title.asset is not None and title.asset["asset_id"] == job.asset_id
    # each of its browse items, read by key (a query of the shared stack's `all` partition
    # reads thousands of films)
    facets = [FacetModel.get(name, rank_key(0.0, title_id))
              for name in facet_names("film", (), 2020, ())]
    assert facets and all(f.id == title_id and f.playable for f in facets)
    uploads = resources.settings.uploads_bucket
    assert s3.list_objects_v2(Bucket=uploads, Prefix=key).get("KeyCount") == 0
    processed = key.removeprefix("uploads/")
    assert s3.head_object(Bucket=uploads, Key=f"processed/{processed}")["ContentLength"] > 0

    # The same message delivered again: the job is final, nothing is encoded twice.
    assert pipeline.process(first) == "PUBLISHED"
    assert JobModel.get(job.job_id).attempts == 1

    # The same content under another name is linked to the published asset.
    again = upload(resources, source, f"uploads/{unique()}/copy.mp4")
    assert pipeline.process(again) == "PUBLISHED"
    linked = JobModel.get(job_id_for(again.bucket, again.key, again.etag))
    assert linked.asset_id == job.asset_id and "ENCODING" not in linked.stages
    assert linked.stages["PROBING"]["outcome"] == "linked"


def test_an_audio_only_upload_fails_with_a_reason_and_its_log(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    sound = upload(resources, clip(tmp_path / "sound.m4a", video=False),
                   f"uploads/{unique()}/sound.m4a")
    assert pipeline.process(sound) == "FAILED"
    job = JobModel.get(job_id_for(sound.bucket, sound.key, sound.etag))
    assert job.error == "The file has no video stream (audio only)."
    log = resources.s3.get_object(Bucket=resources.settings.data_bucket, Key=job.log_key)
    assert b"no video stream" in log["Body"].read()
    failed_key = "failed/" + sound.key.removeprefix("uploads/")
    assert resources.s3.head_object(Bucket=sound.bucket, Key=failed_key)


def test_a_job_cancelled_while_queued_is_skipped(pipeline: Pipeline, resources: Resources,
                                                 tmp_path: Path) -> None:
    queued = upload(resources, clip(tmp_path / "q.mp4", seconds=2), f"uploads/{unique()}.mp4")
    job = pipeline.jobs.open(queued.bucket, queued.key, queued.etag, queued.size, None)
    pipeline.jobs.cancel(job.job_id)
    assert pipeline.process(queued) == "CANCELLED"
    assert JobModel.get(job.job_id).attempts == 0


def _wait_for_status(job_id: str, *statuses: str, timeout: float = 60) -> JobModel:
    def reached() -> JobModel | None:
        try:
            job = JobModel.get(job_id, consistent_read=True)
        except JobModel.DoesNotExist:
            return None
        return job if job.status in statuses else None

    return eventually(reached, timeout=timeout, interval=0.1)


def test_an_upload_to_s3_is_encoded_through_the_queue(
        encoder_worker: None, resources: Resources, catalogue_services: Services,
        tmp_path: Path) -> None:
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Queued Film", source="generated", year=2021)])
    sent = upload(resources, clip(tmp_path / "queued.mp4", seconds=2),
                  f"uploads/{unique()}/queued film.mp4", title_id)
    job_id = job_id_for(sent.bucket, sent.key, sent.etag)

    job = _wait_for_status(job_id, "PUBLISHED", "FAILED", timeout=120)
    assert job.status == "PUBLISHED", job.error
    assert TitleModel.get(title_id).asset["asset_id"] == job.asset_id


def test_notflix_encode_uploads_and_follows_the_job(
        encoder_worker: None, stack_env: dict[str, str], settings: Settings,
        catalogue_services: Services, tmp_path: Path) -> None:
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Command Line Film", source="generated", year=2022)])
    video = clip(tmp_path / "cli film.mp4", seconds=2)
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix, "COLUMNS": "200"}
    notflix = str(Path(sys.executable).with_name("notflix"))
    done = subprocess.run([notflix, "encode", str(video), "--title", title_id], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "published asset" in done.stdout and "upload" in done.stdout
    assert TitleModel.get(title_id).asset is not None
    unknown = subprocess.run([notflix, "encode", str(video), "--title", "no-such-title"],
                             env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode == 1 and "No title has this id" in unknown.stdout


def test_a_job_cancelled_while_encoding_stops_ffmpeg_and_publishes_nothing(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    long = upload(resources, clip(tmp_path / "long.mp4", seconds=40),
                  f"uploads/{unique()}/long.mp4")
    job_id = job_id_for(long.bucket, long.key, long.etag)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(pipeline.process(long)))
    worker.start()
    _wait_for_status(job_id, "ENCODING")
    pipeline.jobs.cancel(job_id)
    worker.join(300)
    assert outcome == ["CANCELLED"]
    job = JobModel.get(job_id)
    assert job.status == "CANCELLED"
    listed = resources.s3.list_objects_v2(Bucket=resources.settings.media_bucket,
                                          Prefix=f"media/{job.asset_id}/")
    assert listed.get("KeyCount") == 0


def test_a_worker_killed_mid_encode_is_finished_once_by_the_redelivered_message(
        pipeline: Pipeline, resources: Resources, stack_env: dict[str, str],
        settings: Settings, tmp_path: Path) -> None:
    sent = upload(resources, clip(tmp_path / "crash.mp4", seconds=30),
                  f"uploads/{unique()}/crash.mp4")
    job_id = job_id_for(sent.bucket, sent.key, sent.etag)
    script = (
        "import sys\n"
        "from encoder_lambda.dispatch import InlineDispatcher\n"
        "from encoder_lambda.runtime import pipeline\n"
        "from encoder_lambda.s3_events import Upload\n"
        f"u = Upload(bucket={sent.bucket!r}, key={sent.key!r}, size={sent.size}, "
        f"etag={sent.etag!r}, event_name='', event_time='', sequencer='')\n"
        # one machine, no queue: the planner runs the tasks itself and dies in a chunk
        "p = pipeline()\n"
        "p.dispatcher = InlineDispatcher(lambda t: p.run_task(t, attempt=3))\n"
        "p.process(u)\n")
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,
           # long enough that a loaded machine cannot outlive it before the check below
           "NOTFLIX_ENCODER_LEASE_SECONDS": str(DOOMED_LEASE)}
    doomed = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT,
                              start_new_session=True)
    try:
        _wait_for_status(job_id, "ENCODING")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)  # the Lambda and its ffmpeg vanish mid-encode
        doomed.wait(30)
    assert JobModel.get(job_id).status == "ENCODING"

    lease_until = float(JobModel.get(job_id, consistent_read=True).lease_until)
    assert lease_until > time.time(), "too slow to have tested the dead worker's lease"
    with pytest.raises(JobBusy):  # the dead worker's lease still holds: retried later
        pipeline.process(sent)
    time.sleep(max(0.0, lease_until - time.time()) + 0.3)
    assert pipeline.process(sent) == "PUBLISHED"  # SQS delivers the message again
    assert pipeline.process(sent) == "PUBLISHED"  # and once more: nothing happens
    job = JobModel.get(job_id)
    assert job.attempts == 2 and job.status == "PUBLISHED"
    prefix = f"media/{job.asset_id}/"
    keys = [o["Key"] for o in resources.s3.list_objects_v2(
        Bucket=resources.settings.media_bucket, Prefix=prefix)["Contents"]]
    assert keys.count(prefix + "manifest.mpd") == 1


def test_a_corrupt_upload_fails_without_retry(pipeline: Pipeline, resources: Resources,
                                              tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    sent = upload(resources, broken, f"uploads/{unique()}/broken.mp4")
    assert pipeline.process(sent) == "FAILED"
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert job.error and "corrupt" in job.error
    assert pipeline.process(sent) == "FAILED"  # a redelivery does not retry it


def test_a_newer_upload_for_the_same_title_supersedes_a_queued_one(
        pipeline: Pipeline, resources: Resources, catalogue_services: Services,
        tmp_path: Path) -> None:
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Recut Film", source="generated", year=2023)])
    first = upload(resources, clip(tmp_path / "cut1.mp4", seconds=2),
                   f"uploads/{unique()}/cut1.mp4", title_id)
    older = pipeline.jobs.open(first.bucket, first.key, first.etag, first.size, title_id)
    time.sleep(0.01)
    second = upload(resources, clip(tmp_path / "cut2.mp4", seconds=3),
                    f"uploads/{unique()}/cut2.mp4", title_id)
    pipeline.jobs.open(second.bucket, second.key, second.etag, second.size, title_id)
    assert pipeline.process(first) == "CANCELLED"
    assert JobModel.get(older.job_id).error.startswith("superseded")
    assert pipeline.process(second) == "PUBLISHED"
    newer = JobModel.get(job_id_for(second.bucket, second.key, second.etag))
    assert TitleModel.get(title_id).asset["asset_id"] == newer.asset_id


def test_a_seasons_episodes_queued_together_each_encode_and_only_a_newer_cut_supersedes(
        pipeline: Pipeline, resources: Resources, catalogue_services: Services,
        tmp_path: Path) -> None:
    from chalicelib.catalogue.titles.episodes import episode_key
    from chalicelib.catalogue.titles.models import EpisodeModel
    from chalicelib.catalogue.titles.records import Episode, Season

    title_id = f"s-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="series", name="Season Upload", source="generated", year=2024,
        seasons=(Season(number=1, name="One", episode_count=2,
                        episodes=(Episode(1, "One"), Episode(2, "Two"))),))])
    sent = {}
    for label, seconds in (("S1E1", 2), ("S1E2", 2), ("S1E2", 3)):  # E2 recut after
        sent[label] = upload(resources, clip(tmp_path / f"{label}-{seconds}.mp4", seconds=seconds),
                             f"uploads/{unique()}/{label}.mp4", title_id, label)
        pipeline.jobs.open(sent[label].bucket, sent[label].key, sent[label].etag,
                           sent[label].size, title_id, episode_key(label))
        time.sleep(0.01)
    first_cut = [j for j in JobModel.by_title.query(title_id) if j.episode == "0001#0002"]
    assert len(first_cut) == 2
    older = min(first_cut, key=lambda j: j.created_at)
    assert pipeline.process(sent["S1E1"]) == "PUBLISHED"  # not superseded by E2's uploads
    assert pipeline.process(Upload(bucket=older.bucket, key=older.key, size=int(older.size),
                                   etag=older.etag, event_name="ObjectCreated:Put",
                                   event_time="", sequencer="")) == "CANCELLED"
    assert pipeline.process(sent["S1E2"]) == "PUBLISHED"
    episodes = {e.episode_key: e for e in EpisodeModel.query(title_id)}
    assert len(episodes) == 2 and all(e.asset for e in episodes.values())


SRT = """1
00:00:00,500 --> 00:00:01,500
Bonjour, le monde

2
00:00:01,600 --> 00:00:02,400
Au revoir
"""


def test_subtitles_uploaded_beside_the_video_become_a_listed_webvtt_track(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    folder = f"uploads/{unique()}"
    srt = tmp_path / "film.fr.srt"
    srt.write_text(SRT, encoding="utf-8")
    subtitles = upload(resources, srt, f"{folder}/film.fr.srt")
    assert pipeline.process(subtitles) == "SUBTITLES"  # its own event starts no job
    video = upload(resources, clip(tmp_path / "film.mp4", seconds=3), f"{folder}/film.mp4")
    assert pipeline.process(video) == "PUBLISHED"
    job = JobModel.get(job_id_for(video.bucket, video.key, video.etag))
    s3, media = resources.s3, resources.settings.media_bucket
    prefix = f"media/{job.asset_id}/"
    manifest = parse(s3.get_object(Bucket=media, Key=prefix + "manifest.mpd")["Body"].read())
    text = [r for r in manifest.representations if r.mime_type == "text/vtt"]
    assert len(text) == 1 and text[0].files == ["subtitles-fr.vtt"]
    vtt = s3.get_object(Bucket=media, Key=prefix + "subtitles-fr.vtt")
    assert vtt["ContentType"].startswith("text/vtt")
    body = vtt["Body"].read().decode()
    assert body.startswith("WEBVTT") and "00:00:00.500 --> 00:00:01.500" in body
    master = s3.get_object(Bucket=media, Key=prefix + "master.m3u8")["Body"].read().decode()
    assert 'TYPE=SUBTITLES' in master and 'LANGUAGE="fr"' in master
    assert all('SUBTITLES="subs"' in line for line in master.splitlines()
               if line.startswith("#EXT-X-STREAM-INF"))


def test_a_job_near_the_time_limit_stops_cleanly_and_the_retry_publishes(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    sent = upload(resources, clip(tmp_path / "late.mp4", seconds=3), f"uploads/{unique()}.mp4")
    clock = iter([900.0, 900.0])  # the lease's length, time to plan, then almost none

    with pytest.raises(OutOfTime):
        pipeline.process(sent, remaining=lambda: next(clock, 10.0))
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert job.status == "ENCODING"  # left for the redelivered message, not half-published
    listed = resources.s3.list_objects_v2(Bucket=resources.settings.media_bucket,
                                          Prefix=f"media/{job.asset_id}/")
    assert listed.get("KeyCount") == 0
    time.sleep(LEASE + 0.2)
    assert pipeline.process(sent) == "PUBLISHED"
    assert JobModel.get(job.job_id).attempts == 2


def test_a_failed_try_lets_go_of_the_job_so_the_next_delivery_takes_it_at_once(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    settings = resources.settings
    as_in_aws = JobStore(lease_seconds=900)  # the encoder's timeout, as the queue's visibility

    class RefusingQueue:
        def dispatch(self, tasks: object) -> None:
            raise RuntimeError("the tasks queue is unreachable")

    broken = Pipeline(pipeline.s3, settings.media_bucket, settings.data_bucket, as_in_aws,
                      attach_asset, preset="ultrafast", dispatcher=RefusingQueue())
    sent = upload(resources, clip(tmp_path / "retry.mp4", seconds=2),
                  f"uploads/{unique()}/retry.mp4")
    with pytest.raises(RuntimeError):  # the fan-out fails after the plan was recorded
        broken.process(sent)
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag), consistent_read=True)
    assert (job.status, job.attempts, job.lease_until) == ("ENCODING", 1, 0)
    healthy = Pipeline(pipeline.s3, settings.media_bucket, settings.data_bucket, as_in_aws,
                       attach_asset, preset="ultrafast")
    assert healthy.process(sent) == "PUBLISHED"  # the redelivery: no lease left to wait out
    assert JobModel.get(job.job_id).attempts == 2


def test_rapid_repeat_uploads_of_one_key_are_encoded_once(
        pipeline: Pipeline, resources: Resources, tmp_path: Path) -> None:
    key = f"uploads/{unique()}/retried.mp4"
    first = upload(resources, clip(tmp_path / "try1.mp4", seconds=2), key)
    pipeline.jobs.open(first.bucket, first.key, first.etag, first.size, None)
    second_file = clip(tmp_path / "try2.mp4", seconds=2)
    second = upload(resources, second_file, key)  # the client sends the file again at once
    pipeline.jobs.open(second.bucket, second.key, second.etag, second.size, None)
    assert pipeline.process(second) == "CANCELLED"
    ignored = JobModel.get(job_id_for(second.bucket, key, second.etag))
    assert ignored.error.startswith("ignored: the same file was uploaded")
    assert pipeline.process(first) == "PUBLISHED"
    published = JobModel.get(job_id_for(first.bucket, key, first.etag))
    assert published.asset_id == file_content_id(second_file)[:32]  # what the key now holds
