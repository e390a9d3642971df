"""Deleting a profile erases its viewing data, in process (moto's DynamoDB, fakeredis): My
List, per-title items and thumbs, history, resume points, continue watching and cached
recommendations go; the graph is told to forget the viewer; the main profile's own data
stays. An erasure that fails keeps the profile, so deleting it again finishes the job."""

from __future__ import annotations

import json

import pytest

from chalicelib.catalogue.titles.models import UserTitleModel
from chalicelib.mylist.models import MyListModel
from chalicelib.profiles.service import ProfileChanges
from chalicelib.services import Services
from chalicelib.viewing.models import HistoryModel
from chalicelib.viewing.updates import Progress
from tests.unit.chalicelib.catalogue_titles import film, subscriber
from tests.unit.chalicelib.profiles.test_profiles import account


def watch_and_keep(services: Services, viewer: str, paying: str, title_id: str) -> None:
    services.my_list.add(viewer, title_id)
    services.progress.record(viewer, Progress(title_id, 120.0, 600.0, None), account_id=paying)
    services.ratings.set(viewer, title_id, "up")
    services.recommendation_cache.finished(viewer, title_id)
    services.recommendation_cache.put(viewer, [])


def held(services: Services, viewer: str) -> dict[str, int]:
    redis, prefix = services.resources.redis, services.settings.resource_prefix
    return {"my_list": MyListModel.count(viewer), "user_titles": UserTitleModel.count(viewer),
            "history": HistoryModel.count(viewer),
            "redis": int(redis.exists(f"{prefix}:resume:{viewer}", f"{prefix}:continue:{viewer}",
                                      f"{prefix}:recs:{viewer}",
                                      f"{prefix}:recs:{viewer}:finished"))}


def forget_events(services: Services) -> list[str]:
    sqs, url = services.resources.sqs, services.graph_outbox.queue_url
    ids: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return ids
        for message in got:
            body = json.loads(message["Body"])
            if body.get("type") == "forget":
                ids += [row["id"] for row in body["rows"]]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_deleted_profiles_viewing_data_is_erased_and_the_mains_is_kept(
        in_process: Services) -> None:
    user, _ = account(in_process)
    paying, title_id = subscriber(in_process), film(in_process)
    main = in_process.profiles.profiles(user)[0]
    other = in_process.profiles.create(user, main, ProfileChanges(name="Di"))
    for viewer in (main.id, other.id):
        watch_and_keep(in_process, viewer, paying, title_id)
    before = held(in_process, other.id)
    assert before == {"my_list": 2, "user_titles": 1, "history": 1, "redis": 4}  # 2: + count
    forget_events(in_process)  # what earlier writes queued

    in_process.profiles.delete(user, main, other.id)

    assert held(in_process, other.id) == {"my_list": 0, "user_titles": 0, "history": 0,
                                          "redis": 0}
    assert held(in_process, main.id) == before
    assert in_process.my_list.ids(main.id) == {title_id}
    forgotten = forget_events(in_process)
    assert other.id in forgotten and main.id not in forgotten


def test_an_erasure_that_fails_keeps_the_profile_and_a_second_delete_finishes(
        in_process: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    user, _ = account(in_process)
    paying, title_id = subscriber(in_process), film(in_process)
    main = in_process.profiles.profiles(user)[0]
    other = in_process.profiles.create(user, main, ProfileChanges(name="Di"))
    watch_and_keep(in_process, other.id, paying, title_id)
    resume = in_process.profiles.erasure.resume if in_process.profiles.erasure else None
    assert resume is not None

    def down(viewer_id: str) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(resume, "forget", down)
    with pytest.raises(ConnectionError):
        in_process.profiles.delete(user, main, other.id)
    assert [p.id for p in in_process.profiles.profiles(user)] == [main.id, other.id]
    monkeypatch.undo()

    in_process.profiles.delete(user, main, other.id)
    assert [p.id for p in in_process.profiles.profiles(user)] == [main.id]
    assert held(in_process, other.id)["redis"] == 0
