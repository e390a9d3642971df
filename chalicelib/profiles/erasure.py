"""What a deleted profile leaves behind, erased: its viewing is its viewer's own, and a
profile's owner deleting it expects it gone (as Netflix and Jellyfin do).

Erased: My List (``my-list``), the per-title items (``user-titles``: progress, plays, thumbs,
imported ratings), the history (``viewing-history``), resume points and continue watching
and the cached recommendations (Redis), and its user node's edges in the graph (a queued
``forget`` event; the node stays as a tombstone so a late watch is not kept).
Short-lived keys that expire by themselves (play grants, a kids profile's stream grants)
are left to expire.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.mylist.models import MyListModel
from chalicelib.platform.dynamo import delete_all, key_names
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.feed import GraphFeed
from chalicelib.viewing.models import HistoryModel
from chalicelib.viewing.resume import ResumeStore

logger = Logger(service="notflix", child=True)


class ViewerErasure:
    def __init__(self, resume: ResumeStore, recommendations: RecommendationCache,
                 graph: GraphFeed) -> None:
        self.resume = resume
        self.recommendations = recommendations
        self.graph = graph

    def erase(self, viewer_id: str) -> dict[str, int]:
        """Erase the viewer's data; items deleted per table. Raises what a store raised (the
        caller keeps the profile then, so deleting it again finishes the erasure)."""
        erased: dict[str, int] = {}
        with MyListModel.batch_write() as my_list:
            erased["my_list"] = delete_all(MyListModel.query(
                viewer_id, attributes_to_get=key_names(MyListModel)), my_list)
        with UserTitleModel.batch_write() as titles:
            erased["user_titles"] = delete_all(UserTitleModel.query(
                viewer_id, attributes_to_get=key_names(UserTitleModel)), titles)
        with HistoryModel.batch_write() as history:
            erased["history"] = delete_all(HistoryModel.query(
                viewer_id, attributes_to_get=key_names(HistoryModel)), history)
        self.resume.forget(viewer_id)
        self.recommendations.forget(viewer_id)
        self.graph.viewer_forgotten(viewer_id)
        logger.info("viewer erased", extra={"viewer": viewer_id, **erased})
        return erased
