"""The encoder's clients and pipeline, created once per container from the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from encoder_lambda.pipeline import Pipeline


@lru_cache(maxsize=1)
def pipeline() -> Pipeline:
    import os

    from chalicelib.catalogue.titles.models import CATALOGUE_MODELS
    from chalicelib.catalogue.titles.playable import attach_asset, title_exists
    from chalicelib.jobs.models import JOB_MODELS
    from chalicelib.platform.dynamo import bind_models
    from chalicelib.platform.logs import logger
    from chalicelib.recommendations.feed import GraphFeed
    from chalicelib.recommendations.outbox import GraphOutbox
    from encoder_lambda.dispatch import QueueDispatcher
    from encoder_lambda.jobs import JobStore

    settings = Settings.from_env()
    lease = float(os.environ.get("NOTFLIX_ENCODER_LEASE_SECONDS", "900"))
    resources = Resources(settings)
    bind_models(settings, {**CATALOGUE_MODELS, **JOB_MODELS})
    sqs = resources.sqs
    feed = GraphFeed(GraphOutbox(sqs, lambda: str(
        sqs.get_queue_url(QueueName=settings.graph_queue)["QueueUrl"])))

    def attach_and_tell_the_graph(title_id: str, asset: dict[str, Any],
                                  episode: str | None = None) -> bool:
        attached = attach_asset(title_id, asset, episode)
        if attached:
            feed.title_published(title_id)
        if attached and episode and asset.get("fingerprint"):
            find_season_segments(title_id, episode)
        return attached

    def find_season_segments(title_id: str, episode: str) -> None:
        """The season's intro and credits, again with this episode (best effort: an
        episode without them still plays)."""
        from chalicelib.catalogue.titles.segment_store import refresh_season

        try:
            refresh_season(resources.s3, settings.media_bucket, title_id,
                           int(episode.split("#", 1)[0]))
        except Exception:
            logger.exception("season segments not found", title_id=title_id, episode=episode)

    def tasks_queue_url() -> str:
        return str(sqs.get_queue_url(QueueName=settings.encode_tasks_queue)["QueueUrl"])

    return Pipeline(resources.s3, settings.media_bucket, settings.data_bucket,
                    JobStore(lease_seconds=lease), attach_and_tell_the_graph,
                    dispatcher=QueueDispatcher(sqs, tasks_queue_url),
                    chunk_seconds=settings.encode_chunk_seconds,
                    # the encode-tasks queue's maxReceiveCount (tests that freeze AWS raise both)
                    max_attempts=int(os.environ.get("NOTFLIX_ENCODE_MAX_ATTEMPTS", "3")),
                    title_exists=title_exists, s3_copies=resources.s3_long_calls)
