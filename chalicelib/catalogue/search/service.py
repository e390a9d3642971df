"""Search for the API (titles, people, genres; see `index`): the index a rebuild built,
loaded from S3 once per container.

A warm container keeps the index in memory and asks S3 at most every `refresh_seconds`
whether a newer one was built (``platform.s3_snapshot``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.catalogue.rebuild import SEARCH_INDEX_KEY
from chalicelib.catalogue.search.index import MAX_RESULTS, Hit, SearchIndex
from chalicelib.catalogue.titles.posters import poster_url
from chalicelib.openapi.responses import SearchHit, SearchResults
from chalicelib.platform.errors import catalogued
from chalicelib.platform.s3_snapshot import S3Snapshot

MAX_QUERY_LENGTH = 100


class SearchService:
    def __init__(self, s3: Any, bucket: str, refresh_seconds: int, image_base: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.image_base = image_base
        # asked for on every search until there is one: the first rebuild answers at once
        self._stored = S3Snapshot(s3, bucket, SEARCH_INDEX_KEY, refresh_seconds,
                                  SearchIndex.load, clock, eager_until_loaded=True)

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
        """The loaded index; 503 ``search_unavailable`` before a readable one was built."""
        index = self._stored.get()
        if index is None:
            raise catalogued("search_unavailable")
        return index
