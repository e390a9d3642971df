"""One upload through the encoder: plan it, run its tasks, assemble and publish it.

The job record (encoder_lambda.jobs) says where an upload is; every step moves it with a
conditional write, so a redelivered message or a cancel cannot make it publish twice. The
source's content id (encoder_lambda.content_id) names the asset: content already published
is linked, not encoded again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.episodes import episode_key
from chalicelib.jobs.models import FINAL, JobModel, title_settings
from encoder_lambda import task_work
from encoder_lambda.archive import archive_source, left_behind
from encoder_lambda.assemble import AssemblyFailed, assemble
from encoder_lambda.content_id import content_id
from encoder_lambda.dispatch import Dispatcher, InlineDispatcher
from encoder_lambda.jobs import JobStore, TransitionRefused
from encoder_lambda.media.ladder import choose_ladder
from encoder_lambda.media.probe import InvalidSource, SourceInfo
from encoder_lambda.publish import MANIFEST, is_published, publish, remove, stored_names
from encoder_lambda.s3_events import Upload
from encoder_lambda.source_probe import audio_streams, decide_field_order, probe_source
from encoder_lambda.source_url import source_url
from encoder_lambda.task_store import TaskStore
from encoder_lambda.tasks import SEGMENT_SECONDS, Task, chunk_seconds_for, plan_tasks

#: Where a final job's upload is archived (a cancelled job's upload is not moved).
ARCHIVE_PREFIX = {"PUBLISHED": "processed/", "FAILED": "failed/"}
logger = Logger(service="notflix-encoder", use_rfc3339=True)
#: Stop encoding when less than this much of the invocation's time is left.
SAFETY_SECONDS = 60.0
#: A task stops its ffmpeg with less than this left: what follows (retiming and storing one
#: chunk's segments, or assembling) takes seconds, not a minute.
TASK_SAFETY_SECONDS = 15.0
PROGRESS_EVERY_SECONDS = 2.0
#: Uploaded beside a video (`film.mp4` + `film.en.srt`, sent first): read by the video's job.
SUBTITLE_SUFFIXES = (".srt", ".vtt")

#: (title id, asset summary, episode key or None) -> whether the title (or episode) exists.
AttachAsset = Callable[[str, dict[str, Any], str | None], bool]
#: (title id, episode key or None) -> whether uploads may name it.
TitleExists = Callable[[str, str | None], bool]


class OutOfTime(Exception):
    """The invocation is about to time out; the message goes back to the queue."""


class JobBusy(Exception):
    """Another worker holds the job's lease; the message is retried after it."""


class Pipeline:
    def __init__(self, s3: Any, media_bucket: str, log_bucket: str, jobs: JobStore,
                 attach_asset: AttachAsset, workdir: Path | None = None,
                 preset: str = "veryfast", cooldown_s: float = 10.0, *,
                 dispatcher: Dispatcher | None = None, chunk_seconds: int = 60,
                 title_exists: TitleExists | None = None, max_attempts: int = 3,
                 s3_copies: Any = None) -> None:
        self.s3 = s3
        #: S3 for archiving sources: server-side copies of whole films want a long timeout.
        self.s3_copies = s3_copies or s3
        self.media_bucket = media_bucket
        self.log_bucket = log_bucket
        self.jobs = jobs
        self.attach_asset = attach_asset
        self.workdir = workdir or Path(tempfile.gettempdir()) / "notflix-encoder"
        self.preset = preset
        #: Repeat uploads of one key within this window collapse into the first one.
        self.cooldown_s = cooldown_s
        self.chunk_seconds = chunk_seconds
        #: A task failing this many times (the queue's maxReceiveCount) fails its job.
        self.max_attempts = max_attempts
        self.title_exists: TitleExists = title_exists or (lambda _title, _episode: True)
        self.tasks = TaskStore(s3, log_bucket)
        self._planned_remaining: Callable[[], float] = lambda: float("inf")
        if dispatcher is None:
            # Without a queue the tasks run here, one after another, on the planner's clock;
            # a failure is final at once (there is no redelivery to wait for).
            dispatcher = InlineDispatcher(lambda task: self.run_task(
                task, self._planned_remaining, attempt=self.max_attempts))
        self.dispatcher = dispatcher

    def process(self, upload: Upload, remaining: Callable[[], float] = lambda: float("inf")
                ) -> str:
        """Work the upload's job to a final state (or raise OutOfTime); its final status."""
        if upload.key.lower().endswith(SUBTITLE_SUFFIXES):
            logger.info("subtitles kept for the video beside them", key=upload.key)
            return "SUBTITLES"
        known = self.jobs.find(upload.bucket, upload.key, upload.etag)
        if known is not None and known.status in FINAL:
            logger.info("job already final; nothing to do", job_id=known.job_id,
                        status=known.status)
            self._archive_left(known)
            return str(known.status)
        head = self._head(upload)
        if head is None:  # moved or deleted since the event: nothing left to encode
            logger.info("upload is gone; nothing to do", key=upload.key)
            return "GONE"
        metadata = head.get("Metadata") or {}
        title_id = metadata.get("title-id")
        episode = episode_key(metadata.get("episode")) if title_id else None
        job = self.jobs.open(upload.bucket, upload.key, upload.etag, upload.size, title_id,
                             episode, metadata.get("uploader"))
        logger.thread_safe_append_keys(job_id=job.job_id)
        try:
            if job.status in FINAL:
                logger.info("job already final; nothing to do", status=job.status)
                return str(job.status)
            if job.status in ("ENCODING", "PACKAGING") and (job.plan or {}).get("dispatched"):
                # The same upload event again (S3 delivers at least once; a multipart upload
                # may notify twice): its tasks are out, the job goes on without a new plan.
                logger.info("job already fanned out; nothing to do", status=job.status)
                return str(job.status)
            if job.cancel_requested:
                self.jobs.move(job, "CANCELLED")
                return "CANCELLED"
            only_latest, cooldown = title_settings(job.title_id)
            cooldown = cooldown if job.title_id else self.cooldown_s
            if job.status == "QUEUED" and self.jobs.repeated_within(job, cooldown):
                self.jobs.move(job, "CANCELLED", outcome="cooldown", error=(
                    f"ignored: the same file was uploaded less than {cooldown:.0f} s "
                    "earlier, and that upload encodes what the file now holds"))
                return "CANCELLED"
            if job.status == "QUEUED" and only_latest and self.jobs.superseded(job):
                self.jobs.move(job, "CANCELLED", outcome="superseded", error="superseded by a "
                               "newer upload of the same file or title")
                return "CANCELLED"
            return self._run(job, upload, remaining, forced=metadata.get("force") == "1",
                             current=_bare(str(head.get("ETag", upload.etag))),
                             size=int(head.get("ContentLength", upload.size)))
        except TransitionRefused as refused:
            current = JobModel.get(job.job_id, consistent_read=True)
            if current.status in FINAL:
                return str(current.status)
            if current.cancel_requested:
                self.jobs.move(current, "CANCELLED")
                return "CANCELLED"
            raise JobBusy(str(refused)) from refused
        finally:
            logger.thread_safe_remove_keys(["job_id"])

    def _run(self, job: JobModel, upload: Upload, remaining: Callable[[], float], *,
             forced: bool = False, current: str = "",
             size: int = 0) -> str:
        """Take the job's lease, then work it; a try that fails lets go of the lease.

        The lease ends with this invocation (its remaining time), so it never outlasts the
        message's visibility timeout; a failed try also lets go of it at once, so the
        message's next delivery takes the job instead of failing with JobBusy (which would
        spend one of its few receives).
        """
        self.jobs.move(job, "PROBING", lease_for=remaining())
        try:
            return self._work(job, upload, remaining, forced=forced,
                              current=current or _bare(job.etag), size=size)
        except Exception:
            try:
                self.jobs.release(job)
            except Exception as exc:  # the store is down too: the lease runs out by itself
                logger.warning("job lease not released", error=type(exc).__name__)
            raise

    def _work(self, job: JobModel, upload: Upload, remaining: Callable[[], float], *,
              forced: bool, current: str, size: int) -> str:
        """Plan the job and fan its tasks out; ``forced`` (a re-encode) encodes content that
        is already published.

        The job encodes what the key holds when it is planned (``current``, its ETag: a
        repeat upload within the cooldown was folded into this job); every read of every
        task is pinned to that ETag, so a newer object written meanwhile stops this job
        (CANCELLED, superseded) and is encoded by its own.
        """
        upload = replace(upload, etag=current)
        if job.title_id and not self.title_exists(job.title_id, job.episode):
            what = f"episode {job.episode} of " if job.episode else ""
            return self._fail(job, upload, f"The upload names {what}title {job.title_id}, "
                                           "which does not exist; nothing was published.")
        sidecars = self._sidecars(upload)
        size = size or int(job.size or upload.size)
        content = content_id(self.s3, upload.bucket, upload.key, size, if_match=current)
        asset_id = _asset_id(content, [str(item["ETag"]) for item in sidecars])
        if not forced and is_published(self.s3, self.media_bucket, asset_id):
            return self._finish(job, upload, asset_id, self._asset_summary(asset_id), "linked")
        source = source_url(self.s3, upload.bucket, upload.key, current)
        try:
            info = probe_source(source)
        except InvalidSource as exc:
            return self._fail(job, upload, exc.reason)
        info = decide_field_order(source, info)
        _check_time(job, remaining)
        tracks = audio_streams(info)
        tasks = plan_tasks(job.job_id, asset_id, info.duration_s, self.chunk_seconds, tracks)
        chunks = sum(1 for t in tasks if t.kind == "chunk")
        plan = {"tasks": [t.name for t in tasks], "chunks": chunks,
                "chunk_seconds": chunk_seconds_for(self.chunk_seconds),
                "segment_seconds": SEGMENT_SECONDS, "duration_s": info.duration_s,
                "ladder": [asdict(r) for r in choose_ladder(info)],
                "sidecars": [str(item["Key"]) for item in sidecars], "forced": forced,
                "source_etag": current, "field_order": info.field_order,
                "chunk_ranges": {t.name: [t.start_s, t.end_s] for t in tasks
                                 if t.kind == "chunk"}}
        self.jobs.start_fanout(job, plan, len(tasks), sha256=asset_id, asset_id=asset_id,
                               source_info=_info_dict(info))
        logger.info("planned", asset_id=asset_id, chunks=chunks, tasks=len(tasks),
                    duration_s=info.duration_s)
        self._planned_remaining = remaining
        self.dispatcher.dispatch(tasks)
        self.jobs.mark_dispatched(job.job_id, plan)
        return str(JobModel.get(job.job_id, consistent_read=True).status)

    # --- tasks -------------------------------------------------------------------------

    def run_task(self, task: Task, remaining: Callable[[], float] = lambda: float("inf"),
                 *, attempt: int = 1) -> str:
        """Do one task of a planned job; the last one to finish assembles and publishes.

        A failure raises (the message is retried) until ``attempt`` reaches the queue's
        ``max_attempts``: then the job is FAILED naming the task and ffmpeg's last lines.
        """
        logger.thread_safe_append_keys(job_id=task.job_id, task=task.name)
        try:
            return self._task(task, remaining, attempt)
        finally:
            logger.thread_safe_remove_keys(["job_id", "task"])

    def _task(self, task: Task, remaining: Callable[[], float], attempt: int) -> str:
        try:
            job = JobModel.get(task.job_id, consistent_read=True)
        except JobModel.DoesNotExist:
            logger.warning("task of an unknown job dropped")
            return "GONE"
        if job.status in FINAL:
            self._archive_left(job)
            return str(job.status)
        if job.cancel_requested:
            return self._cancel(job)
        done = set(job.tasks_done or ())
        if task.name in done or job.status == "PACKAGING":
            if job.status == "PACKAGING" or len(done) >= int(job.tasks_total or 0):
                return self._assemble(job, remaining)  # its assembler died: again, at once
            return "DONE"
        if job.status != "ENCODING":
            raise JobBusy(f"job {job.job_id} is {job.status}, not yet fanned out")
        if remaining() < TASK_SAFETY_SECONDS:
            raise OutOfTime(f"{task.label}: under {TASK_SAFETY_SECONDS:.0f} s left")
        upload = _upload_of(job)
        try:
            result = task_work.run_task(self._env(job, task, remaining), task)
        except task_work.TaskStopped:
            if remaining() < TASK_SAFETY_SECONDS:
                raise OutOfTime(f"{task.label} stopped before the time limit") from None
            return self._after_stop(task.job_id)
        except task_work.SourceShort as exc:
            return self._fail(self._fresh(job), upload, exc.reason)
        except task_work.SourceReplaced:
            return self._end(self._fresh(job), "CANCELLED", "superseded",
                             "the file was replaced by a newer upload while it encoded; "
                             "the newer upload is encoded instead")
        except InvalidSource as exc:
            return self._fail(self._fresh(job), upload, exc.reason)
        except Exception as exc:
            if attempt < self.max_attempts:
                logger.exception("task failed; will be retried", attempt=attempt)
                raise
            logger.exception("task failed for the last time", attempt=attempt)
            detail = getattr(exc, "stderr_tail", "") or f"{type(exc).__name__}: {exc}"
            return self._fail(self._fresh(job), upload,
                              f"{task.label} failed {attempt} times; see the job's log.",
                              detail)
        self.tasks.put_result(task.job_id, task.name, result)
        updated = self.jobs.task_done(task.job_id, task.name)
        finished = len(updated.tasks_done or ())
        logger.info("task done", done=finished, total=updated.tasks_total)
        if updated.status == "ENCODING" and finished >= int(updated.tasks_total or 0):
            return self._assemble(updated, remaining)
        return "DONE"

    def _env(self, job: JobModel, task: Task, remaining: Callable[[], float]
             ) -> task_work.TaskEnv:
        source = source_url(self.s3, job.bucket, job.key, _source_etag(job))
        plan = job.plan or {}
        info = replace(probe_source(source), field_order=plan.get("field_order"))
        report = self._reporter(job.job_id, task.name)
        last_ok = [True]

        def go_on(fraction: float) -> bool:
            last_ok[0] = report(fraction)
            return last_ok[0]

        def should_stop() -> bool:
            return remaining() < TASK_SAFETY_SECONDS or not last_ok[0] or not report(None)

        return task_work.TaskEnv(
            s3=self.s3, media_bucket=self.media_bucket, store=self.tasks, source=source,
            info=info, ladder=choose_ladder(info), workdir=self.workdir, preset=self.preset,
            report=go_on, should_stop=should_stop,
            segment_seconds=int(plan.get("segment_seconds", SEGMENT_SECONDS)),
            sidecars=tuple(plan.get("sidecars", ())), uploads_bucket=job.bucket)

    def _reporter(self, job_id: str, name: str) -> Callable[[float | None], bool]:
        """Write the task's progress at most every PROGRESS_EVERY_SECONDS; False once the
        job no longer wants the work. ``None`` only asks (it writes the last fraction)."""
        last_write = float("-inf")
        fraction_seen = 0.0
        wanted = True

        def report(fraction: float | None) -> bool:
            nonlocal last_write, fraction_seen, wanted
            if fraction is not None:
                fraction_seen = max(fraction_seen, fraction)
            now = time.monotonic()
            if wanted and (now - last_write >= PROGRESS_EVERY_SECONDS
                           or fraction == 1.0):
                last_write = now
                wanted = self.jobs.task_progress(job_id, name, fraction_seen)
            return wanted

        return report

    def _assemble(self, job: JobModel, remaining: Callable[[], float]) -> str:
        upload = _upload_of(job)
        if job.status == "ENCODING":
            try:
                self.jobs.move(job, "PACKAGING")
            except TransitionRefused:
                return str(self._fresh(job).status)
        asset_id = str(job.asset_id)
        work = self.workdir / job.job_id / "assemble"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            source = source_url(self.s3, job.bucket, job.key, _source_etag(job))
            info = probe_source(source)
            results = self.tasks.results(job.job_id)
            tiles = self.tasks.download_tiles(job.job_id, work / "tiles")
            stored = stored_names(self.s3, self.media_bucket, asset_id)
            try:
                made = assemble(results, job.plan or {}, info, tiles, work / "out", stored)
            except AssemblyFailed as exc:
                return self._fail(job, upload, f"The title could not be assembled: {exc.reason}")
            fingerprinted = job.episode is not None and _fingerprint(source, info, made.folder)
            summary = {"asset_id": asset_id, "manifest": f"media/{asset_id}/{MANIFEST}",
                       "hls": f"media/{asset_id}/master.m3u8",
                       "poster": f"media/{asset_id}/poster.jpg",
                       "thumbnails": f"media/{asset_id}/thumbnails.vtt",
                       "duration_s": round(made.duration_s, 3),
                       "subtitles": [{"language": t.language, "file": t.file_name}
                                     for t in made.text_tracks],
                       "audio": [{"id": t.id, "language": t.language, "label": t.label}
                                 for t in made.tracks if t.kind == "audio"],
                       "renditions": (job.plan or {}).get("ladder", []),
                       "chunks": (job.plan or {}).get("chunks", 1),
                       "encode_seconds": round(_stage_seconds(job, "ENCODING"), 2)}
            if fingerprinted:  # an episode's: the season's intro and credits are found in it
                summary["fingerprint"] = FINGERPRINT
            (made.folder / "asset.json").write_text(json.dumps(summary))
            if self.jobs.cancel_requested(job.job_id):
                return self._cancel(self._fresh(job))
            files = [(p, p.relative_to(made.folder).as_posix())
                     for p in sorted(made.folder.rglob("*")) if p.is_file()]
            publish(self.s3, self.media_bucket, asset_id, files)
            return self._finish(self._fresh(job), upload, asset_id, summary, "encoded")
        except InvalidSource as exc:
            return self._fail(job, upload, exc.reason)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _after_stop(self, job_id: str) -> str:
        job = JobModel.get(job_id, consistent_read=True)
        if job.status in FINAL:
            return str(job.status)
        if job.cancel_requested:
            return self._cancel(job)
        return str(job.status)

    def _cancel(self, job: JobModel) -> str:
        return self._end(job, "CANCELLED", None, None)

    def _end(self, job: JobModel, status: str, outcome: str | None, error: str | None) -> str:
        """Move the job to a final state (unless someone did already) and clear its files."""
        try:
            fields: dict[str, Any] = {"error": error} if error else {}
            self.jobs.move(job, status, outcome=outcome, **fields)
        except TransitionRefused:
            return str(self._fresh(job).status)
        self._discard_partial(job)
        return status

    def _discard_partial(self, job: JobModel) -> None:
        """Segments of an asset that never got its manifest are removed."""
        if job.asset_id and not is_published(self.s3, self.media_bucket, str(job.asset_id)):
            remove(self.s3, self.media_bucket, str(job.asset_id))

    @staticmethod
    def _fresh(job: JobModel) -> JobModel:
        return JobModel.get(job.job_id, consistent_read=True)

    def _sidecars(self, upload: Upload) -> list[dict[str, Any]]:
        """Subtitle files uploaded beside the video: `film.mp4` -> `film.en.srt`."""
        stem = upload.key.rsplit(".", 1)[0] + "."
        listed = self.s3.list_objects_v2(Bucket=upload.bucket, Prefix=stem).get("Contents", [])
        return [item for item in listed if str(item["Key"]).lower().endswith(SUBTITLE_SUFFIXES)
                and int(item.get("Size", 0)) <= 5_000_000]

    def _head(self, upload: Upload) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        from chalicelib.platform.aws import is_missing

        try:
            return dict(self.s3.head_object(Bucket=upload.bucket, Key=upload.key))
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise

    def _write_log(self, job: JobModel, text: str) -> str:
        log_key = f"jobs/{job.job_id}/log.txt"
        self.s3.put_object(Bucket=self.log_bucket, Key=log_key, Body=text.encode(),
                           ContentType="text/plain; charset=utf-8")
        return log_key

    def _finish(self, job: JobModel, upload: Upload, asset_id: str, summary: dict[str, Any],
                how: str) -> str:
        if job.title_id and not self.attach_asset(job.title_id, summary, job.episode):
            what = f"episode {job.episode} of " if job.episode else ""
            return self._fail(job, upload, f"The upload names {what}title {job.title_id}, "
                                           "which no longer exists; nothing was published.")
        log_key = self._write_log(job, f"{how} {upload.key} as asset {asset_id}\n"
                                       f"{json.dumps(summary, indent=2)}\n")
        self.jobs.move(job, "PUBLISHED", outcome=how, asset_id=asset_id, progress=1,
                       log_key=log_key)
        self._move_source(upload, "processed/")
        logger.info("published", asset_id=asset_id, how=how)
        return "PUBLISHED"

    def _fail(self, job: JobModel, upload: Upload, reason: str, detail: str = "") -> str:
        log_key = self._write_log(job, f"{reason}\n\nffmpeg said:\n{detail}\n")
        try:
            self.jobs.move(job, "FAILED", outcome="failed", error=reason, log_key=log_key)
        except TransitionRefused:
            current = self._fresh(job)
            if current.status in FINAL:  # another task ended it first: its word stands
                return str(current.status)
            self.jobs.move(current, "FAILED", outcome="failed", error=reason,
                           log_key=log_key)
        self._discard_partial(job)
        self._move_source(upload, "failed/")
        logger.warning("job failed", reason=reason)
        return "FAILED"

    def _move_source(self, upload: Upload, prefix: str) -> None:
        """Archive the upload this job encoded (encoder_lambda.archive)."""
        archive_source(self.s3_copies, upload.bucket, upload.key, upload.etag, prefix)

    def _archive_left(self, job: JobModel) -> None:
        """A final job whose upload is still under uploads/: its archive was cut short (the
        invocation ended after the job was final). The message's next delivery finishes it."""
        prefix = ARCHIVE_PREFIX.get(str(job.status))
        if prefix and job.etag and str(job.key).startswith("uploads/") and left_behind(
                self.s3_copies, str(job.bucket), str(job.key), str(job.etag)):
            archive_source(self.s3_copies, str(job.bucket), str(job.key), str(job.etag),
                           prefix)

    def _asset_summary(self, asset_id: str) -> dict[str, Any]:
        found = self.s3.get_object(Bucket=self.media_bucket, Key=f"media/{asset_id}/asset.json")
        return dict(json.loads(found["Body"].read()))


def _asset_id(video_sha256: str, sidecar_etags: list[str]) -> str:
    """The video's hash names the asset; subtitles beside it make a different asset."""
    if not sidecar_etags:
        return video_sha256[:32]
    combined = "\n".join([video_sha256, *sorted(sidecar_etags)])
    return hashlib.sha256(combined.encode()).hexdigest()[:32]


def _upload_of(job: JobModel) -> Upload:
    return Upload(bucket=job.bucket, key=job.key, size=int(job.size or 0),
                  etag=_source_etag(job), event_name="", event_time="", sequencer="")


def _source_etag(job: JobModel) -> str:
    """The ETag of the content the job encodes (pinned when it was planned)."""
    return str((job.plan or {}).get("source_etag") or _bare(job.etag))


def _bare(etag: str) -> str:
    return etag.strip('"')


def _stage_seconds(job: JobModel, stage: str) -> float:
    from datetime import datetime

    found = (job.stages or {}).get(stage) or {}
    if "started_at" not in found:
        return 0.0
    started = datetime.fromisoformat(str(found["started_at"]).replace("Z", "+00:00"))
    ended = found.get("ended_at")
    end = (datetime.fromisoformat(str(ended).replace("Z", "+00:00")) if ended
           else datetime.now(started.tzinfo))
    return max(0.0, (end - started).total_seconds())


def _check_time(job: JobModel, remaining: Callable[[], float]) -> None:
    """Give the message back to the queue rather than start what cannot finish in time."""
    if remaining() < SAFETY_SECONDS:
        raise OutOfTime(f"job {job.job_id}: under {SAFETY_SECONDS:.0f} s left")


def _info_dict(info: SourceInfo) -> dict[str, Any]:
    return {"duration_s": info.duration_s, "width": info.width, "height": info.height,
            "fps": info.fps, "video_codec": info.video_codec, "audio_codec": info.audio_codec,
            "rotation": info.rotation, "subtitles": len(info.subtitles)}


FINGERPRINT = "fingerprint.json"


def _fingerprint(source: Any, info: Any, folder: Path) -> bool:
    """The episode's opening and closing audio fingerprints into ``folder`` (best effort:
    without them the episode plays, only without "Skip intro")."""
    if info.audio_index is None:
        return False
    from encoder_lambda.media.fingerprint import fingerprint

    try:
        found = fingerprint(source.url, float(info.duration_s), source.argv()[:-2],
                            info.audio_index)
    except Exception as exc:
        logger.warning("no audio fingerprint", error=type(exc).__name__, detail=str(exc)[:200])
        return False
    (folder / FINGERPRINT).write_text(json.dumps(found.as_json()))
    return True
