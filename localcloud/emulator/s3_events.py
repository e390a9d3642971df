"""Make moto notify a completed multipart upload once, as S3 does.

moto 5.2's `complete_multipart_upload` stores the joined object through `put_object`, which
sends an ``ObjectCreated:Put`` event, and then sends ``ObjectCreated:CompleteMultipartUpload``
as well: every multipart upload reached the encode queue twice. S3 sends only the second.
While a completion runs, `put_object` here is told not to notify.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.s3.models import S3Backend

_completing = threading.local()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original_complete = S3Backend.complete_multipart_upload
    original_put = S3Backend.put_object

    def complete_multipart_upload(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        _completing.active = True
        try:
            return original_complete(self, *args, **kwargs)
        finally:
            _completing.active = False

    def put_object(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        if getattr(_completing, "active", False):
            kwargs["disable_notification"] = True
        return original_put(self, *args, **kwargs)

    S3Backend.complete_multipart_upload = complete_multipart_upload  # type: ignore[method-assign]
    S3Backend.put_object = put_object  # type: ignore[method-assign]
