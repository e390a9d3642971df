"""What to show when the graph cannot answer in time: trending, then popular playable titles.

Trending ids come from Redis; their cards, and the most popular playable titles, from the
catalogue in DynamoDB. Neither needs Neo4j.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.browse import card
from chalicelib.catalogue.titles.facets import PLAYABLE_FACET
from chalicelib.catalogue.titles.models import FacetModel, TitleModel, str_list
from chalicelib.openapi.responses import Reason, Recommended
from chalicelib.recommendations.trending import Trending

logger = Logger(service="notflix", child=True)
TRENDING_REASON: Reason = {"kind": "trending", "text": "Trending now"}
POPULAR_REASON: Reason = {"kind": "popular", "text": "Popular on Notflix"}


class PopularTitles:
    def __init__(self, trending: Trending, image_base: str) -> None:
        self.trending = trending
        self.image_base = image_base

    def cards(self, limit: int, exclude: set[str] | None = None,
              genre: str | None = None) -> list[Recommended]:
        """Up to ``limit`` playable cards: trending first, then the most popular."""
        skip = set(exclude or ())
        results: list[Recommended] = []
        for item in self._trending(limit + len(skip), genre):
            if item["id"] not in skip and len(results) < limit:
                skip.add(item["id"])
                results.append(item)
        if len(results) < limit:
            for facet in FacetModel.query(PLAYABLE_FACET, limit=limit + len(skip)):
                if facet.id in skip or (genre and genre not in str_list(facet.genres)):
                    continue
                skip.add(facet.id)
                results.append({**card(facet, self.image_base), "score": 0.0,
                                "reasons": [POPULAR_REASON]})
                if len(results) >= limit:
                    break
        return results

    def _trending(self, limit: int, genre: str | None) -> list[Recommended]:
        try:
            ranked = self.trending.top(limit * 2)
        except Exception as exc:  # Redis down too: popular titles alone
            logger.warning("trending unavailable", error=type(exc).__name__)
            return []
        if not ranked:
            return []
        titles = {t.id: t for t in TitleModel.batch_get([i for i, _ in ranked])}
        return [{**card(titles[i], self.image_base), "score": score,
                 "reasons": [TRENDING_REASON]}
                for i, score in ranked
                if i in titles and titles[i].asset is not None
                and (not genre or genre in str_list(titles[i].genres))]
