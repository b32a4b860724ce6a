"""API keys with roles. Settings hold SHA-256 digests of the keys, never the keys.
`admin` may do everything; `read` queries; `ingest` sends calls and scores them."""

from __future__ import annotations

import ipaddress

from fastapi import Depends, HTTPException, Request

from app.keys import find_key

ALLOWS = {"ingest": {"ingest"}, "read": {"read"}, "admin": {"ingest", "read", "admin"}}


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _presented(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def require(role: str):
    """A dependency that lets the request through when its key's role allows `role`.
    With no keys configured the service is open to clients on this machine only, however it
    was started: anyone else could read every call."""

    async def check(request: Request) -> None:  # async: no blocking work, so no thread-pool hop
        keys = request.app.state.settings.api_keys
        if not keys:
            if _loopback(request):
                return
            raise HTTPException(403, "this service has no API keys configured, so it answers clients on its own "
                                     "machine only; make keys with 'callqa key new' and set CALLQA_API_KEYS")
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
