"""Users and their unique emails in DynamoDB."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.auth.models import UserEmailModel, UserModel
from chalicelib.openapi import responses as api
from chalicelib.platform.clock import iso
from chalicelib.platform.errors import catalogued
from chalicelib.platform.ids import is_uuid

ROLES = ("viewer", "uploader", "admin")
DEFAULT_ROLES = frozenset({"viewer"})
#: A user id no account has (ids are random UUIDs, version 4).
NO_USER_ID = "00000000-0000-0000-0000-000000000000"

#: Users read by one page of an admin search (a filtered scan).
SEARCH_READ_BUDGET = 2_000


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


@dataclass(frozen=True)
class User:
    id: str
    email: str
    display_name: str
    roles: frozenset[str]
    created_at: str
    updated_at: str
    password_hash: str
    password_version: int

    @classmethod
    def from_model(cls, item: UserModel) -> User:
        return cls(id=item.id, email=item.email, display_name=item.display_name,
                   roles=frozenset(item.roles or DEFAULT_ROLES), created_at=item.created_at,
                   updated_at=item.updated_at, password_hash=item.password_hash,
                   password_version=int(item.password_version or 1))

    def public(self) -> api.User:
        return {"id": self.id, "email": self.email, "display_name": self.display_name,
                "roles": sorted(self.roles), "created_at": self.created_at,
                "updated_at": self.updated_at}


class UserRepository:
    def __init__(self, transactions: Connection) -> None:
        self._transactions = transactions

    def create(self, email: str, display_name: str, password_hash: str,
               roles: frozenset[str] = DEFAULT_ROLES) -> User:
        """Write the user and its email guard in one transaction; 409 if the email exists."""
        email = normalise_email(email)
        stamp = iso()
        user = UserModel(id=str(uuid.uuid4()), email=email, display_name=display_name,
                         roles=set(roles), password_hash=password_hash, created_at=stamp,
                         updated_at=stamp, password_version=1)
        guard = UserEmailModel(email=email, user_id=user.id)
        try:
            with TransactWrite(connection=self._transactions) as transaction:
                transaction.save(guard, condition=UserEmailModel.email.does_not_exist())
                transaction.save(user, condition=UserModel.id.does_not_exist())
        except TransactWriteError as exc:
            if exc.cause_response_code == "TransactionCanceledException":
                raise catalogued("email_taken") from exc
            raise
        return User.from_model(user)

    def get(self, user_id: str) -> User | None:
        try:
            return User.from_model(UserModel.get(user_id, consistent_read=True))
        except DoesNotExist:
            return None

    def existing(self, user_id: str) -> User:
        """The user with this id; 404 ``user_not_found`` for an unknown id or no id at all."""
        found = self.get(user_id) if is_uuid(user_id) else None
        if found is None:
            raise catalogued("user_not_found")
        return found

    def get_by_email(self, email: str) -> User | None:
        """The account using `email`; a miss makes the same two reads as a hit, so the
        lookup's timing does not tell whether an account exists."""
        key = normalise_email(email)
        if not key:
            return None  # DynamoDB refuses an empty key (login refuses a blank email first)
        try:
            user_id = UserEmailModel.get(key, consistent_read=True).user_id
        except DoesNotExist:
            self.get(NO_USER_ID)
            return None
        return self.get(user_id)

    def update_display_name(self, user_id: str, display_name: str) -> User:
        return self._update(user_id, [UserModel.display_name.set(display_name)])

    def set_roles(self, user_id: str, roles: frozenset[str]) -> User:
        return self._update(user_id, [UserModel.roles.set(set(roles))])

    def set_password_hash(self, user_id: str, password_hash: str, *, new_version: bool) -> User:
        actions: list[Action] = [UserModel.password_hash.set(password_hash)]
        if new_version:
            actions.append(UserModel.password_version.add(1))
        return self._update(user_id, actions)

    def _update(self, user_id: str, actions: Sequence[Action]) -> User:
        item = UserModel(id=user_id)
        try:
            item.update(actions=[*actions, UserModel.updated_at.set(iso())],
                        condition=UserModel.id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise catalogued("user_not_found") from exc
            raise
        return User.from_model(item)

    def emails(self, user_ids: list[str]) -> dict[str, str]:
        """{user id: email} for the ids that are users, reading those two attributes only."""
        return {item.id: item.email for item in UserModel.batch_get(
            user_ids, attributes_to_get=["id", "email"])}

    def search(self, text: str, limit: int = 50, after: str | None = None,
               budget: int = SEARCH_READ_BUDGET) -> tuple[list[User], str | None]:
        """Users whose email or name holds ``text`` (an email: that user only), a page at a
        time: the scan reads at most ``budget`` users per page, so a rare match costs a few
        "More" clicks rather than a timeout; the cursor says where to go on."""
        wanted = text.strip()
        if "@" in wanted and " " not in wanted:
            found = self.get_by_email(wanted)
            return ([found] if found is not None else []), None
        lowered = wanted.lower()
        variants = {wanted, lowered, wanted.title(), wanted.capitalize()}
        condition = UserModel.email.contains(lowered)
        for variant in variants:
            condition = condition | UserModel.display_name.contains(variant)
        start = {"id": {"S": after}} if after else None
        pages = UserModel.scan(filter_condition=condition, last_evaluated_key=start,
                               page_size=min(budget, 500)).page_iter
        users: list[User] = []
        for page in pages:  # whole pages: the cursor is a page's end, so none is skipped
            users += [User.from_model(UserModel.from_raw_data(raw)) for raw in page["Items"]]
            if len(users) >= limit or pages.total_scanned_count >= budget:
                break
        last = pages.last_evaluated_key
        return users, (last["id"]["S"] if last else None)

    def list(self, limit: int = 50, after: str | None = None) -> tuple[list[User], str | None]:
        """A page of users for the admin console (a paginated scan: admin only, bounded)."""
        start = {"id": {"S": after}} if after else None
        result = UserModel.scan(limit=limit, last_evaluated_key=start)
        users = [User.from_model(item) for item in result]
        last = result.last_evaluated_key
        return users, (last["id"]["S"] if last else None)
