"""The HTTP protocol the service runs on: uvicorn's httptools protocol, except that a request
the parser itself refuses (not HTTP at all, or a request line or headers longer than the
parser takes, such as a 100 KB query string) is answered in the service's JSON error shape
rather than as plain text."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class JsonErrorsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"error": {
            "status": 400, "code": "bad_request",
            "message": f"{msg.rstrip('.')}: the request is not valid HTTP, or its URL or headers are longer than the "
                       "server reads; send long values in a request body"}}).encode()
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/json\r\n",
                        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", body])
        self.transport.write(b"".join(content))
        self.transport.close()
