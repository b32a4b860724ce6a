"""Refuse what no route can take before any route sees it: bodies over the configured size
(before reading them whole), and NUL characters in the path or query, which no stored value
holds (PostgreSQL cannot store them) and which would otherwise reach the database."""

from __future__ import annotations

import json

# FastAPI's own max_body_size answers 413 as plain text ("Content Too Large") outside the
# exception handlers; this one keeps the service's single JSON error shape and names the limit.


class BodyLimit:
    """ASGI middleware: 413 when Content-Length says too much, or when a body sent without
    one grows past the limit."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        query = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            return await _answer(send, 400, "bad_request", "the URL holds a NUL character (%00); no stored value has one")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send):
        await _answer(send, 413, "too_large", f"request body is larger than {self.max_bytes} bytes; "
                                              "send one call per request, or raise CALLQA_MAX_BODY_BYTES")


async def _answer(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"status": status, "code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
