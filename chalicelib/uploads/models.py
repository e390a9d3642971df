"""The uploads table: one item per multipart upload, from start to completed or aborted.

The bytes never pass through the API: the item holds what the uploader declared (file name,
size, last-modified time, title), the S3 multipart upload it maps to and its state. The state
moves by conditional writes only: UPLOADING -> COMPLETING -> COMPLETED, or UPLOADING ->
ABORTED (COMPLETING goes back to UPLOADING when S3 refuses the part list).
"""

from __future__ import annotations

from typing import Final, Literal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

UPLOADING = "UPLOADING"
COMPLETING = "COMPLETING"
COMPLETED = "COMPLETED"
ABORTED = "ABORTED"


class ByOwner(GlobalSecondaryIndex["UploadModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByState(GlobalSecondaryIndex["UploadModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-state"
        projection = AllProjection()

    state = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class UploadModel(Model):
    class Meta:
        table_name = "uploads"

    upload_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    owner_email = UnicodeAttribute(default="")
    #: As the uploader's file system named it (shown, and matched when resuming).
    file_name = UnicodeAttribute()
    #: ``uploads/<upload id>/<safe file name>`` in the uploads bucket.
    key = UnicodeAttribute()
    size = NumberAttribute()
    #: The file's last-modified time (ms since 1970) as the uploader's machine reports it.
    last_modified = NumberAttribute(null=True)
    content_type = UnicodeAttribute()
    title_id = UnicodeAttribute(null=True)
    episode = UnicodeAttribute(null=True)
    s3_upload_id = UnicodeAttribute()
    part_size = NumberAttribute()
    part_count = NumberAttribute()
    state = UnicodeAttribute()
    #: Why it was aborted, or what S3 said when it could not be completed.
    reason = UnicodeAttribute(null=True)
    #: The completed object's ETag.
    etag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    by_owner = ByOwner()
    by_state = ByState()


#: How an uploader came to hold a title: an admin assigned it, or they created the title.
#: How a title came onto an uploader's list.
Via = Literal["assigned", "created"]
ASSIGNED: Final = "assigned"
CREATED: Final = "created"


class UploadAccessModel(Model):
    """One title (a series covers its episodes) an uploader may upload to; admins need none.

    Written only with conditions (a grant must not exist yet, a revocation must find one), so
    two admins changing the same assignment at once get one outcome each, never a lost write.
    """

    class Meta:
        table_name = "upload-access"

    user_id = UnicodeAttribute(hash_key=True)
    title_id = UnicodeAttribute(range_key=True)
    #: ASSIGNED or CREATED.
    via = UnicodeAttribute()
    granted_by = UnicodeAttribute()
    granted_by_email = UnicodeAttribute(default="")
    granted_at = UnicodeAttribute()


UPLOAD_MODELS: dict[type[Model], str] = {UploadModel: "uploads",
                                         UploadAccessModel: "upload-access"}
