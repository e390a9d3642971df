"""Rebuild the graph's titles from the catalogue (after a restore, or a graph started empty).

Reads the browse index's ``all`` partition for the ids (no scan), the titles in batches, and
writes them straight to Neo4j; idempotent like every sync.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.catalogue.titles.models import FacetModel, TitleModel
from chalicelib.recommendations.events import TitlesEvent, chunked, title_row
from chalicelib.recommendations.sync import GraphSync

BATCH = 100


def resync_titles(sync: GraphSync,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Write every catalogue title to the graph; the number written.

    ``progress(done, total)`` is called after each batch.
    """
    ids = [facet.id for facet in FacetModel.query("all", attributes_to_get=["id"])]
    written = done = 0
    for chunk in chunked(ids, BATCH):
        titles = list(TitleModel.batch_get(chunk))
        if titles:
            sync.apply([TitlesEvent([title_row(t) for t in titles])])
        written += len(titles)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    return written
