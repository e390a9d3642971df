"""Search for the API (titles, people, genres; see `index`): the index a rebuild built,
loaded from S3 once per container.

A warm container keeps the index in memory and asks S3 at most every `refresh_seconds`
whether a newer one was built (a conditional GET on the ETag: 304 costs no transfer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.catalogue.rebuild import SEARCH_INDEX_KEY
from chalicelib.catalogue.search.index import MAX_RESULTS, Hit, SearchIndex
from chalicelib.catalogue.titles.posters import poster_url
from chalicelib.openapi.responses import SearchHit, SearchResults
from chalicelib.platform.aws import error_code, is_missing
from chalicelib.platform.errors import catalogued
from chalicelib.platform.logs import child

log = child(__name__)
MAX_QUERY_LENGTH = 100


class SearchService:
    def __init__(self, s3: Any, bucket: str, refresh_seconds: int, image_base: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.refresh_seconds = refresh_seconds
        self.image_base = image_base
        self.clock = clock
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._etag: str | None = None
        #: The stored index (of ETag `_etag`) could not be read: another format, say.
        self._unreadable = False
        self._checked_at = float("-inf")

    def search(self, query: str | None, limit: int, page: int = 1) -> SearchResults:
        """Page `page` (from 1) of `limit` results for `query`, with the total and the reason
        each title matched."""
        if query is None or not 0 < len(query.strip()) <= MAX_QUERY_LENGTH:
            raise catalogued("bad_query", maximum=MAX_QUERY_LENGTH)
        if limit < 1 or page < 1:
            raise ValueError("limit and page start at 1")
        offset = (page - 1) * limit
        found = self.index().find(query, offset, limit)  # past MAX_RESULTS: just the total
        more = offset + limit < min(found.total, MAX_RESULTS) and len(found.hits) == limit
        return {"query": query, "results": [self._hit(hit) for hit in found.hits],
                "total": found.total, "total_exact": found.exact, "page": page,
                "next": page + 1 if more else None, "did_you_mean": found.did_you_mean}

    def _hit(self, hit: Hit) -> SearchHit:
        doc = hit.doc
        return {"id": doc.id, "name": doc.name, "year": doc.year, "imdb_id": doc.imdb_id,
                "poster_url": poster_url(doc.poster_path, self.image_base, doc.id),
                "country": doc.country, "kind": doc.kind,
                "match": {"kind": hit.match.kind, "text": hit.match.text}}

    def index(self) -> SearchIndex:
        if self.clock() - self._checked_at >= self.refresh_seconds or self._index is None:
            with self._lock:
                if self.clock() - self._checked_at >= self.refresh_seconds or self._index is None:
                    self._refresh()
        if self._index is None:
            raise catalogued("search_unavailable")
        return self._index

    def _refresh(self) -> None:
        extra = ({"IfNoneMatch": self._etag}
                 if self._etag and (self._index is not None or self._unreadable) else {})
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=SEARCH_INDEX_KEY, **extra)
        except ClientError as exc:
            if error_code(exc) in ("304", "NotModified"):
                self._checked_at = self.clock()
                return
            if not is_missing(exc):
                raise
            self._checked_at = self.clock()
            return  # not built yet: keep whatever we have
        started = time.perf_counter()
        self._etag = found.get("ETag")
        self._checked_at = self.clock()
        try:
            loaded = SearchIndex.load(found["Body"].read())
        except ValueError as exc:
            # e.g. written by an older release: answer "being prepared" (or with the index
            # already loaded) until a rebuild replaces it, without fetching it again
            self._unreadable = True
            log.warning("search index unreadable: rebuild the catalogue",
                        extra={"error": str(exc)})
            return
        self._index, self._unreadable = loaded, False
        log.info("search index loaded", extra={"titles": len(self._index),
                                               "ms": round((time.perf_counter() - started) * 1e3)})
