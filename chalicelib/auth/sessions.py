"""Opaque session tokens; Redis keeps only their SHA-256, with a sliding expiry."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import redis

from chalicelib.platform.clock import iso

MAX_TOKEN_LENGTH = 128
MAX_USER_AGENT_LENGTH = 512
#: What `secrets.token_urlsafe` can produce; anything else is junk and never reaches Redis.
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_TOKEN_LENGTH}}}")


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token's session is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Session:
    user_id: str
    token_digest: str
    created_at: str
    ip: str
    user_agent: str
    #: The profile chosen in this session (None: the account's main profile), and its
    #: maturity ceiling (kept with the choice, so that no request reads the profile).
    profile_id: str | None = None
    profile_ceiling: int | None = None


class SessionStore:
    """Sessions as Redis hashes keyed by token digest, plus a set of digests per user."""

    def __init__(self, redis: redis.Redis, ttl_seconds: int = 14 * 24 * 3600,
                 prefix: str = "notflix") -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        self.redis = redis
        self.ttl = ttl_seconds
        self.prefix = prefix
        # set the fields only on a session that still exists (never resurrect a revoked one)
        self._choose = redis.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "redis.call('HSET', KEYS[1], 'profile_id', ARGV[1], 'profile_ceiling', ARGV[2]) "
            "return 1 end return 0")
        self._profile_changed = redis.register_script(
            "for _, key in ipairs(KEYS) do "
            "if redis.call('HGET', key, 'profile_id') == ARGV[1] then "
            "if ARGV[3] == '1' then redis.call('HDEL', key, 'profile_id', 'profile_ceiling') "
            "else redis.call('HSET', key, 'profile_ceiling', ARGV[2]) end end end return 0")

    def _key(self, token_digest: str) -> str:
        return f"{self.prefix}:session:{token_digest}"

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}:user-sessions:{user_id}"

    def _keep_user_set(self, pipe: redis.client.Pipeline, user_id: str) -> None:
        """Give the user's set an expiry no shorter than its newest session's."""
        pipe.expire(self._user_key(user_id), self.ttl, nx=True)
        pipe.expire(self._user_key(user_id), self.ttl, gt=True)

    def create(self, user_id: str, *, ip: str, user_agent: str) -> str:
        """A new token (256 random bits); only its digest is stored."""
        token = secrets.token_urlsafe(32)
        token_digest = digest(token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._key(token_digest), mapping={
            "user_id": user_id, "created_at": iso(), "ip": ip,
            "user_agent": user_agent[:MAX_USER_AGENT_LENGTH]})
        pipe.expire(self._key(token_digest), self.ttl)
        pipe.sadd(self._user_key(user_id), token_digest)
        self._keep_user_set(pipe, user_id)
        pipe.execute()
        return token

    def lookup(self, token: str) -> Session | None:
        """The session behind a token, its expiry pushed back; None for anything else."""
        if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
            return None
        token_digest = digest(token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(self._key(token_digest))
        pipe.expire(self._key(token_digest), self.ttl)
        fields, _ = pipe.execute()
        if not fields or "user_id" not in fields:
            return None
        user_pipe = self.redis.pipeline(transaction=False)
        self._keep_user_set(user_pipe, fields["user_id"])
        user_pipe.execute()
        return Session(user_id=fields["user_id"], token_digest=token_digest,
                       created_at=fields.get("created_at", ""), ip=fields.get("ip", ""),
                       user_agent=fields.get("user_agent", ""),
                       profile_id=fields.get("profile_id") or None,
                       profile_ceiling=_ceiling(fields.get("profile_ceiling")))

    def choose_profile(self, token_digest: str, profile_id: str, ceiling: int | None) -> bool:
        """Record the profile this session watches as; False if the session has ended."""
        return bool(self._choose(keys=[self._key(token_digest)],
                                 args=[profile_id, "" if ceiling is None else ceiling]))

    def profile_changed(self, user_id: str, profile_id: str, ceiling: int | None, *,
                        removed: bool = False) -> None:
        """Tell every session of the account watching as ``profile_id`` its new ceiling, or
        (``removed``) that it watches as the main profile again."""
        digests: set[str] = self.redis.smembers(self._user_key(user_id))  # type: ignore[assignment]
        if digests:
            self._profile_changed(keys=[self._key(d) for d in digests],
                                  args=[profile_id, "" if ceiling is None else ceiling,
                                        "1" if removed else ""])

    def revoke(self, token: str) -> None:
        """End the session behind a token; unknown or junk tokens are ignored."""
        if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
            return
        token_digest = digest(token)
        user_id = self.redis.hget(self._key(token_digest), "user_id")
        if user_id:
            self.revoke_digest(token_digest, str(user_id))

    def revoke_digest(self, digest: str, user_id: str) -> None:
        """End one session of a user, known by its digest."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._key(digest))
        pipe.srem(self._user_key(user_id), digest)
        pipe.execute()

    def revoke_all(self, user_id: str, *, except_digest: str | None = None) -> int:
        """End every session of a user (but `except_digest`); returns how many ended."""
        members: set[str] = self.redis.smembers(self._user_key(user_id))  # type: ignore[assignment]
        digests = [d for d in members if d != except_digest]
        if not digests:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*(self._key(d) for d in digests))
        pipe.srem(self._user_key(user_id), *digests)
        removed, _ = pipe.execute()
        return int(removed)


def _ceiling(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None
