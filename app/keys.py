"""API keys: made here, kept in settings only as SHA-256 digests, looked up in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol


class StoredKey(Protocol):
    name: str
    role: str
    sha256: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return "cq_" + secrets.token_urlsafe(32)


def find_key(keys: list[StoredKey], presented: str) -> StoredKey | None:
    d = digest(presented)
    found = None
    for k in keys:  # compare with every key, in constant time each
        if hmac.compare_digest(k.sha256, d):
            found = k
    return found
