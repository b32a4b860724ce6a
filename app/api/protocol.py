"""The HTTP protocol the service runs on: uvicorn's httptools protocol, except that a request
the parser itself refuses (not HTTP at all, or a request line or headers longer than the
parser takes, such as a 100 KB query string) is answered in the service's JSON error shape
rather than as plain text, and a URL holding raw UTF-8 (curl sends `?phrase=我不知道` as it
is typed) is read as if its bytes had been percent-encoded, as most servers do."""

from __future__ import annotations

import json
import re

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def _percent(match: re.Match) -> bytes:
    return b"%%%02X" % match.group()[0]


class JsonErrorsProtocol(HttpToolsProtocol):
    # The request line is the bytes from the start of a request to its first newline; httptools'
    # parser refuses any byte above 0x7F in it, so they are percent-encoded on the way in (they
    # decode to the same text). Only a request that starts a chunk of received bytes, or follows
    # one that ended with a chunk, is rewritten: one pipelined behind another in the same chunk is
    # left as it came, and its body and headers are never touched.
    _line_open = True    # the next bytes received start (or continue) a request line
    _line_chunk = False  # this chunk's first request is the one whose line was rewritten

    def data_received(self, data: bytes) -> None:
        self._line_chunk = self._line_open
        if self._line_open:
            end = data.find(b"\n")
            line, rest = (data, b"") if end < 0 else (data[:end], data[end:])
            self._line_open = end < 0
            if _HIGH_BYTE.search(line):
                data = _HIGH_BYTE.sub(_percent, line) + rest
        super().data_received(data)

    def on_message_begin(self) -> None:
        if self._line_chunk:
            self._line_chunk = False
        else:
            self._line_open = False
        super().on_message_begin()

    def on_message_complete(self) -> None:
        self._line_open = True
        super().on_message_complete()

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
