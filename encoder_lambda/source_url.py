"""Read an upload where it lies: a short-lived presigned GET that ffmpeg opens over HTTP.

ffmpeg's HTTP input seeks with Range requests, so an encoder that seeks to a chunk's start
(``-ss`` before ``-i``) reads little more than that chunk's bytes plus the container's index,
and nothing is copied to /tmp. The request carries ``If-Match`` with the ETag the job was made
for: if a newer object replaces the key while it encodes, S3 answers 412 and the task stops
instead of mixing two files (the newer upload has a job of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Long enough for the longest task (the function's 900 s limit) with room to spare.
URL_SECONDS = 3600
#: ffmpeg names 412 only as "4XX ... not one of 40{0,1,3,4}" (it knows those four by name).
REPLACED_MARKERS = ("412 Precondition Failed", "HTTP error 412", "but not one of 40{0,1,3,4}")


@dataclass(frozen=True)
class SourceUrl:
    url: str
    etag: str

    def input_options(self) -> dict[str, str]:
        """ffmpeg-python input options: the ETag pinned, reconnects on a dropped stream."""
        return {"headers": f'If-Match: "{self.etag}"\r\n', "reconnect": "1",
                "reconnect_on_network_error": "1", "reconnect_delay_max": "5"}

    def argv(self) -> list[str]:
        """The same options as plain ffmpeg arguments, followed by ``-i URL``."""
        args: list[str] = []
        for name, value in self.input_options().items():
            args += [f"-{name}", value]
        return [*args, "-i", self.url]


def source_url(s3: Any, bucket: str, key: str, etag: str,
               expires_s: int = URL_SECONDS) -> SourceUrl:
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                    ExpiresIn=expires_s)
    return SourceUrl(str(url), etag.strip('"'))


def was_replaced(stderr: str) -> bool:
    """True when ffmpeg stopped because the object no longer has the pinned ETag."""
    return any(marker in stderr for marker in REPLACED_MARKERS)
