"""Who may put media onto a title: an access level and a list of titles, per uploader.

The level comes from the account's roles: an admin may upload to every title, an uploader to
the titles on their list, anyone else to none. The list holds the titles an admin assigned
them (a series covers all of its episodes: episode uploads name the series) and the titles
they created themselves. An upload without a title replaces no stream and needs no list.

Every path that puts media onto a title (starting and completing an upload, retrying a job,
re-encoding a title) asks :func:`can_upload_to` through :meth:`UploadAccess.require`, so the
rule lives here once. Grants and revocations are conditional writes; the routes that make
them audit each change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

from chalicelib.auth.users import User
from chalicelib.catalogue.titles.browse import MAX_ID_LENGTH, find_title
from chalicelib.catalogue.titles.models import TitleModel
from chalicelib.openapi.responses import UploadAccessEntry, UploadAccessList
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued
from chalicelib.uploads.models import ASSIGNED, UploadAccessModel, Via

Level = Literal["all", "assigned", "none"]
#: At most this many titles are listed for one uploader.
MAX_LISTED = 1000

#: (user id, title id) -> whether that title is on the user's list.
IsAssigned = Callable[[str, str], bool]


def access_level(user: User) -> Level:
    if "admin" in user.roles:
        return "all"
    return "assigned" if "uploader" in user.roles else "none"


def can_upload_to(user: User, title_id: str | None, is_assigned: IsAssigned) -> bool:
    """The access rule: whether `user` may put media onto `title_id` (None: no title)."""
    level = access_level(user)
    if level == "none":
        return False
    if level == "all" or title_id is None:
        return True
    return is_assigned(user.id, title_id)


class UploadAccess:
    """The uploaders' title lists in DynamoDB."""

    @staticmethod
    def is_assigned(user_id: str, title_id: str) -> bool:
        try:
            UploadAccessModel.get(user_id, title_id, consistent_read=True,
                                  attributes_to_get=["user_id"])
        except UploadAccessModel.DoesNotExist:
            return False
        return True

    def require(self, user: User, title_id: str | None) -> None:
        """403 unless `user` may upload to `title_id`; the message says who can fix it."""
        if not can_upload_to(user, title_id, self.is_assigned):
            raise catalogued("upload_title_not_assigned", title_id=str(title_id)[:64])

    def of(self, user: User) -> UploadAccessList:
        """A user's level and list (admins: level ``all``, and whatever was assigned)."""
        return {"user_id": user.id, "access": access_level(user),
                "titles": self.titles(user.id)}

    @staticmethod
    def titles(user_id: str) -> list[UploadAccessEntry]:
        """The titles on the list, in id order, each with its name and kind."""
        grants = list(UploadAccessModel.query(user_id, limit=MAX_LISTED))
        names: dict[str, TitleModel] = {}
        if grants:
            found = TitleModel.batch_get([g.title_id for g in grants],
                                         attributes_to_get=["id", "name", "kind", "year"])
            names = {t.id: t for t in found}
        return [_public(g, names.get(g.title_id)) for g in grants]

    def grant(self, user_id: str, title_id: str, by: User,
              via: Via = ASSIGNED) -> tuple[UploadAccessEntry, bool]:
        """Put the title on the list; (the entry, whether it is new). An entry already
        there is kept as it was (its first grantor and time)."""
        from pynamodb.exceptions import PutError

        title = find_title(title_id)  # 404 for an unknown or impossible id
        entry = UploadAccessModel(user_id, title_id, via=via, granted_by=by.id,
                                  granted_by_email=by.email, granted_at=iso())
        try:
            entry.save(condition=UploadAccessModel.user_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            entry = UploadAccessModel.get(user_id, title_id, consistent_read=True)
            return _public(entry, title), False
        return _public(entry, title), True

    @staticmethod
    def record_creator(user: User, title_id: str, via: Via) -> None:
        """The creator of a new title holds it from the start (the title is not written
        yet, so this skips the existence check of :meth:`grant`)."""
        UploadAccessModel(user.id, title_id, via=via, granted_by=user.id,
                          granted_by_email=user.email, granted_at=iso()).save(
            condition=UploadAccessModel.user_id.does_not_exist())

    @staticmethod
    def revoke(user_id: str, title_id: str) -> UploadAccessEntry:
        """Take the title off the list; 404 when it is not on it."""
        from pynamodb.exceptions import DeleteError

        try:
            if not 0 < len(title_id) <= MAX_ID_LENGTH:
                raise UploadAccessModel.DoesNotExist()
            entry = UploadAccessModel.get(user_id, title_id, consistent_read=True)
        except UploadAccessModel.DoesNotExist:
            raise catalogued("upload_access_not_found", title_id=title_id[:64]) from None
        try:
            entry.delete(condition=UploadAccessModel.user_id.exists())
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            # another admin revoked it meanwhile: one of the two revocations is the change
            raise catalogued("upload_access_not_found", title_id=title_id[:64]) from None
        return _public(entry, None)


def _public(entry: UploadAccessModel, title: TitleModel | None) -> UploadAccessEntry:
    return {"user_id": entry.user_id, "title_id": entry.title_id,
            "name": title.name if title else None, "kind": title.kind if title else None,
            "year": int(title.year) if title and title.year is not None else None,
            "via": cast(Via, entry.via),  # written by grant or record_creator
            "granted_by": entry.granted_by,
            "granted_by_email": entry.granted_by_email, "granted_at": entry.granted_at}
