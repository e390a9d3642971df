"""A title an uploader creates to upload to: a minimal catalogue record, theirs from the start.

The record has what the catalogue needs to list it (kind, name, year, overview) and nothing
imported; TMDB imports never touch it (its id is not a TMDB id). Its creator holds it on their
upload list (``created``) before the title is written, so a title never exists without its
owner; a write that fails after that leaves only a list entry for a title nobody can see.
"""

from __future__ import annotations

import uuid

from chalicelib.auth.users import User
from chalicelib.catalogue.titles.records import Kind, TitleRecord
from chalicelib.catalogue.titles.writer import CatalogueWriter
from chalicelib.openapi.responses import NewTitle
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import logger
from chalicelib.uploads.access import UploadAccess
from chalicelib.uploads.models import CREATED

#: New titles' ids: ``new-`` and 20 hex digits.
PREFIX = "new-"


class NewTitles:
    def __init__(self, writer: CatalogueWriter, access: UploadAccess) -> None:
        self.writer = writer
        self.access = access

    def create(self, owner: User, kind: Kind, name: str, year: int | None,
               overview: str) -> NewTitle:
        title_id = PREFIX + uuid.uuid4().hex[:20]
        self.access.record_creator(owner, title_id, CREATED)
        record = TitleRecord(id=title_id, kind=kind, name=name, source="upload",
                             original_name=name, year=year, overview=overview)
        stats = self.writer.upsert([record])
        if stats.failed:
            logger.error("new title not written", title_id=title_id, reason=stats.failed[0][1])
            raise catalogued("service_unavailable")
        logger.info("title created for uploads", title_id=title_id, owner=owner.id)
        return {"id": title_id, "kind": kind, "name": name, "year": year,
                "overview": overview, "owner": owner.id, "via": CREATED,
                "upload_url": f"/upload?title={title_id}"}
