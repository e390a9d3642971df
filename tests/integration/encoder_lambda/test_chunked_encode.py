"""Chunked encoding through the real pipeline (real ffmpeg, emulated S3 and DynamoDB): a
source cut into several chunks is published as one seamless title; a truncated source, an
upload for no title and a chunk that always fails end FAILED with a reason a person reads."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.catalogue.titles.playable import attach_asset, title_exists
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.jobs.models import FINAL, JOB_MODELS, JobModel, job_id_for
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services
from encoder_lambda import task_work
from encoder_lambda.content_id import file_content_id
from encoder_lambda.jobs import JobStore
from encoder_lambda.media.binaries import find_tools
from encoder_lambda.media.encode import EncodeFailed
from encoder_lambda.media.mpd import parse
from encoder_lambda.media.packaging import discontinuities, read_tracks
from encoder_lambda.media.probe import probe
from encoder_lambda.pipeline import Pipeline
from encoder_lambda.s3_events import Upload
from encoder_lambda.tasks import Task, plan_chunks
from tests.support import eventually, queue_worker, unique

pytestmark = pytest.mark.integration
FPS = 24


@pytest.fixture(scope="module")
def chunked(resources: Resources, catalogue_services: Services) -> Pipeline:
    """The pipeline with 4 s chunks, so a 10 s clip is three chunks."""
    bind_models(resources.settings, JOB_MODELS)
    settings = resources.settings
    return Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                    JobStore(lease_seconds=1.0), attach_asset, preset="ultrafast",
                    chunk_seconds=4, title_exists=title_exists)


class HeldQueue:
    """A tasks queue that holds what the planner sends, so the test delivers each task."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []

    def dispatch(self, tasks: Sequence[Task]) -> None:
        self.tasks.extend(tasks)


def held_pipeline(resources: Resources, queue: HeldQueue, *, preset: str = "ultrafast",
                  lease: float = 1.0, chunk_seconds: int = 4, cooldown_s: float = 10.0
                  ) -> Pipeline:
    settings = resources.settings
    bind_models(settings, JOB_MODELS)
    return Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                    JobStore(lease_seconds=lease), attach_asset, preset=preset,
                    chunk_seconds=chunk_seconds, dispatcher=queue, cooldown_s=cooldown_s)


def make_clip(path: Path, seconds: float, *, languages: tuple[str, ...] = ("eng",)) -> Path:
    args = [find_tools().ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc2=size=320x180:rate={FPS}:duration={seconds}"]
    for n, _ in enumerate(languages):
        args += ["-f", "lavfi", "-i", f"sine=frequency={300 + 50 * n + hash(path) % 40}"
                                      f":duration={seconds}"]
    args += ["-map", "0:v"] + [arg for n in range(len(languages))
                               for arg in ("-map", f"{n + 1}:a")]
    for n, language in enumerate(languages):
        args += [f"-metadata:s:a:{n}", f"language={language}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
             "-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True, timeout=60)
    return path


def send(resources: Resources, path: Path, title_id: str | None = None) -> Upload:
    s3, bucket = resources.s3, resources.settings.uploads_bucket
    key = f"uploads/{unique()}/{path.name}"
    s3.upload_file(str(path), bucket, key,
                   ExtraArgs={"Metadata": {"title-id": title_id}} if title_id else None)
    head = s3.head_object(Bucket=bucket, Key=key)
    return Upload(bucket=bucket, key=key, size=head["ContentLength"], etag=head["ETag"],
                  event_name="ObjectCreated:Put", event_time="", sequencer="")


def film(catalogue_services: Services) -> str:
    title_id = f"t-{unique()}"
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name="Chunked Film", source="generated", year=2021)])
    return title_id


def test_a_source_of_several_chunks_is_published_as_one_seamless_title(
        chunked: Pipeline, resources: Resources, catalogue_services: Services,
        tmp_path: Path) -> None:
    sent = send(resources, make_clip(tmp_path / "three.mp4", 10, languages=("eng", "fra")),
                film(catalogue_services))
    assert chunked.process(sent) == "PUBLISHED"
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert job.plan["chunks"] == 3 and job.tasks_total == 3 + 2 + 2
    assert set(job.tasks_done) == set(job.plan["tasks"]) and job.progress == 1
    s3, media, prefix = resources.s3, resources.settings.media_bucket, f"media/{job.asset_id}/"
    text = s3.get_object(Bucket=media, Key=prefix + "manifest.mpd")["Body"].read()
    tracks = read_tracks(text)
    video = [t for t in tracks if t.kind == "video"]
    audio = [t for t in tracks if t.kind == "audio"]
    assert [a.language for a in audio] == ["eng", "fra"]  # every track, the default first
    for rung in video:
        assert discontinuities(rung) == []  # each segment starts where the one before ended
        assert len(rung.segments) == 3  # 4 + 4 + 2 s, numbered across the chunks
    stored = {o["Key"].removeprefix(prefix)
              for o in s3.list_objects_v2(Bucket=media, Prefix=prefix)["Contents"]}
    assert set(parse(text).files()) <= stored
    assert {"master.m3u8", "media_a0.m3u8", "media_a1.m3u8", "poster.jpg", "sprite.jpg",
            "thumbnails.vtt"} <= stored
    # Every frame of the source, once, in order: init + the segments of all chunks decode
    # to exactly the source's frames.
    rung = video[-1]
    joined = tmp_path / "joined.mp4"
    with joined.open("wb") as out:
        for name in rung.files:
            out.write(s3.get_object(Bucket=media, Key=prefix + name)["Body"].read())
    frames = subprocess.run(
        [find_tools().ffmpeg, "-hide_banner", "-i", str(joined), "-map", "0:v",
         "-f", "framemd5", "-"], capture_output=True, text=True, check=True).stdout
    pts = [int(line.split(",")[2]) for line in frames.splitlines() if line[:1].isdigit()]
    assert len(pts) == 10 * FPS
    steps = {b - a for a, b in itertools.pairwise(pts)}
    assert len(steps) == 1  # no gap or overlap at the seams


def test_a_truncated_source_fails_naming_where_it_ends(
        chunked: Pipeline, resources: Resources, tmp_path: Path) -> None:
    whole = make_clip(tmp_path / "whole.mp4", 10)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])  # the header declares 10 s
    sent = send(resources, cut)
    assert chunked.process(sent) == "FAILED"
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert job.error.startswith("The source ends at ")
    assert "of a declared 10.00 s" in job.error


def test_an_upload_for_a_title_that_does_not_exist_fails_and_publishes_nothing(
        chunked: Pipeline, resources: Resources, tmp_path: Path) -> None:
    sent = send(resources, make_clip(tmp_path / "orphan.mp4", 2), title_id="t-no-such-title")
    assert chunked.process(sent) == "FAILED"
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert "title t-no-such-title, which does not exist" in job.error
    assert job.asset_id is None


def test_a_chunk_that_always_fails_fails_its_job_naming_the_chunk(
        resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = resources.settings
    queue = HeldQueue()
    queued = queue.tasks
    pipeline = held_pipeline(resources, queue)
    real = task_work.encode_chunk

    def broken(env: task_work.TaskEnv, task: object, work: Path) -> dict[str, object]:
        if getattr(task, "name", "") == "chunk-0001":
            raise EncodeFailed("Invalid data found when processing input", 1)
        return real(env, task, work)  # type: ignore[arg-type]

    monkeypatch.setattr(task_work, "encode_chunk", broken)
    sent = send(resources, make_clip(tmp_path / "bad.mp4", 10))
    assert pipeline.process(sent) == "ENCODING"
    job_id = job_id_for(sent.bucket, sent.key, sent.etag)
    chunk = next(t for t in plan_chunks(job_id, "", 10, 4) if t.name == "chunk-0001")
    task = next(t for t in queued if t.name == chunk.name)
    for attempt in (1, 2):  # SQS delivers it again: the job waits
        with pytest.raises(EncodeFailed):
            pipeline.run_task(task, attempt=attempt)
        assert JobModel.get(job_id).status == "ENCODING"
    assert pipeline.run_task(task, attempt=3) == "FAILED"
    job = JobModel.get(job_id)
    assert job.error == "chunk 1 (4-8 s) failed 3 times; see the job's log."
    log = resources.s3.get_object(Bucket=settings.data_bucket, Key=job.log_key)
    assert b"Invalid data found when processing input" in log["Body"].read()
    for other in queued:  # the rest of the job's tasks now do nothing
        assert pipeline.run_task(other) == "FAILED"


def _ffmpeg_reading(marker: str) -> int | None:
    """The pid of an ffmpeg whose command line names ``marker`` (the upload's key)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"ffmpeg" in argv[0] and any(marker.encode() in a for a in argv) \
                and b"-ss" in argv:
            return int(entry.name)
    return None


def test_a_chunk_killed_mid_encode_is_redelivered_and_published_once(
        resources: Resources, stack_env: dict[str, str], catalogue_services: Services,
        tmp_path: Path) -> None:
    """As Lambda kills an invocation at its timeout: the worker's whole process group (the
    encoder and its ffmpeg) dies mid-chunk; the message comes back after the visibility
    timeout, the chunk is encoded again and the title is published once."""
    settings, sqs, s3 = resources.settings, resources.sqs, resources.s3
    tasks = sqs.get_queue_url(QueueName=settings.encode_tasks_queue)["QueueUrl"]
    before = sqs.get_queue_attributes(QueueUrl=tasks, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"]
    sqs.set_queue_attributes(QueueUrl=tasks, Attributes={"VisibilityTimeout": "5"})
    env = {**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,
           "NOTFLIX_ENCODE_CHUNK_SECONDS": "8", "NOTFLIX_ENCODER_CONCURRENCY": "1"}
    marker = unique("kill")
    try:
        with queue_worker(env, settings.encode_queue, settings.encode_tasks_queue):
            source = make_clip(tmp_path / "kill.mp4", 24)
            key = f"uploads/{marker}/kill.mp4"
            s3.upload_file(str(source), settings.uploads_bucket, key,
                           ExtraArgs={"Metadata": {"title-id": film(catalogue_services)}})
            etag = s3.head_object(Bucket=settings.uploads_bucket, Key=key)["ETag"]
            job_id = job_id_for(settings.uploads_bucket, key, etag)
            bind_models(settings, JOB_MODELS)
            pid = eventually(lambda: _ffmpeg_reading(marker), timeout=60, interval=0.02)
            os.killpg(os.getpgid(pid), signal.SIGKILL)  # the invocation dies with its ffmpeg
            eventually(lambda: JobModel.get(job_id, consistent_read=True).status in FINAL,
                       timeout=180, interval=0.5)
    finally:
        sqs.set_queue_attributes(QueueUrl=tasks, Attributes={"VisibilityTimeout": before})
    job = JobModel.get(job_id, consistent_read=True)
    assert job.status == "PUBLISHED", job.error
    assert set(job.tasks_done) == set(job.plan["tasks"]) and job.plan["chunks"] == 3
    prefix = f"media/{job.asset_id}/"
    text = s3.get_object(Bucket=settings.media_bucket, Key=prefix + "manifest.mpd")["Body"].read()
    stored = {o["Key"].removeprefix(prefix) for o in s3.list_objects_v2(
        Bucket=settings.media_bucket, Prefix=prefix)["Contents"] if o["Key"].endswith(".m4s")}
    assert stored == {f for f in parse(text).files() if f.endswith(".m4s")}  # no stray segment
    for rung in read_tracks(text):
        assert discontinuities(rung) == []


def test_a_cancel_during_fan_out_stops_the_running_chunk_within_seconds(
        resources: Resources, tmp_path: Path) -> None:
    settings = resources.settings
    bind_models(settings, JOB_MODELS)
    queue = HeldQueue()
    queued = queue.tasks
    # A slow preset on a 720p source: the chunk takes long enough to be stopped mid-way.
    pipeline = held_pipeline(resources, queue, preset="slow", chunk_seconds=8)
    source = tmp_path / "long.mp4"
    subprocess.run([find_tools().ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f",
                    "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=16", "-c:v",
                    "libx264", "-preset", "ultrafast", str(source)], check=True, timeout=120)
    sent = send(resources, source)
    assert pipeline.process(sent) == "ENCODING"
    job_id = job_id_for(sent.bucket, sent.key, sent.etag)
    first = next(t for t in queued if t.name == "chunk-0000")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(pipeline.run_task(first)))
    worker.start()
    def started() -> bool:
        progress = JobModel.get(job_id).task_progress
        return progress is not None and "chunk-0000" in progress.as_dict()  # type: ignore[no-untyped-call]

    eventually(started, timeout=60, interval=0.2)
    pipeline.jobs.cancel(job_id)
    worker.join(timeout=60)  # a hang guard only: how fast depends on the machine's load
    # stopped mid-way: a chunk that ran to its end would say DONE (its result unused)
    assert not worker.is_alive() and outcome == ["CANCELLED"]
    job = JobModel.get(job_id, consistent_read=True)
    assert job.status == "CANCELLED" and job.asset_id
    listed = resources.s3.list_objects_v2(Bucket=settings.media_bucket,
                                          Prefix=f"media/{job.asset_id}/")
    assert listed.get("KeyCount") == 0  # nothing half-published is left
    assert {pipeline.run_task(task) for task in queued[1:]} == {"CANCELLED"}


def _top_rung_file(resources: Resources, job: JobModel, folder: Path) -> Path:
    """The published top rung (init + every segment) joined into one file."""
    s3, media, prefix = resources.s3, resources.settings.media_bucket, f"media/{job.asset_id}/"
    text = s3.get_object(Bucket=media, Key=prefix + "manifest.mpd")["Body"].read()
    top = max((t for t in read_tracks(text) if t.kind == "video"),
              key=lambda t: (t.width or 0) * (t.height or 0))
    joined = folder / f"top-{job.job_id}.mp4"
    with joined.open("wb") as out:
        for name in top.files:
            out.write(s3.get_object(Bucket=media, Key=prefix + name)["Body"].read())
    return joined


def _encode(path: Path, lavfi: str, *options: str) -> Path:
    subprocess.run([find_tools().ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", lavfi, *options, str(path)], check=True, timeout=120)
    return path


@pytest.mark.parametrize("kind", ["interlaced", "hdr-pq", "hdr-hlg", "near-720p"])
def test_real_world_sources_are_published_as_progressive_sdr_with_their_rungs(
        kind: str, chunked: Pipeline, resources: Resources, tmp_path: Path) -> None:
    if kind == "interlaced":  # 576i MPEG-2 in MPEG-TS, top field first
        source = _encode(tmp_path / "tv.ts", "gradients=s=720x576:r=50:d=6:speed=0.05:seed=1",
                         "-vf", "tinterlace=mode=interleave_top,setfield=tff",
                         "-flags", "+ilme+ildct", "-c:v", "mpeg2video", "-b:v", "6M")
    elif kind.startswith("hdr"):  # 10-bit HEVC, PQ or HLG, BT.2020
        transfer = "smpte2084" if kind == "hdr-pq" else "arib-std-b67"
        source = _encode(tmp_path / f"{kind}.mp4", "testsrc2=size=640x360:rate=24:d=6",
                         "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                         "-x265-params", f"log-level=error:colorprim=bt2020:transfer={transfer}"
                                         ":colormatrix=bt2020nc",
                         "-color_primaries", "bt2020", "-color_trc", transfer,
                         "-colorspace", "bt2020nc", "-tag:v", "hvc1")
    else:  # a few pixels short of 720p
        source = _encode(tmp_path / "short.mp4", "testsrc2=size=1276x718:rate=24:d=6",
                         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    before = probe(source)
    sent = send(resources, source)
    assert chunked.process(sent) == "PUBLISHED"
    job = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag))
    assert job.plan["chunks"] == 2
    out = probe(_top_rung_file(resources, job, tmp_path))
    assert out.pix_fmt == "yuv420p" and not out.is_hdr and not out.is_interlaced
    if kind == "interlaced":
        assert before.is_interlaced
    elif kind.startswith("hdr"):
        assert before.is_hdr and out.color_transfer in (None, "bt709")
    else:
        top = job.plan["ladder"][0]
        assert (top["name"], top["width"], top["height"]) == ("720p", 1276, 718)
        assert (out.width, out.height) == (1276, 718)


def test_a_newer_file_at_the_same_key_while_the_older_encodes_wins(
        resources: Resources, tmp_path: Path) -> None:
    settings = resources.settings
    bind_models(settings, JOB_MODELS)
    queue = HeldQueue()
    queued = queue.tasks
    pipeline = held_pipeline(resources, queue, cooldown_s=0)
    older = send(resources, make_clip(tmp_path / "v1.mp4", 6))
    assert pipeline.process(older) == "ENCODING"  # planned and pinned to the first file
    older_tasks = list(queued)
    newer_file = make_clip(tmp_path / "v2.mp4", 5)
    resources.s3.upload_file(str(newer_file), older.bucket, older.key)  # the same key
    head = resources.s3.head_object(Bucket=older.bucket, Key=older.key)
    newer = replace(older, etag=head["ETag"], size=head["ContentLength"])
    assert {pipeline.run_task(task) for task in older_tasks} == {"CANCELLED"}
    stopped = JobModel.get(job_id_for(older.bucket, older.key, older.etag))
    assert stopped.status == "CANCELLED" and "replaced by a newer upload" in stopped.error
    queued.clear()
    assert pipeline.process(newer) == "ENCODING"
    assert {pipeline.run_task(task) for task in queued} >= {"PUBLISHED"}
    published = JobModel.get(job_id_for(newer.bucket, newer.key, newer.etag))
    assert published.status == "PUBLISHED"
    assert published.asset_id == file_content_id(newer_file)[:32]  # the newer content
    archived = resources.s3.head_object(Bucket=older.bucket,
                                        Key="processed/" + older.key.removeprefix("uploads/"))
    assert archived["ETag"] == head["ETag"]  # what was archived is what was encoded


def test_the_same_upload_event_again_after_fan_out_plans_nothing(
        resources: Resources, tmp_path: Path) -> None:
    settings = resources.settings
    bind_models(settings, JOB_MODELS)
    queue = HeldQueue()
    queued = queue.tasks
    pipeline = held_pipeline(resources, queue, lease=0.1)
    sent = send(resources, make_clip(tmp_path / "twice.mp4", 6))
    assert pipeline.process(sent) == "ENCODING"
    planned = JobModel.get(job_id_for(sent.bucket, sent.key, sent.etag), consistent_read=True)
    sent_tasks = len(queued)
    time.sleep(0.2)  # the planner's lease is over: only the plan's mark stops a new plan
    assert pipeline.process(sent) == "ENCODING"  # S3 delivered the event twice
    again = JobModel.get(planned.job_id, consistent_read=True)
    assert len(queued) == sent_tasks and again.attempts == planned.attempts
    assert again.stages["PROBING"] == planned.stages["PROBING"]
    assert {pipeline.run_task(task) for task in queued} >= {"PUBLISHED"}
