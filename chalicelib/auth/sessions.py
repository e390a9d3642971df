"""Opaque session tokens; Redis keeps only their SHA-256, with a sliding expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import redis

from chalicelib.clock import iso

MAX_TOKEN_LENGTH = 128


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    user_id: str
    token_digest: str
    created_at: str
    ip: str
    user_agent: str


class SessionStore:
    def __init__(self, redis_client: redis.Redis, ttl_seconds: int = 14 * 24 * 3600,
                 prefix: str = "notflix") -> None:
        self.redis = redis_client
        self.ttl = ttl_seconds
        self.prefix = prefix

    def _key(self, token_digest: str) -> str:
        return f"{self.prefix}:session:{token_digest}"

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}:user-sessions:{user_id}"

    def create(self, user_id: str, *, ip: str, user_agent: str) -> str:
        """A new token (256 random bits); only its digest is stored."""
        token = secrets.token_urlsafe(32)
        token_digest = digest(token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._key(token_digest), mapping={
            "user_id": user_id, "created_at": iso(), "ip": ip, "user_agent": user_agent[:512]})
        pipe.expire(self._key(token_digest), self.ttl)
        pipe.sadd(self._user_key(user_id), token_digest)
        pipe.expire(self._user_key(user_id), self.ttl)
        pipe.execute()
        return token

    def lookup(self, token: str) -> Session | None:
        """The session behind a token, its expiry pushed back; None for anything else."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        token_digest = digest(token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(self._key(token_digest))
        pipe.expire(self._key(token_digest), self.ttl, xx=True)
        fields, _ = pipe.execute()
        if not fields or "user_id" not in fields:
            return None
        self.redis.expire(self._user_key(fields["user_id"]), self.ttl, gt=True)
        return Session(user_id=fields["user_id"], token_digest=token_digest,
                       created_at=fields.get("created_at", ""), ip=fields.get("ip", ""),
                       user_agent=fields.get("user_agent", ""))

    def revoke(self, token: str) -> None:
        session = self.lookup(token)
        if session is not None:
            self.revoke_digest(session.token_digest, session.user_id)

    def revoke_digest(self, token_digest: str, user_id: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._key(token_digest))
        pipe.srem(self._user_key(user_id), token_digest)
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
