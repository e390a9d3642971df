"""Password policy and hashing (argon2id).

Parameters: argon2id, time cost 2, memory 64 MiB, parallelism 2, 16-byte salt, 32-byte hash:
about 75-85 ms a hash on the 2-core development machine (bench/auth.py measures it), inside
the 50-100 ms target. Hashes made with other parameters are upgraded at the next login.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chalicelib.platform.errors import AppError, catalogued

MIN_LENGTH = 10
MAX_LENGTH = 256  # long enough for pass phrases, short enough to bound the hashing cost

HASHER = PasswordHasher(time_cost=2, memory_cost=65536, parallelism=2, hash_len=32,
                        salt_len=16)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("chalicelib.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def policy_error(password: str, *, email: str = "", name: str = "") -> AppError | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return catalogued("password_too_short", minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return catalogued("password_too_long", maximum=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        return catalogued("password_too_common")
    local_part = email.split("@", 1)[0].lower()
    if (len(local_part) >= 4 and local_part in lowered) or (
            len(name) >= 4 and name.lower() in lowered):
        return catalogued("password_matches_account")
    return None


def check_policy(password: str, *, email: str = "", name: str = "") -> None:
    error = policy_error(password, email=email, name=name)
    if error is not None:
        raise error


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


#: Verified against when an email is unknown, so a miss costs as much as a wrong password.
@cache
def dummy_hash() -> str:
    return HASHER.hash("not-a-real-password-just-timing")
