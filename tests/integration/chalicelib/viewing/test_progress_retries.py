"""A progress post that fails after counting its play: the player's retry finishes the job.

The fault is injected between the count and its follow-ups (the history table refuses one
write, as during an outage); everything else is the real DynamoDB, Redis and queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chalicelib.catalogue.titles.playable import attach_asset
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.platform.errors import ServiceUnavailable
from chalicelib.services import Services
from chalicelib.viewing.history import ViewingHistory
from chalicelib.viewing.progress import ProgressService
from chalicelib.viewing.updates import Progress
from tests.support import unique

pytestmark = pytest.mark.integration
ASSET = {"asset_id": "b" * 32, "manifest": "media/x/manifest.mpd", "duration_s": 100.0}


class FlakyHistory(ViewingHistory):
    """The real history table, refusing the next `failures` writes."""

    def __init__(self, image_base: str, failures: int) -> None:
        super().__init__(image_base)
        self.failures = failures

    def record(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailable("history table unreachable")
        ViewingHistory.record(*args, **kwargs)


@pytest.fixture
def film(catalogue_services: Services) -> str:
    title_id = unique("retry-")
    catalogue_services.catalogue_writer.upsert([TitleRecord(
        id=title_id, kind="film", name=title_id, source="generated", year=2020)])
    assert attach_asset(title_id, ASSET)
    return title_id


def progress_with(services: Services, history: ViewingHistory) -> ProgressService:
    """The service with this history, for a viewer who may watch (no subscription here)."""
    return ProgressService(services.resume, history, services.graph_outbox, services.trending,
                           services.recommendation_cache, require_entitlement=lambda _: None)


def entries(services: Services, user_id: str) -> list[tuple[str, str]]:
    page = services.history.page(user_id, 50, None)["history"]
    return sorted((e["event"], e["at"]) for e in page)


def test_a_failed_start_is_redone_by_the_retry_once(catalogue_services: Services,
                                                    film: str) -> None:
    user_id = unique("viewer-")
    flaky = progress_with(catalogue_services, FlakyHistory("", failures=1))
    post = Progress(film, 12.0, 100.0, "play-0001", None)
    with pytest.raises(ServiceUnavailable):
        flaky.record(user_id, post)
    retried = flaky.record(user_id, post)
    assert retried["play_count"] == 1 and retried["new_play"] is True
    again = flaky.record(user_id, Progress(film, 22.0, 100.0, "play-0001", None))
    assert again["play_count"] == 1 and again["new_play"] is False
    history = entries(catalogue_services, user_id)
    assert [event for event, _ in history] == ["started"]
    assert trending_score(catalogue_services, film) > 0


def test_a_failed_finish_is_redone_at_the_time_it_happened(catalogue_services: Services,
                                                           film: str) -> None:
    user_id = unique("viewer-")
    plain = progress_with(catalogue_services, catalogue_services.history)
    plain.record(user_id, Progress(film, 10.0, 100.0, "play-0002", None))
    flaky = progress_with(catalogue_services, FlakyHistory("", failures=1))
    with pytest.raises(ServiceUnavailable):
        flaky.record(user_id, Progress(film, 95.0, 100.0, "play-0002", None))
    first_try = datetime.now().astimezone()
    flaky.record(user_id, Progress(film, 96.0, 100.0, "play-0002", None))
    flaky.record(user_id, Progress(film, 97.0, 100.0, "play-0002", None))
    history = entries(catalogue_services, user_id)
    assert [event for event, _ in history] == ["finished", "started"]
    finished_at = datetime.fromisoformat(dict(history)["finished"])
    assert finished_at <= first_try  # the failed post's moment, not the retry's


def trending_score(services: Services, title_id: str) -> float:
    return dict(services.trending.top(1000)).get(title_id, 0.0)
