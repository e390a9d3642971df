"""The work a planned job fans out: one task per chunk of video, the audio tracks, the
artwork and the text tracks; each is one message on the encode-tasks queue and one encoder
invocation, well inside the function's time limit.

Chunks are cut on segment boundaries: a chunk is a whole number of segments, so every rung's
segments line up across chunks and chunk ``k`` owns the global segment numbers
``k * segments_per_chunk + 1`` onwards.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

SEGMENT_SECONDS = 4
#: Kinds of task, in the order a plan lists them.
KINDS = ("chunk", "audio", "artwork", "text")


class MalformedTask(ValueError):
    """A task message this encoder cannot read; a retry cannot fix it."""


@dataclass(frozen=True)
class Task:
    kind: str  # one of KINDS
    job_id: str
    name: str  # "chunk-0003", "audio-0", "artwork", "text": unique within the job
    asset_id: str
    start_s: float = 0.0
    end_s: float = 0.0
    #: Global number of the chunk's first segment (chunks only).
    first_number: int = 1
    #: The audio track's stream index in the source (audio tasks only).
    stream_index: int | None = None
    #: Position of the audio track in the published order (0 = the default track).
    track: int = 0

    def to_json(self) -> str:
        return json.dumps({"task": self.kind, **{k: v for k, v in asdict(self).items()
                                                if k != "kind"}})

    @property
    def label(self) -> str:
        """How a person reads the task: "chunk 3 (180-240 s)"."""
        if self.kind == "chunk":
            number = int(self.name.rsplit("-", 1)[-1])
            return f"chunk {number} ({self.start_s:g}-{self.end_s:g} s)"
        return self.name.replace("-", " ")


def is_task_message(body: dict[str, Any]) -> bool:
    return "task" in body and "job_id" in body


def parse_task(body: dict[str, Any]) -> Task:
    try:
        kind = str(body["task"])
        if kind not in KINDS:
            raise MalformedTask(f"unknown task kind {kind!r}")
        stream = body.get("stream_index")
        return Task(kind=kind, job_id=str(body["job_id"]), name=str(body["name"]),
                    asset_id=str(body["asset_id"]), start_s=float(body.get("start_s", 0)),
                    end_s=float(body.get("end_s", 0)),
                    first_number=int(body.get("first_number", 1)),
                    stream_index=int(stream) if stream is not None else None,
                    track=int(body.get("track", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, MalformedTask):
            raise
        raise MalformedTask(f"task message is missing or mistypes {exc}") from exc


def chunk_seconds_for(requested: int, segment_seconds: int = SEGMENT_SECONDS) -> int:
    """The chunk length actually used: a whole number of segments, at least one."""
    return max(1, round(requested / segment_seconds)) * segment_seconds


def plan_chunks(job_id: str, asset_id: str, duration_s: float, chunk_seconds: int,
                segment_seconds: int = SEGMENT_SECONDS) -> list[Task]:
    """One task per ``chunk_seconds`` of video, the last one ending at ``duration_s``."""
    length = chunk_seconds_for(chunk_seconds, segment_seconds)
    count = max(1, math.ceil(duration_s / length - 1e-9))
    per_chunk = length // segment_seconds
    return [Task("chunk", job_id, f"chunk-{k:04d}", asset_id, start_s=float(k * length),
                 end_s=float(min((k + 1) * length, duration_s)),
                 first_number=k * per_chunk + 1)
            for k in range(count)]


def plan_tasks(job_id: str, asset_id: str, duration_s: float, chunk_seconds: int,
               audio_streams: list[int], *, segment_seconds: int = SEGMENT_SECONDS
               ) -> list[Task]:
    """Every task of a job: its chunks, one audio task per kept track, artwork, text."""
    tasks = plan_chunks(job_id, asset_id, duration_s, chunk_seconds, segment_seconds)
    tasks += [Task("audio", job_id, f"audio-{position}", asset_id, end_s=duration_s,
                   stream_index=index, track=position)
              for position, index in enumerate(audio_streams)]
    tasks.append(Task("artwork", job_id, "artwork", asset_id, end_s=duration_s))
    tasks.append(Task("text", job_id, "text", asset_id, end_s=duration_s))
    return tasks
