"""Import runs: their records, the one-run-at-a-time lock, and the failures they keep."""

from __future__ import annotations

import time
import uuid
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.catalogue.importing.models import ImportFailureModel, ImportRunModel
from chalicelib.openapi.responses import ImportFailure, ImportRun
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued

#: A lock not renewed for this long belongs to a run that died; another may take it.
LOCK_SECONDS = 20 * 60
MAX_RAW = 100_000
ACTIVE = ("QUEUED", "RUNNING", "PAUSED")


def public(run: ImportRunModel) -> ImportRun:
    return {"id": run.run_id, "source": run.source, "status": str(run.status),
            "kinds": (run.kinds or "").split(","), "export_date": run.export_date,
            "limit": int(run.limit) if run.limit is not None else None,
            "started_at": run.started_at, "updated_at": run.updated_at,
            "finished_at": run.finished_at, "counts": run.counts or {},
            "message": run.message}


class ImportRuns:
    def create(self, source: str, kinds: list[str], export_date: str, limit: int | None,
               started_by: str) -> ImportRunModel:
        now = iso()
        run = ImportRunModel(str(uuid.uuid4()), source=source, status="QUEUED",
                             kinds=",".join(kinds), export_date=export_date, limit=limit,
                             started_at=now, updated_at=now, started_by=started_by, counts={})
        run.save()
        return run

    def get(self, run_id: str) -> ImportRunModel:
        try:
            return ImportRunModel.get(run_id, consistent_read=True)
        except ImportRunModel.DoesNotExist as exc:
            raise catalogued("import_not_found") from exc

    def recent(self, source: str, limit: int = 20) -> list[ImportRunModel]:
        return list(ImportRunModel.by_source.query(source, scan_index_forward=False,
                                                   limit=limit))

    def acquire(self, source: str, run_id: str) -> None:
        """Take the source's lock for `run_id` (or renew it); 409 while another holds it."""
        now = int(time.time())
        lock = ImportRunModel(f"lock#{source}", holder=run_id, expires_at=now + LOCK_SECONDS)
        try:
            lock.save(condition=(ImportRunModel.run_id.does_not_exist()
                                 | (ImportRunModel.holder == run_id)
                                 | (ImportRunModel.expires_at < now)))
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            holder = ImportRunModel.get(f"lock#{source}", consistent_read=True).holder
            raise catalogued("import_running", run_id=holder) from exc

    def release(self, source: str, run_id: str) -> None:
        try:
            ImportRunModel(f"lock#{source}").delete(condition=ImportRunModel.holder == run_id)
        except DeleteError as exc:  # someone else's lock, or already gone
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def update(self, run: ImportRunModel, status: str | None = None,
               counts: dict[str, int] | None = None, message: str | None = None) -> None:
        actions: list[Any] = [ImportRunModel.updated_at.set(iso())]
        if status is not None:
            run.status = status
            actions.append(ImportRunModel.status.set(status))
            if status in ("DONE", "FAILED"):
                actions.append(ImportRunModel.finished_at.set(iso()))
        if counts is not None:
            actions.append(ImportRunModel.counts.set(counts))
        if message is not None:
            actions.append(ImportRunModel.message.set(message[:1000]))
        run.update(actions=actions)

    def fail_item(self, run_id: str, item_key: str, error: str, raw: str) -> None:
        now = iso()
        ImportFailureModel(item_key).update(actions=[
            ImportFailureModel.run_id.set(run_id), ImportFailureModel.failed_at.set(now),
            ImportFailureModel.error.set(error[:2000]), ImportFailureModel.raw.set(raw[:MAX_RAW]),
            ImportFailureModel.attempts.add(1)])

    def clear_item(self, item_key: str) -> None:
        ImportFailureModel(item_key).delete()

    def failures(self, run_id: str, limit: int = 50) -> list[ImportFailure]:
        return [{"item": f.item_key, "error": f.error, "failed_at": f.failed_at,
                 "attempts": int(f.attempts), "raw": f.raw[:2000]}
                for f in ImportFailureModel.by_run.query(run_id, scan_index_forward=False,
                                                        limit=limit)]
