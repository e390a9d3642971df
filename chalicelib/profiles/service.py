"""Profiles of an account: the picker's list, choosing one for a session (with its PIN),
and managing them. The profile chosen is the viewer: its id keys resume points, history,
continue watching, My List, ratings and its own user node in the recommendation graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynamodb.expressions.update import Action

from chalicelib.auth import passwords
from chalicelib.auth.limits import Limit, RateLimiter
from chalicelib.auth.sessions import Session, SessionStore
from chalicelib.auth.users import User
from chalicelib.platform.errors import catalogued
from chalicelib.profiles import maturity
from chalicelib.profiles.models import ProfileModel
from chalicelib.profiles.store import AVATARS, Profile, ProfileStore

if TYPE_CHECKING:
    from chalicelib.profiles.erasure import ViewerErasure

#: Wrong PINs a profile takes before it waits (per profile, per window).
PIN_ATTEMPTS = Limit("profile-pin", 5, 15 * 60)


@dataclass(frozen=True)
class ProfileChanges:
    """What a create or an edit sets; None leaves a field as it is (or its default)."""

    name: str | None = None
    avatar: str | None = None
    kids: bool | None = None
    ceiling: str | None = None
    #: A new 4-digit PIN; None (or "") leaves it.
    pin: str | None = None
    remove_pin: bool = False


class ProfileService:
    def __init__(self, store: ProfileStore, sessions: SessionStore, limiter: RateLimiter,
                 on_new_viewer: Callable[[str, str], None] | None = None,
                 erasure: ViewerErasure | None = None) -> None:
        self.store = store
        self.sessions = sessions
        self.limiter = limiter
        #: Told (profile id, created at) of each new profile: the graph's user node.
        self.on_new_viewer = on_new_viewer
        #: Erases a deleted profile's viewing data.
        self.erasure = erasure

    def profiles(self, user: User) -> list[Profile]:
        self.store.ensure_main(user.id, user.display_name)
        return self.store.all(user.id)

    def current(self, user: User, session: Session) -> Profile:
        """The session's profile; the main one when none was chosen (or it was deleted)."""
        if session.profile_id and session.profile_id != user.id:
            found = self.store.get(user.id, session.profile_id)
            if found is not None:
                return found
        return self.store.ensure_main(user.id, user.display_name)

    def choose(self, user: User, session: Session, profile_id: str, pin: str | None) -> Profile:
        """Watch as `profile_id` in this session; a locked profile wants its PIN."""
        chosen = (self.store.ensure_main(user.id, user.display_name) if profile_id == user.id
                  else self.store.get(user.id, profile_id))
        if chosen is None:
            raise catalogued("profile_not_found")
        if chosen.pin_hash and session.profile_id != chosen.id:
            self._check_pin(f"{user.id}/{chosen.id}", chosen.pin_hash, pin)
        self.sessions.choose_profile(session.token_digest, chosen.id, chosen.ceiling_level)
        return chosen

    def _check_pin(self, subject: str, pin_hash: str, pin: str | None) -> None:
        """The PIN or a 403; once a profile has taken its wrong PINs for the window, every
        try waits (the right PIN too: otherwise the limit would not stop a guesser)."""
        if not pin:
            raise catalogued("profile_pin_required")
        wait = self.limiter.blocked(PIN_ATTEMPTS, subject)
        if not wait and passwords.verify_password(pin_hash, pin):
            return
        wait = wait or self.limiter.hit((PIN_ATTEMPTS, subject))
        if wait:
            raise catalogued("profile_pin_attempts", seconds=wait,
                             headers={"Retry-After": str(wait)})
        raise catalogued("profile_pin_wrong")

    def create(self, user: User, acting: Profile, changes: ProfileChanges) -> Profile:
        self._may_manage(acting)
        self.store.ensure_main(user.id, user.display_name)  # counted before the others
        kids = bool(changes.kids)
        created = self.store.create(
            user.id, name=(changes.name or "").strip() or "Viewer",
            avatar=changes.avatar if changes.avatar in AVATARS else None, kids=kids,
            ceiling=_ceiling(changes.ceiling) if kids else None,
            pin_hash=passwords.hash_password(changes.pin) if changes.pin else None)
        if self.on_new_viewer is not None:
            self.on_new_viewer(created.id, created.created_at)
        return created

    def update(self, user: User, acting: Profile, profile_id: str,
               changes: ProfileChanges) -> Profile:
        self._may_manage(acting)
        actions: list[Action] = []
        if changes.name is not None:
            actions.append(ProfileModel.name.set(changes.name.strip() or "Viewer"))
        if changes.avatar in AVATARS:
            actions.append(ProfileModel.avatar.set(str(changes.avatar)))
        if changes.kids is not None:
            if changes.kids and profile_id == user.id:
                raise catalogued("profile_is_main")
            actions.append(ProfileModel.kids.set(changes.kids))
            if changes.kids:
                actions.append(ProfileModel.ceiling.set(_ceiling(changes.ceiling)))
            else:
                actions.append(ProfileModel.ceiling.remove())
        elif changes.ceiling is not None:
            actions.append(ProfileModel.ceiling.set(_ceiling(changes.ceiling)))
        if changes.remove_pin:
            actions.append(ProfileModel.pin_hash.remove())
        elif changes.pin:
            actions.append(ProfileModel.pin_hash.set(passwords.hash_password(changes.pin)))
        if not actions:
            unchanged = self.store.get(user.id, profile_id)
            if unchanged is None:
                raise catalogued("profile_not_found")
            return unchanged
        changed = self.store.update(user.id, profile_id, actions)  # 404 if it is gone
        self.sessions.profile_changed(user.id, profile_id, changed.ceiling_level)
        return changed

    def delete(self, user: User, acting: Profile, profile_id: str) -> None:
        """Delete the profile and erase its viewing data.

        The data goes first: if erasing fails, the profile is still there and deleting it
        again finishes the job. Once the profile is gone its sessions fall back to the main
        profile; a second pass erases what a request already under way wrote meanwhile."""
        self._may_manage(acting)
        if profile_id == user.id:
            raise catalogued("profile_is_main")
        if self.store.get(user.id, profile_id) is None:
            raise catalogued("profile_not_found")
        if self.erasure is not None:
            self.erasure.erase(profile_id)
        self.store.delete(user.id, profile_id)
        self.sessions.profile_changed(user.id, profile_id, None, removed=True)
        if self.erasure is not None:
            self.erasure.erase(profile_id)

    @staticmethod
    def _may_manage(acting: Profile) -> None:
        if acting.kids:
            raise catalogued("kids_profile_restricted")


def _ceiling(wanted: str | None) -> str:
    if wanted is None:
        return maturity.DEFAULT_KIDS_CEILING
    name = maturity.canonical(wanted)
    if name not in maturity.KIDS_CEILINGS:
        raise catalogued("unknown_maturity", rating=str(wanted)[:12],
                         ratings=", ".join(maturity.KIDS_CEILINGS))
    return str(name)
