"""The uploader access rule: admins anywhere, uploaders on their list, nobody else."""

from __future__ import annotations

import pytest

from chalicelib.auth.users import User
from chalicelib.platform.errors import AppError
from chalicelib.uploads.access import UploadAccess, access_level, can_upload_to


def person(*roles: str) -> User:
    return User(id=f"user-{'-'.join(roles) or 'none'}", email="someone@example.com",
                display_name="Someone", roles=frozenset(roles), created_at="", updated_at="",
                password_hash="", password_version=1)


class Lookups:
    """A list of (user, title) pairs standing in for the table, remembering each lookup."""

    def __init__(self, *assigned: tuple[str, str]) -> None:
        self.assigned = set(assigned)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, user_id: str, title_id: str) -> bool:
        self.asked.append((user_id, title_id))
        return (user_id, title_id) in self.assigned


def test_an_admin_may_upload_to_any_title_without_a_list() -> None:
    admin, lookups = person("admin", "viewer"), Lookups()
    assert access_level(admin) == "all"
    assert can_upload_to(admin, "movie-603", lookups)
    assert lookups.asked == []


def test_an_uploader_may_upload_only_to_the_titles_on_their_list() -> None:
    uploader = person("uploader", "viewer")
    lookups = Lookups((uploader.id, "tv-1399"))
    assert access_level(uploader) == "assigned"
    assert can_upload_to(uploader, "tv-1399", lookups)
    assert not can_upload_to(uploader, "movie-603", lookups)
    assert lookups.asked == [(uploader.id, "tv-1399"), (uploader.id, "movie-603")]


def test_an_upload_without_a_title_replaces_no_stream_and_needs_no_list() -> None:
    assert can_upload_to(person("uploader"), None, Lookups())


def test_without_the_uploader_role_a_list_grants_nothing() -> None:
    viewer = person("viewer")
    lookups = Lookups((viewer.id, "movie-603"))
    assert access_level(viewer) == "none"
    assert not can_upload_to(viewer, "movie-603", lookups)
    assert not can_upload_to(viewer, None, lookups)


def test_a_refusal_is_a_403_that_says_an_admin_must_assign_the_title() -> None:
    uploader = person("uploader")

    class Empty(UploadAccess):
        @staticmethod
        def is_assigned(user_id: str, title_id: str) -> bool:
            return False

    with pytest.raises(AppError) as refused:
        Empty().require(uploader, "movie-603")
    assert (refused.value.status, refused.value.code) == (403, "upload_title_not_assigned")
    assert "movie-603" in refused.value.message and "admin" in refused.value.message
    Empty().require(uploader, None)  # no title: no refusal
    Empty().require(person("admin"), "movie-603")
