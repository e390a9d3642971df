"""Uploaders' title lists in DynamoDB, in process: grants and revocations as conditional
writes, the rule read from the list, and titles an uploader creates for themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.catalogue.titles.records import TitleRecord
from chalicelib.catalogue.titles.writer import CatalogueWriter, WriteStats
from chalicelib.platform.errors import AppError
from chalicelib.services import Services
from chalicelib.uploads.access import can_upload_to
from chalicelib.uploads.new_titles import NewTitles
from localcloud.isolation import unique
from tests.unit.chalicelib.people import person


def a_title(services: Services, name: str = "Assigned", year: int | None = 2020) -> str:
    title_id = unique("acc-")
    services.catalogue_writer.upsert([TitleRecord(id=title_id, kind="series", name=name,
                                                  source="generated", year=year)])
    return title_id


def refusal(error: pytest.ExceptionInfo[AppError]) -> tuple[int, str]:
    return error.value.status, error.value.code


def test_a_grant_is_made_once_and_keeps_its_first_grantor(in_process: Services) -> None:
    uploader, first_admin, second_admin = person("uploader"), person("admin"), person("admin")
    title_id = a_title(in_process, "Harbour Lights", 2011)
    access = in_process.upload_access

    entry, new = access.grant(uploader.id, title_id, first_admin)
    assert new is True
    assert entry == {"user_id": uploader.id, "title_id": title_id, "name": "Harbour Lights",
                     "kind": "series", "year": 2011, "via": "assigned",
                     "granted_by": first_admin.id, "granted_by_email": first_admin.email,
                     "granted_at": entry["granted_at"]}
    again, new = access.grant(uploader.id, title_id, second_admin)
    assert new is False and again == entry
    for missing in (unique("no-title-"), "x" * 65):
        with pytest.raises(AppError) as refused:
            access.grant(uploader.id, missing, first_admin)
        assert refusal(refused) == (404, "title_not_found")


def test_the_list_decides_what_an_uploader_may_upload_to(in_process: Services) -> None:
    uploader, viewer, admin = person("uploader"), person("viewer"), person("admin")
    granted, other = a_title(in_process), a_title(in_process)
    access = in_process.upload_access
    access.grant(uploader.id, granted, admin)
    access.grant(viewer.id, granted, admin)  # a list without the role grants nothing

    access.require(uploader, granted)
    access.require(uploader, None)  # no title: no stream replaced
    access.require(admin, other)  # admins need no list
    for who, title_id in ((uploader, other), (viewer, granted), (viewer, None)):
        with pytest.raises(AppError) as refused:
            access.require(who, title_id)
        assert refusal(refused) == (403, "upload_title_not_assigned")
    assert can_upload_to(uploader, granted, access.is_assigned)
    assert not access.is_assigned(person("uploader").id, granted)


def test_a_revocation_takes_the_title_off_once(in_process: Services) -> None:
    uploader, admin = person("uploader"), person("admin")
    kept, revoked = sorted([a_title(in_process, "Kept"), a_title(in_process, "Revoked")])
    access = in_process.upload_access
    for title_id in (revoked, kept):
        access.grant(uploader.id, title_id, admin)
    assert [t["title_id"] for t in access.titles(uploader.id)] == [kept, revoked]  # id order

    assert access.revoke(uploader.id, revoked)["title_id"] == revoked
    for again in (revoked, unique("never-"), "x" * 65):
        with pytest.raises(AppError) as refused:
            access.revoke(uploader.id, again)
        assert refusal(refused) == (404, "upload_access_not_found")
    listed = access.of(uploader)
    assert (listed["access"], [t["title_id"] for t in listed["titles"]]) == ("assigned", [kept])
    assert access.of(admin)["access"] == "all"
    with pytest.raises(AppError):
        access.require(uploader, revoked)


def test_an_uploader_holds_the_title_they_create(in_process: Services) -> None:
    creator, other = person("uploader"), person("uploader")
    created = in_process.new_titles.create(creator, "film", "My First Short", 2026, "Short.")
    title_id = created["id"]
    assert title_id.startswith("new-") and len(title_id) == 24
    assert (created["owner"], created["via"], created["upload_url"]) == (
        creator.id, "created", f"/upload?title={title_id}")
    title = TitleModel.get(title_id)
    assert (title.source, title.name, title.year, title.overview) == (
        "upload", "My First Short", 2026, "Short.")
    assert [(t["title_id"], t["via"], t["granted_by"], t["name"]) for t in
            in_process.upload_access.titles(creator.id)] == [
        (title_id, "created", creator.id, "My First Short")]
    in_process.upload_access.require(creator, title_id)
    with pytest.raises(AppError):
        in_process.upload_access.require(other, title_id)


class FailingWriter(CatalogueWriter):
    def upsert(self, records: Iterable[TitleRecord],
               progress: Callable[[int], None] | None = None) -> WriteStats:
        return WriteStats(failed=[("?", "ProvisionedThroughputExceededException")])


def test_a_title_that_cannot_be_written_is_a_503_leaving_only_its_list_entry(
        in_process: Services) -> None:
    creator = person("uploader")
    new_titles = NewTitles(FailingWriter(), in_process.upload_access)
    with pytest.raises(AppError) as failed:
        new_titles.create(creator, "series", "Unlucky", None, "")
    assert refusal(failed) == (503, "service_unavailable")
    (entry,) = in_process.upload_access.titles(creator.id)
    assert entry["via"] == "created" and entry["name"] is None  # no title anyone can see
    with pytest.raises(AppError) as missing:
        in_process.catalogue.details(entry["title_id"])
    assert refusal(missing) == (404, "title_not_found")
