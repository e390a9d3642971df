"""The encode watchdog: no job is left running forever, and no dead letter is left unexplained.

- A job that is not final and whose workers have gone silent (a killed invocation, a lost
  message, a task set aside) is *stalled*: after the encoder's timeout (the encode queues'
  visibility timeout: only then can a killed invocation's message come back) plus a
  margin without a heartbeat or any change, it ends FAILED with the stage it stalled in
  and the time it was last heard of. The write is conditional on the job being exactly as
  read, so a job that comes back to life meanwhile is left alone.
- Each message of the encode DLQs (a task, or an upload event, that failed every try) is
  tied back to its job, which ends FAILED saying so; the message is stored beside the job
  (``jobs/<job id>/dead-letters/<message id>.json`` in the data bucket) and only then
  deleted. A message tied to no job stays in its queue (its alarm keeps ringing) and is
  logged.

Every job this ends is counted like the encoder counts job ends (``EncodeFailed``, in the
encoder's service), plus ``EncodeStalled`` or ``EncodeDeadLettered``; stage durations are
left out, so a stalled stage never passes for an encode's duration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from pynamodb.exceptions import UpdateError

from chalicelib.jobs.models import FINAL, MOVES, JobModel, bump_panels, job_id_for
from chalicelib.platform.clock import iso, parse_iso
from chalicelib.platform.logs import logger
from chalicelib.platform.metrics import Count, emit

Kind = Literal["upload", "task"]
#: The states a job may still leave: the ones the watchdog looks at.
NON_FINAL = tuple(MOVES)
#: Silence beyond the encoder's timeout before a job counts as stalled.
STALL_MARGIN_S = 120
#: Tries the encode queues give a message before their DLQ (maxReceiveCount in
#: infra/template.yaml).
MAX_RECEIVES = 3
#: Job ends are the encoder's metrics, whoever ends the job.
METRICS_SERVICE = "notflix-encoder"
ENDED_METRIC = {"FAILED": "EncodeFailed", "CANCELLED": "EncodeCancelled"}
#: How often a dead letter's job is re-read when it changes under the write.
WRITE_TRIES = 3


def stall_after(encoder_timeout_s: float) -> float:
    """Seconds of silence that make a job stalled: a killed invocation's message comes back
    after the visibility timeout (the function's timeout); only after that is silence news."""
    return encoder_timeout_s + STALL_MARGIN_S


def _stamp(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def last_heard(job: JobModel) -> float:
    """Epoch seconds of the job's last sign of life: its heartbeat or its last change."""
    try:
        updated = parse_iso(str(job.updated_at)).timestamp()
    except ValueError:
        updated = 0.0
    return max(float(job.heartbeat_at or 0), updated)


def stall_reason(status: str, since: float, now: float) -> str:
    """``stalled in ENCODING since 2026-12-05 10:31 UTC: no worker has reported for 6
    minutes``."""
    minutes = max(int((now - since) // 60), 0)
    when = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"stalled in {status} since {when}: no worker has reported for {minutes} "
            f"minute{'' if minutes == 1 else 's'}")


def find_stalled(now: float, stall_after_s: float,
                 statuses: tuple[str, ...] = NON_FINAL) -> list[JobModel]:
    """Jobs in `statuses` (by default every state that is not final) whose last sign of
    life is older than `stall_after_s` (the index is eventually consistent: `fail_stalled`
    checks again as it writes)."""
    cutoff = now - stall_after_s
    return [job for status in statuses
            for job in JobModel.by_status.query(status)
            if last_heard(job) < cutoff]


def _unchanged(job: JobModel) -> Any:
    """The condition that the stored job is still the one read: same state, heartbeat and
    last change."""
    condition = (JobModel.status == job.status) & (JobModel.updated_at == job.updated_at)
    heartbeat = float(job.heartbeat_at or 0)
    if heartbeat:
        return condition & (JobModel.heartbeat_at == heartbeat)
    return condition & ((JobModel.heartbeat_at == 0) | JobModel.heartbeat_at.does_not_exist())


def record_end(status: str, outcome: str) -> None:
    """The job-end metrics of a job the watchdog ended (`outcome`: stalled, dead_letter)."""
    why = "EncodeStalled" if outcome == "stalled" else "EncodeDeadLettered"
    emit(METRICS_SERVICE, {ENDED_METRIC[status]: (Count, 1), why: (Count, 1)},
         outcome=outcome)


def _end(job: JobModel, to: str, reason: str, outcome: str, now: float,
         condition: Any) -> bool:
    """Move `job` to the final state `to` with `reason`, closing its current stage with
    `outcome`; False when `condition` no longer holds (nothing written)."""
    stamp = _stamp(now)
    current = str(job.status)
    stages = dict(job.stages or {})
    stage = stages.get(current)
    if isinstance(stage, dict) and "ended_at" not in stage:
        stages[current] = {**stage, "ended_at": stamp, "outcome": outcome}
    try:
        job.update(actions=[JobModel.status.set(to), JobModel.updated_at.set(stamp),
                            JobModel.stages.set(stages), JobModel.error.set(reason),
                            JobModel.lease_until.set(0)],
                   condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    bump_panels(current, to)
    record_end(to, outcome)
    logger.warning("encode job ended by the watchdog", job_id=job.job_id, status=to,
                   was=current, reason=reason)
    return True


def fail_stalled(job: JobModel, now: float) -> bool:
    """End a stalled job FAILED (CANCELLED if a cancel was pending: nobody will act on it);
    False when the job changed since it was read (a worker reported, or it moved on)."""
    to = "CANCELLED" if job.cancel_requested else "FAILED"
    reason = stall_reason(str(job.status), last_heard(job), now)
    return _end(job, to, reason, "stalled", now, _unchanged(job))


# -- dead letters --------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadLetter:
    """What a dead letter says: the jobs it belongs to and why they cannot finish."""

    job_ids: tuple[str, ...]
    reason: str


def _seconds(value: Any) -> str:
    return f"{float(value):g}"


def task_reason(task: Mapping[str, Any], tries: int = MAX_RECEIVES) -> str:
    """``task chunk-0003 (180-240 s) failed 3 times and was set aside (dead-letter queue)``."""
    name = str(task.get("name") or task.get("task") or "?")
    span = ""  # only a chunk's range says which part of the video it is
    if (task.get("task") == "chunk" and task.get("start_s") is not None
            and task.get("end_s") is not None):
        try:
            span = f" ({_seconds(task['start_s'])}-{_seconds(task['end_s'])} s)"
        except (TypeError, ValueError):
            span = ""
    return f"task {name}{span} failed {tries} times and was set aside (dead-letter queue)"


def upload_reason(tries: int = MAX_RECEIVES) -> str:
    return f"the upload could not be processed after {tries} tries (dead-letter queue)"


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _upload_job_ids(body: Any) -> Iterator[str]:
    """The jobs of an S3 event notification's records (keys arrive URL-encoded)."""
    records = body.get("Records") if isinstance(body, dict) else None
    for record in records if isinstance(records, list) else []:
        try:
            s3 = record["s3"]
            yield job_id_for(str(s3["bucket"]["name"]), unquote_plus(str(s3["object"]["key"])),
                             str(s3["object"].get("eTag", "")))
        except (KeyError, TypeError):
            continue


def read_dead_letter(kind: Kind, raw_body: str, tries: int = MAX_RECEIVES) -> DeadLetter:
    """The jobs a DLQ message names (none for a body that names none)."""
    body = _json(raw_body)
    if kind == "task":
        job_id = body.get("job_id") if isinstance(body, dict) else None
        ids = (str(job_id),) if isinstance(job_id, str) and job_id else ()
        return DeadLetter(ids, task_reason(body if isinstance(body, dict) else {}, tries))
    return DeadLetter(tuple(dict.fromkeys(_upload_job_ids(body))), upload_reason(tries))


def fail_for_dead_letter(job_id: str, reason: str, now: float) -> tuple[JobModel | None, bool]:
    """End the job FAILED with `reason` unless it is final: (the job as it stands after, or
    None when there is no such job; whether this ended it)."""
    for _ in range(WRITE_TRIES):
        try:
            job = JobModel.get(job_id, consistent_read=True)
        except JobModel.DoesNotExist:
            return None, False
        if job.status in FINAL:
            return job, False
        if _end(job, "FAILED", reason, "dead_letter", now, JobModel.status == job.status):
            return job, True
    raise RuntimeError(f"job {job_id} kept changing while being failed for a dead letter")


@dataclass
class DrainReport:
    #: Jobs a dead letter ended (jobs already final are not counted).
    failed: list[str] = field(default_factory=list)
    #: Messages stored beside their jobs and deleted.
    stored: int = 0
    #: Messages left in the queue: tied to no job, or their handling failed.
    kept: int = 0


class DeadLetterDrain:
    """Empties one DLQ of the messages it can tie to jobs."""

    def __init__(self, sqs: Any, s3: Any, data_bucket: str, tries: int = MAX_RECEIVES) -> None:
        self.sqs = sqs
        self.s3 = s3
        self.data_bucket = data_bucket
        self.tries = tries

    def _messages(self, queue_url: str, deadline: float,
                  held: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Each message once (a kept one may be received again within one drain)."""
        while time.monotonic() < deadline:
            batch = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                MessageSystemAttributeNames=["All"]).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in held]
            for message in batch:
                held[message["MessageId"]] = message["ReceiptHandle"]
            if not fresh:
                return
            yield from fresh

    def _store(self, job_id: str, kind: Kind, message: dict[str, Any], now: float) -> None:
        raw = str(message.get("Body", ""))
        parsed = _json(raw)
        document = {"queue": kind, "message_id": message["MessageId"],
                    "set_aside_at": _stamp(now), "attributes": message.get("Attributes", {}),
                    "body": parsed if parsed is not None else raw}
        self.s3.put_object(Bucket=self.data_bucket,
                           Key=f"jobs/{job_id}/dead-letters/{message['MessageId']}.json",
                           Body=json.dumps(document, indent=2).encode(),
                           ContentType="application/json")

    def _handle(self, queue_url: str, kind: Kind, message: dict[str, Any], now: float,
                report: DrainReport) -> bool:
        """True when the message is stored with its jobs and deleted."""
        letter = read_dead_letter(kind, str(message.get("Body", "")), self.tries)
        jobs = []
        for job_id in letter.job_ids:
            job, ended = fail_for_dead_letter(job_id, letter.reason, now)
            if job is not None:
                jobs.append(job)
            if ended:
                report.failed.append(job_id)
        if not jobs:
            logger.error("dead letter tied to no job: kept in its queue", queue=kind,
                         message_id=message["MessageId"], named=list(letter.job_ids),
                         body=str(message.get("Body", ""))[:500])
            return False
        for job in jobs:
            self._store(job.job_id, kind, message, now)
        self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def drain(self, queue_url: str, kind: Kind, now: float,
              budget_s: float = 30.0) -> DrainReport:
        report = DrainReport()
        held: dict[str, str] = {}
        done: set[str] = set()
        for message in self._messages(queue_url, time.monotonic() + budget_s, held):
            try:
                handled = self._handle(queue_url, kind, message, now, report)
            except Exception:
                logger.exception("dead letter not handled: kept in its queue", queue=kind,
                                 message_id=message["MessageId"])
                handled = False
            if handled:
                done.add(message["MessageId"])
                report.stored += 1
            else:
                report.kept += 1
        for message_id, handle in held.items():
            if message_id not in done:  # visible again at once: its alarm keeps ringing
                self.sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle,
                                                   VisibilityTimeout=0)
        return report


def drain_dead_letters(sqs: Any, queue_url: str, kind: Kind, *, s3: Any, data_bucket: str,
                       now: float | None = None, budget_s: float = 30.0) -> DrainReport:
    """Tie each message of one encode DLQ to its jobs, end them FAILED, store the message
    beside each job and delete it; a message tied to no job stays."""
    return DeadLetterDrain(sqs, s3, data_bucket).drain(
        queue_url, kind, time.time() if now is None else now, budget_s)


# -- the scheduled sweep -----------------------------------------------------------------------
@dataclass
class SweepReport:
    stalled: list[str] = field(default_factory=list)
    dead_letters: dict[str, DrainReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"stalled": self.stalled,
                "dead_letters": {k: {"failed": r.failed, "stored": r.stored, "kept": r.kept}
                                 for k, r in self.dead_letters.items()}}


class Watchdog:
    """What the scheduled function runs: fail stalled jobs, then drain both encode DLQs.

    While tasks wait in the encode-tasks queue, a job in ENCODING may be silent only because
    its tasks have not had a worker yet (another job's fan-out ahead of them): such jobs are
    not judged until the queue has drained (a task that is retried or set aside comes back,
    or reaches a DLQ, on its own). Jobs in the other states are judged every sweep.
    """

    def __init__(self, s3: Any, sqs: Any, data_bucket: str, dead_letter_queues: Mapping[Kind, str],
                 stall_after_s: float, tasks_queue: str | None = None,
                 tries: int = MAX_RECEIVES) -> None:
        self.sqs = sqs
        self.drainer = DeadLetterDrain(sqs, s3, data_bucket, tries)
        self.queues = dict(dead_letter_queues)
        self.stall_after_s = stall_after_s
        self.tasks_queue = tasks_queue
        self._urls: dict[str, str] = {}

    def queue_url(self, name: str) -> str:
        if name not in self._urls:
            self._urls[name] = str(self.sqs.get_queue_url(QueueName=name)["QueueUrl"])
        return self._urls[name]

    def tasks_waiting(self) -> int:
        """Task messages waiting for a worker (visible or delayed); 0 without a tasks queue."""
        if self.tasks_queue is None:
            return 0
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url(self.tasks_queue),
                                                   AttributeNames=names)["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in names)

    def judged(self) -> tuple[str, ...]:
        """The states whose silent jobs are stalled now."""
        waiting = self.tasks_waiting()
        if not waiting:
            return NON_FINAL
        logger.info("encode tasks are waiting: silent encoding jobs are not judged yet",
                    waiting=waiting)
        return tuple(s for s in NON_FINAL if s != "ENCODING")

    def sweep(self, now: float, budget_s: float = 50.0) -> SweepReport:
        deadline = time.monotonic() + budget_s
        report = SweepReport()
        for job in find_stalled(now, self.stall_after_s, self.judged()):
            try:
                if fail_stalled(job, now):
                    report.stalled.append(job.job_id)
            except Exception:  # one job's failure must not hide the others
                logger.exception("stalled job not failed", job_id=job.job_id)
        for kind, queue in self.queues.items():
            report.dead_letters[kind] = self.drainer.drain(
                self.queue_url(queue), kind, now, max(deadline - time.monotonic(), 1.0))
        return report
