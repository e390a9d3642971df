"""Profiles in DynamoDB: at most five per account, counted on the account in the same
transaction that writes or deletes one, so concurrent creations never pass the limit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.auth.models import UserModel
from chalicelib.openapi.responses import ViewerProfile
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued
from chalicelib.profiles import maturity
from chalicelib.profiles.models import ProfileModel

MAX_PROFILES = 5
#: The avatars a profile may wear (drawn by the pages as a coloured tile with an initial).
AVATARS: tuple[str, ...] = ("red", "orange", "yellow", "green", "teal", "blue", "purple",
                            "pink")


@dataclass(frozen=True)
class Profile:
    account_id: str
    id: str
    name: str
    avatar: str
    kids: bool
    ceiling: str | None
    created_at: str
    #: The PIN's Argon2 hash (choosing the profile checks it without a second read); never
    #: shown, logged or compared.
    pin_hash: str | None = field(default=None, repr=False, compare=False)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    @property
    def main(self) -> bool:
        """The account's first profile (it holds what was watched before profiles)."""
        return self.id == self.account_id

    @property
    def ceiling_level(self) -> int | None:
        return maturity.level(self.ceiling) if self.kids else None

    @classmethod
    def from_model(cls, item: ProfileModel) -> Profile:
        return cls(account_id=item.account_id, id=item.profile_id, name=item.name,
                   avatar=item.avatar, kids=bool(item.kids),
                   ceiling=(item.ceiling or maturity.DEFAULT_KIDS_CEILING) if item.kids
                   else None,
                   created_at=item.created_at, pin_hash=item.pin_hash or None)

    def public(self) -> ViewerProfile:
        return {"id": self.id, "name": self.name, "avatar": self.avatar, "kids": self.kids,
                "maturity_ceiling": self.ceiling, "locked": self.has_pin, "main": self.main}


def new_profile_id() -> str:
    return f"p-{secrets.token_hex(8)}"


def default_avatar(profile_id: str) -> str:
    """An avatar for a profile created without one: its id picks it, so profiles made one
    after another mostly differ."""
    return AVATARS[int(hashlib.sha256(profile_id.encode()).hexdigest()[:8], 16) % len(AVATARS)]


def _cancelled(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException"


class ProfileStore:
    def __init__(self, transactions: Connection) -> None:
        self._transactions = transactions

    def all(self, account_id: str) -> list[Profile]:
        """The account's profiles, the main one first, then by creation."""
        found = [Profile.from_model(i) for i in ProfileModel.query(account_id,
                                                                  consistent_read=True)]
        return sorted(found, key=lambda p: (not p.main, p.created_at, p.id))

    def get(self, account_id: str, profile_id: str) -> Profile | None:
        if not profile_id or len(profile_id) > 64:
            return None
        try:
            return Profile.from_model(ProfileModel.get(account_id, profile_id,
                                                       consistent_read=True))
        except DoesNotExist:
            return None

    def _counted(self, account_id: str, write: Callable[[TransactWrite], None], delta: int,
                 condition: Condition) -> None:
        """One transaction: the profile's own write, and the account's profile count moved by
        ``delta`` under ``condition``; either both happen or neither."""
        with TransactWrite(connection=self._transactions) as transaction:
            write(transaction)
            transaction.update(UserModel(id=account_id),
                               actions=[UserModel.profile_count.add(delta)],
                               condition=condition)

    def create_main(self, account_id: str, name: str) -> Profile | None:
        """Create (and count) the account's main profile; None when it exists already."""
        stamp = iso()
        item = ProfileModel(account_id, account_id, name=name[:40] or "Me", avatar=AVATARS[0],
                            kids=False, created_at=stamp, updated_at=stamp)
        try:
            self._counted(account_id, lambda t: t.save(
                item, condition=ProfileModel.profile_id.does_not_exist()), 1,
                UserModel.id.exists())
        except TransactWriteError as exc:
            if not _cancelled(exc):
                raise
            return None
        return Profile.from_model(item)

    def ensure_main(self, account_id: str, name: str) -> Profile:
        """The account's main profile, created if the account has none yet: accounts from
        before profiles get theirs on first use or from the migration."""
        found = self.get(account_id, account_id) or self.create_main(account_id, name)
        if found is None:  # made meanwhile by another request, or no such account
            found = self.get(account_id, account_id)
        if found is None:
            raise catalogued("user_not_found")
        return found

    def create(self, account_id: str, name: str, avatar: str | None, kids: bool,
               ceiling: str | None, pin_hash: str | None) -> Profile:
        stamp = iso()
        profile_id = new_profile_id()
        item = ProfileModel(account_id, profile_id, name=name,
                            avatar=avatar or default_avatar(profile_id), kids=kids,
                            ceiling=ceiling if kids else None, pin_hash=pin_hash,
                            created_at=stamp, updated_at=stamp)
        try:
            self._counted(account_id, lambda t: t.save(
                item, condition=ProfileModel.profile_id.does_not_exist()), 1,
                UserModel.profile_count < MAX_PROFILES)
        except TransactWriteError as exc:
            if _cancelled(exc):
                raise catalogued("profiles_full", maximum=MAX_PROFILES) from exc
            raise
        return Profile.from_model(item)

    def update(self, account_id: str, profile_id: str, actions: list[Action]) -> Profile:
        item = ProfileModel(account_id, profile_id)
        try:
            item.update(actions=[*actions, ProfileModel.updated_at.set(iso())],
                        condition=ProfileModel.profile_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise catalogued("profile_not_found") from exc
            raise
        return Profile.from_model(item)

    def delete(self, account_id: str, profile_id: str) -> None:
        if profile_id == account_id:
            raise catalogued("profile_is_main")
        try:
            self._counted(account_id, lambda t: t.delete(
                ProfileModel(account_id, profile_id),
                condition=ProfileModel.profile_id.exists()), -1, UserModel.profile_count > 1)
        except TransactWriteError as exc:
            if _cancelled(exc):
                raise catalogued("profile_not_found") from exc
            raise
