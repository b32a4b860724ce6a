"""API keys with roles. Settings hold SHA-256 digests of the keys, never the keys.
`admin` may do everything; `read` queries; `ingest` sends calls and scores them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Depends, HTTPException, Request

from app.settings import ApiKey

ALLOWS = {"ingest": {"ingest"}, "read": {"read"}, "admin": {"ingest", "read", "admin"}}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "cq_" + secrets.token_urlsafe(32)


def _presented(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    d = digest(presented)
    found = None
    for k in keys:  # compare with every key, in constant time each
        if hmac.compare_digest(k.sha256, d):
            found = k
    return found


def require(role: str):
    """A dependency that lets the request through when its key's role allows `role`.
    With no keys configured the service is open (it then listens on loopback only)."""

    async def check(request: Request) -> None:  # async: no blocking work, so no thread-pool hop
        keys = request.app.state.settings.api_keys
        if not keys:
            return
        presented = _presented(request)
        if not presented:
            raise HTTPException(401, "an API key is required: send 'Authorization: Bearer <key>'",
                                headers={"WWW-Authenticate": "Bearer"})
        key = find_key(keys, presented)
        if key is None:
            raise HTTPException(401, "this API key is not known", headers={"WWW-Authenticate": "Bearer"})
        if role not in ALLOWS[key.role]:
            raise HTTPException(403, f"key {key.name!r} has role {key.role!r}; this needs {role!r}")

    return Depends(check)
