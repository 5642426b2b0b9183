"""Passwords, stored only as argon2id hashes (argon2-cffi's defaults follow RFC 9106's
low-memory recommendation). Verification of an unknown user still does the work of one
hash, so response time does not reveal which emails have accounts."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id


@cache
def _decoy() -> str:
    return _hasher().hash("switchboard-decoy-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """True if `password` matches `stored`; with nothing stored, hash anyway and say no."""
    try:
        return _hasher().verify(stored or _decoy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
