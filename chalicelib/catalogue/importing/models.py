"""Tables of catalogue imports: runs (with the one-run-at-a-time lock) and failures."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class BySource(GlobalSecondaryIndex["ImportRunModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-source"
        projection = AllProjection()

    source = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ImportRunModel(Model):
    class Meta:
        table_name = "import-runs"

    run_id = UnicodeAttribute(hash_key=True)  # a UUID, or `lock#<source>` for the lock
    source = UnicodeAttribute(null=True)  # tmdb
    status = UnicodeAttribute(null=True)  # QUEUED RUNNING PAUSED DONE FAILED
    kinds = UnicodeAttribute(null=True)  # movie,tv
    export_date = UnicodeAttribute(null=True)
    limit = NumberAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    started_by = UnicodeAttribute(null=True)
    #: {lines, kept, bad_lines, skipped, to_fetch, fetched, created, updated, unchanged,
    #: failed, not_found}
    counts = JSONAttribute(default=dict)
    message = UnicodeAttribute(null=True)
    #: The lock's holder and expiry (epoch seconds; DynamoDB's TTL removes stale locks).
    holder = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    by_source = BySource()


class ByRun(GlobalSecondaryIndex["ImportFailureModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-run"
        projection = AllProjection()

    run_id = UnicodeAttribute(hash_key=True)
    failed_at = UnicodeAttribute(range_key=True)


class ImportFailureModel(Model):
    class Meta:
        table_name = "import-failures"

    #: `movie:550`, `tv:1399`, or `export:movie:2026-11-23:line:17` for a bad export line.
    item_key = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    failed_at = UnicodeAttribute()
    error = UnicodeAttribute()
    #: The raw payload or line, truncated to stay far below DynamoDB's 400 KB item limit.
    raw = UnicodeAttribute(default="")
    attempts = NumberAttribute(default=1)
    by_run = ByRun()


IMPORT_MODELS: dict[type[Model], str] = {ImportRunModel: "import-runs",
                                         ImportFailureModel: "import-failures"}
