"""The service's HTTP protocol (app.api.protocol) on a real socket: a URL holding raw UTF-8, as
curl sends it, is read as its percent-encoded form would be; bodies, headers and pipelined
requests arrive exactly as sent; what is not HTTP is refused in the JSON error shape."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn

from app.api.protocol import JsonErrorsProtocol
from tests.test_cli import _free_port


async def _echo(scope, receive, send):
    """An ASGI app that answers with what it was given: path, query, one header and the body."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = dict(scope["headers"])
    answer = json.dumps({"path": scope["path"], "query": scope["query_string"].decode("latin-1"),
                         "note": headers.get(b"x-note", b"").decode("utf-8"), "body": body.decode("utf-8")},
                        ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port():
    port = _free_port()
    config = uvicorn.Config(_echo, host="127.0.0.1", port=port, log_level="warning", http=JsonErrorsProtocol,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, *chunks: bytes, answers: int = 1) -> list[tuple[int, dict]]:
    """Send the chunks one by one (a pause between, so each is received on its own) and read
    `answers` responses."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for chunk in chunks:
            s.sendall(chunk)
            time.sleep(0.05)
        data = b""
        out = []
        while len(out) < answers:
            part = s.recv(65536)
            if not part:
                break
            data += part
            while b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                if len(rest) < length:
                    break
                out.append((int(head.split(b" ")[1]), json.loads(rest[:length])))
                data = rest[length:]
        return out


def _get(target: str, extra: str = "") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def test_raw_utf8_in_a_query_and_a_path_is_read(port):
    ((status, got),) = _exchange(port, _get("/v1/calls/通话1?phrase=我不知道"))
    assert status == 200 and got["path"] == "/v1/calls/通话1"
    assert got["query"] == "phrase=%E6%88%91%E4%B8%8D%E7%9F%A5%E9%81%93"  # as a browser would send it


def test_a_request_line_split_across_chunks(port):
    whole = _get("/a?q=我不知道", "X-Note: 您好\r\n")
    cut = whole.index("不".encode()) + 1  # inside a character
    ((status, got),) = _exchange(port, whole[:cut], whole[cut:])
    assert status == 200 and got["query"] == "q=%E6%88%91%E4%B8%8D%E7%9F%A5%E9%81%93" and got["note"] == "您好"


def test_headers_and_bodies_are_untouched(port):
    body = "再见\n我不知道".encode()
    head = f"POST /v1/score?x=再见 HTTP/1.1\r\nHost: x\r\nX-Note: 喂\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    # the body sent in pieces of its own, the first of them starting with a newline-free run of UTF-8
    ((status, got),) = _exchange(port, head, body[:3], body[3:])
    assert status == 200 and got["body"] == "再见\n我不知道" and got["note"] == "喂"


def test_pipelined_requests_are_answered_in_turn(port):
    body = "我\n不".encode()
    first = f"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:2]
    second = body[2:] + _get("/two?q=ok")  # (raw UTF-8 here, behind another request, is not rewritten)
    answers = _exchange(port, first, second, _get("/three?q=再见"), answers=3)
    assert [a[0] for a in answers] == [200, 200, 200]
    assert answers[0][1]["body"] == "我\n不"
    assert answers[1][1]["path"] == "/two" and answers[1][1]["query"] == "q=ok"
    assert answers[2][1]["query"] == "q=%E5%86%8D%E8%A7%81"


def test_what_is_not_http_is_refused_as_json(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 hello\r\n\r\n")
        reply = s.recv(65536)
    head, body = reply.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 400") and json.loads(body)["error"]["code"] == "bad_request"
