"""One upload through the encoder: probe, encode the ladder, package, publish, record.

The job record (encoder_lambda.jobs) says where an upload is; every step moves it with a
conditional write, so a redelivered message or a cancel cannot make it publish twice. The
source's SHA-256 names the asset: content already published is linked, not encoded again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.catalogue.episodes import episode_key
from chalicelib.jobs.models import FINAL, JobModel, title_settings
from encoder_lambda.jobs import JobStore, TransitionRefused
from encoder_lambda.media.encode import EncodeCancelled, EncodeFailed, encode
from encoder_lambda.media.ladder import choose_ladder
from encoder_lambda.media.probe import InvalidSource, SourceInfo, probe
from encoder_lambda.media.subtitles import (
    InvalidSubtitles,
    extract,
    language_from_name,
    to_webvtt,
)
from encoder_lambda.media.text_tracks import TextTrack, add_to_hls, add_to_mpd
from encoder_lambda.media.thumbnails import finish_sprite, plan_sprite, poster, poster_time
from encoder_lambda.publish import MANIFEST, is_published, publish, remove
from encoder_lambda.s3_events import Upload

logger = Logger(service="notflix-encoder", use_rfc3339=True)
#: Stop encoding when less than this much of the invocation's time is left.
SAFETY_SECONDS = 60.0
PROGRESS_EVERY_SECONDS = 2.0
CANCEL_CHECK_SECONDS = 2.0
#: Uploaded beside a video (`film.mp4` + `film.en.srt`, sent first): read by the video's job.
SUBTITLE_SUFFIXES = (".srt", ".vtt")

#: (title id, asset summary, episode key or None) -> whether the title (or episode) exists.
AttachAsset = Callable[[str, dict[str, Any], str | None], bool]


class OutOfTime(Exception):
    """The invocation is about to time out; the message goes back to the queue."""


class JobBusy(Exception):
    """Another worker holds the job's lease; the message is retried after it."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Pipeline:
    def __init__(self, s3: Any, media_bucket: str, log_bucket: str, jobs: JobStore,
                 attach_asset: AttachAsset, workdir: Path | None = None,
                 preset: str = "veryfast", cooldown_s: float = 10.0) -> None:
        self.s3 = s3
        self.media_bucket = media_bucket
        self.log_bucket = log_bucket
        self.jobs = jobs
        self.attach_asset = attach_asset
        self.workdir = workdir or Path(tempfile.gettempdir()) / "notflix-encoder"
        self.preset = preset
        #: Repeat uploads of one key within this window collapse into the first one.
        self.cooldown_s = cooldown_s

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
            work = self.workdir / job.job_id
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            try:
                return self._run(job, upload, work, remaining,
                                 forced=metadata.get("force") == "1")
            finally:
                shutil.rmtree(work, ignore_errors=True)
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

    def _run(self, job: JobModel, upload: Upload, work: Path,
             remaining: Callable[[], float], *, forced: bool = False) -> str:
        """Take the job's lease, then work it; a try that fails lets go of the lease.

        The lease ends with this invocation (its remaining time), so it never outlasts the
        message's visibility timeout; a failed try also lets go of it at once, so the
        message's next delivery takes the job instead of failing with JobBusy (which would
        spend one of its few receives).
        """
        self.jobs.move(job, "PROBING", lease_for=remaining())
        try:
            return self._work(job, upload, work, remaining, forced=forced)
        except Exception:
            try:
                self.jobs.release(job)
            except Exception as exc:  # the store is down too: the lease runs out by itself
                logger.warning("job lease not released", error=type(exc).__name__)
            raise

    def _work(self, job: JobModel, upload: Upload, work: Path,
              remaining: Callable[[], float], *, forced: bool = False) -> str:
        """Encode and publish; ``forced`` (a re-encode) encodes content already published."""
        source = work / ("source" + Path(upload.key).suffix.lower()[:10])
        self.s3.download_file(upload.bucket, upload.key, str(source))
        sidecars = self._sidecars(upload)
        with ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher:
            digest = hasher.submit(sha256_of, source)  # hashlib releases the GIL: alongside
            try:
                info: SourceInfo | None = probe(source)
                invalid = ""
            except InvalidSource as exc:
                info, invalid = None, exc.reason
            asset_id = _asset_id(digest.result(), [str(item["ETag"]) for item in sidecars])
        if not forced and is_published(self.s3, self.media_bucket, asset_id):
            return self._finish(job, upload, asset_id, self._asset_summary(asset_id), "linked")
        if info is None:
            return self._fail(job, upload, invalid)
        _check_time(job, remaining)
        self.jobs.move(job, "ENCODING", sha256=asset_id, asset_id=asset_id,
                       source_info=_info_dict(info))
        out = work / "out"
        # The poster reads one frame of the source: it is made while the ladder encodes. The
        # sprite is an extra output of the encode itself (tiled from its smallest rung).
        pool = ThreadPoolExecutor(1, thread_name_prefix="poster")
        made_poster = pool.submit(poster, source, work / "poster.jpg", poster_time(info))
        sprite_plan = plan_sprite(info)
        try:
            result = encode(source, out, info, choose_ladder(info), preset=self.preset,
                            on_progress=self._progress(job),
                            should_stop=self._stop_check(job, remaining),
                            sprite=(sprite_plan, out))
        except EncodeCancelled:
            if remaining() < SAFETY_SECONDS:
                raise OutOfTime(f"job {job.job_id} stopped before the time limit") from None
            self.jobs.move(job, "CANCELLED")
            return "CANCELLED"
        except EncodeFailed as exc:
            return self._fail(job, upload, "ffmpeg could not encode the file", exc.stderr_tail)
        finally:
            pool.shutdown(wait=True)
        self.jobs.move(job, "PACKAGING")
        shutil.move(str(made_poster.result()), out / "poster.jpg")
        finish_sprite(sprite_plan, out)
        tracks = self._subtitles(upload, sidecars, source, info, out, work / "subtitles")
        add_to_mpd(out / MANIFEST, tracks)
        add_to_hls(out / "master.m3u8", tracks, info.duration_s)
        summary = {"asset_id": asset_id, "manifest": f"media/{asset_id}/{MANIFEST}",
                   "hls": f"media/{asset_id}/master.m3u8", "poster": f"media/{asset_id}/poster.jpg",
                   "thumbnails": f"media/{asset_id}/thumbnails.vtt",
                   "duration_s": round(info.duration_s, 3),
                   "subtitles": [{"language": t.language, "file": t.file_name} for t in tracks],
                   "renditions": [asdict(r) for r in choose_ladder(info)],
                   "encode_seconds": round(result.elapsed_s, 2)}
        (out / "asset.json").write_text(json.dumps(summary))
        _check_time(job, remaining)
        if self.jobs.cancel_requested(job.job_id):
            self.jobs.move(job, "CANCELLED")
            return "CANCELLED"
        files = [(p, p.relative_to(out).as_posix()) for p in sorted(out.rglob("*"))
                 if p.is_file()]
        try:
            publish(self.s3, self.media_bucket, asset_id, files)
        except Exception:
            remove(self.s3, self.media_bucket, asset_id)
            raise
        return self._finish(job, upload, asset_id, summary, "encoded")

    def _sidecars(self, upload: Upload) -> list[dict[str, Any]]:
        """Subtitle files uploaded beside the video: `film.mp4` -> `film.en.srt`."""
        stem = upload.key.rsplit(".", 1)[0] + "."
        listed = self.s3.list_objects_v2(Bucket=upload.bucket, Prefix=stem).get("Contents", [])
        return [item for item in listed if str(item["Key"]).lower().endswith(SUBTITLE_SUFFIXES)
                and int(item.get("Size", 0)) <= 5_000_000]

    def _subtitles(self, upload: Upload, sidecars: list[dict[str, Any]], source: Path,
                   info: SourceInfo, out: Path, scratch: Path) -> list[TextTrack]:
        """Sidecar .srt/.vtt files uploaded beside the video, then the source's own tracks."""
        tracks: list[TextTrack] = []

        def add(vtt: str, language: str | None, label: str) -> None:
            lang = language or "und"
            name = f"subtitles-{lang}.vtt"
            if any(t.file_name == name for t in tracks):
                name = f"subtitles-{lang}-{len(tracks)}.vtt"
            (out / name).write_text(vtt, encoding="utf-8")
            tracks.append(TextTrack(name, lang, label))

        for item in sidecars:
            name = str(item["Key"])
            raw = self.s3.get_object(Bucket=upload.bucket, Key=name)["Body"].read()
            try:
                add(to_webvtt(raw), language_from_name(name), Path(name).name)
            except InvalidSubtitles as exc:
                logger.warning("subtitles skipped", key=name, reason=exc.reason)
        scratch.mkdir(parents=True, exist_ok=True)
        for found in extract(source, scratch, info):
            add(found.path.read_text(encoding="utf-8"), found.language,
                found.title or found.language or f"track {found.stream_index}")
        return tracks

    def _head(self, upload: Upload) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        from chalicelib.aws import is_missing

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
        if job.title_id:
            self.attach_asset(job.title_id, summary, job.episode)
        log_key = self._write_log(job, f"{how} {upload.key} as asset {asset_id}\n"
                                       f"{json.dumps(summary, indent=2)}\n")
        self.jobs.move(job, "PUBLISHED", outcome=how, asset_id=asset_id, progress=1,
                       log_key=log_key)
        self._move_source(upload, "processed/")
        logger.info("published", asset_id=asset_id, how=how)
        return "PUBLISHED"

    def _fail(self, job: JobModel, upload: Upload, reason: str, detail: str = "") -> str:
        log_key = self._write_log(job, f"{reason}\n\nffmpeg said:\n{detail}\n")
        self.jobs.move(job, "FAILED", outcome="failed", error=reason, log_key=log_key)
        self._move_source(upload, "failed/")
        logger.warning("job failed", reason=reason)
        return "FAILED"

    def _move_source(self, upload: Upload, prefix: str) -> None:
        name = upload.key.removeprefix("uploads/")
        self.s3.copy_object(Bucket=upload.bucket, Key=prefix + name,
                            CopySource={"Bucket": upload.bucket, "Key": upload.key})
        self.s3.delete_object(Bucket=upload.bucket, Key=upload.key)

    def _asset_summary(self, asset_id: str) -> dict[str, Any]:
        found = self.s3.get_object(Bucket=self.media_bucket, Key=f"media/{asset_id}/asset.json")
        return dict(json.loads(found["Body"].read()))

    def _progress(self, job: JobModel) -> Callable[[float], None]:
        last = 0.0

        def report(fraction: float) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_EVERY_SECONDS or fraction >= 1:
                last = time.monotonic()
                self.jobs.progress(job, fraction)

        return report

    def _stop_check(self, job: JobModel, remaining: Callable[[], float]
                    ) -> Callable[[], bool]:
        """Stop when time runs short (checked every poll) or on a cancel (read every 2 s)."""
        last_read = float("-inf")

        def should_stop() -> bool:
            nonlocal last_read
            if remaining() < SAFETY_SECONDS:
                return True
            if time.monotonic() - last_read < CANCEL_CHECK_SECONDS:
                return False
            last_read = time.monotonic()
            return self.jobs.cancel_requested(job.job_id)

        return should_stop


def _asset_id(video_sha256: str, sidecar_etags: list[str]) -> str:
    """The video's hash names the asset; subtitles beside it make a different asset."""
    if not sidecar_etags:
        return video_sha256[:32]
    combined = "\n".join([video_sha256, *sorted(sidecar_etags)])
    return hashlib.sha256(combined.encode()).hexdigest()[:32]


def _check_time(job: JobModel, remaining: Callable[[], float]) -> None:
    """Give the message back to the queue rather than start what cannot finish in time."""
    if remaining() < SAFETY_SECONDS:
        raise OutOfTime(f"job {job.job_id}: under {SAFETY_SECONDS:.0f} s left")


def _info_dict(info: SourceInfo) -> dict[str, Any]:
    return {"duration_s": info.duration_s, "width": info.width, "height": info.height,
            "fps": info.fps, "video_codec": info.video_codec, "audio_codec": info.audio_codec,
            "rotation": info.rotation, "subtitles": len(info.subtitles)}
