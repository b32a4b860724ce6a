"""A corpus of bad input against every endpoint, on SQLite and PostgreSQL: each case gets a
4xx in the service's JSON error shape with a message, never a 500, and nothing is stored
half-way. The connection stays usable: a good request on the same client still works."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.keys import digest
from app.lexicon.compiler import default_lexicon_dir
from app.settings import ApiKey, Settings
from app.store.db import drop_everything, make_engine, migrate
from tests.api.test_service import KEYS, auth
from tests.conftest import PG_URL, _pg_reachable


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, tmp_path_factory):
    """One service per database for the whole corpus (each test counts what it stored)."""
    tmp = tmp_path_factory.mktemp("bad-input")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'callqa.db'}"
    else:
        reason = _pg_reachable(PG_URL)
        if reason:
            pytest.skip(reason)
        url = PG_URL
    engine = make_engine(url)
    if request.param == "postgresql":
        drop_everything(engine)
    migrate(engine)
    engine.dispose()
    lexdir = tmp / "lex"
    shutil.copytree(default_lexicon_dir(), lexdir)
    settings = Settings(database_url=url, lexicon_dir=lexdir, max_body_bytes=64 * 1024,
                        api_keys=[ApiKey(name=r, role=r, sha256=digest(k)) for r, k in KEYS.items()])
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as c:
        c.lexdir = lexdir
        yield c


def _stored(client) -> int:
    return client.get("/v1/calls", headers=auth("read")).json()["total"]

GOOD = {"call_id": "ok-1", "agent_id": "a1", "utterances": [
    {"speaker": "agent", "text": "您好瑞丰电器客服中心请问有什么可以帮您", "start_ms": 0, "end_ms": 3000},
    {"speaker": "customer", "text": "空调不制冷", "start_ms": 3200, "end_ms": 4800},
    {"speaker": "agent", "text": "好的感谢您的来电再见", "start_ms": 5000, "end_ms": 7000}],
    "variables": {"company": "瑞丰电器"}}


def _with(**changes) -> dict:
    return {**GOOD, **changes}


def _utt(text: str) -> dict:
    return _with(utterances=[{"speaker": "agent", "text": text}])


BODIES = {
    "nul in call_id": _with(call_id="nul\u0000id"),
    "nul in agent_id": _with(agent_id="a\u0000"),
    "nul in team_id": _with(team_id="\u0000"),
    "nul in text": _utt("您好\u0000再见"),
    "nul in a variable": _with(variables={"company": "瑞丰\u0000"}),
    "nul in a variable's name": _with(variables={"com\u0000pany": "瑞丰"}),
    "started_at at the end of time": _with(started_at="9999-12-31T23:59:59-14:00"),
    "started_at at the start of time": _with(started_at="0001-01-01T00:00:00Z"),
    "started_at past 2999 in UTC": _with(started_at="2999-12-31T23:59:59-14:00"),
    "started_at before 1900 in UTC": _with(started_at="1900-01-01T00:00:00+14:00"),
    "start_ms true": _with(utterances=[{"speaker": "agent", "text": "x", "start_ms": True}]),
    "end_ms false": _with(utterances=[{"speaker": "agent", "text": "x", "end_ms": False}]),
    "started_at as digits": _with(started_at="20261102"),
    "started_at as a number": _with(started_at=1700000000),
    "started_at not a time": _with(started_at="yesterday"),
    "no utterances": _with(utterances=[]),
    "unknown speaker": _with(utterances=[{"speaker": "robot", "text": "x"}]),
    "times backwards": _with(utterances=[{"speaker": "agent", "text": "x", "start_ms": 5, "end_ms": 1}]),
    "negative time": _with(utterances=[{"speaker": "agent", "text": "x", "start_ms": -1}]),
    "no agent speech": _with(utterances=[{"speaker": "customer", "text": "喂"}]),
    "call_id too long": _with(call_id="x" * 201),
    "empty call_id": _with(call_id=""),
    "blank call_id": _with(call_id="   "),
    "blank agent_id": _with(agent_id="\t"),
    "a list, not a call": [GOOD],
    "a string": "call",
}

RAW = {
    "not JSON": b"{call_id: 1}",
    "cut short": json.dumps(GOOD).encode()[:40],
    "lone surrogate": b'{"call_id": "a\\ud800", "utterances": [{"speaker": "agent", "text": "x"}]}',
    "deep nesting": b"[" * 10000 + b"]" * 10000,
    "not UTF-8": b'{"call_id": "\xff", "utterances": []}',
    "empty": b"",
}


def _check_refused(r, stored_before: int, client) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()["error"]
    assert body["status"] == r.status_code and len(body["message"]) > 10
    assert _stored(client) == stored_before  # nothing half-written


@pytest.mark.parametrize("name", sorted(BODIES))
def test_bad_calls_are_refused_with_a_reason(client, name):
    before = _stored(client)
    for path in ("/v1/calls", "/v1/score"):
        r = client.post(path, json=BODIES[name], headers=auth("ingest"))
        _check_refused(r, before, client)
    assert client.post("/v1/calls", json=_with(call_id=f"after {name}"), headers=auth("ingest")).status_code == 201


@pytest.mark.parametrize("name", sorted(RAW))
def test_bodies_that_are_not_calls_are_refused(client, name):
    before = _stored(client)
    r = client.post("/v1/calls", content=RAW[name], headers={**auth("ingest"), "Content-Type": "application/json"})
    _check_refused(r, before, client)


def test_a_byte_order_mark_is_read_past(client):
    r = client.post("/v1/calls", content=b"\xef\xbb\xbf" + json.dumps(GOOD).encode(),
                    headers={**auth("ingest"), "Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def _cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


QUERIES = [
    "/v1/calls?agent_id=%00", "/v1/calls?phrase=%00", "/v1/calls?team_id=a%00b", "/v1/calls/nul%00id",
    "/v1/agents/%00/summary", "/v1/stats/rules?team_id=%00", "/v1/stats/rules?agent_id=%00",
    "/v1/calls?since=0001-01-01", "/v1/calls?until=9999-12-31T23:59:59-14:00", "/v1/calls?since=20261005",
    "/v1/calls?since=1700000000", "/v1/agents/a1/summary?since=0001-01-01", "/v1/stats/rules?until=9999-12-31",
    "/v1/calls?limit=0", "/v1/calls?limit=100000", "/v1/calls?sort=nope", "/v1/calls?min_score=nan",
    "/v1/calls?cursor=notbase64!", "/v1/calls?cursor=" + _cursor("score", [1], "x") + "&sort=score",
    "/v1/calls?cursor=" + _cursor("score", {"a": 1}, "x") + "&sort=score",
    "/v1/calls?cursor=" + _cursor("started_at", "2026-01-01T00:00:00", "x"),
    "/v1/calls?cursor=" + _cursor("started_at", "0001-01-01T00:00:00+14:00", "x"),
    "/v1/calls?cursor=" + _cursor("score", "high", "x") + "&sort=score",
    "/v1/calls?cursor=" + _cursor("started_at", None, "x") + "&sort=score",
    "/v1/calls?cursor=" + _cursor([1], 2),
    "/v1/calls?cursor=" + _cursor("score", 1e308, "x\u0000") + "&sort=score",
    "/v1/calls?cursor=" + base64.urlsafe_b64encode(b"[" * 5000).decode(),
    "/v1/calls?cursor=" + _cursor("score", int("9" * 400), "x") + "&sort=score",
    "/v1/calls?cursor=" + _cursor("score", -int("9" * 400), "x") + "&sort=score&order=asc",
    "/v1/calls?cursor=" + base64.urlsafe_b64encode(b'["started_at", null, "\\ud800"]').decode(),
    "/v1/calls?cursor=" + _cursor("started_at", "2999-12-31T23:59:59-14:00", "x"),
]


@pytest.mark.parametrize("url", QUERIES)
def test_bad_queries_are_refused_with_a_reason(client, url):
    assert client.post("/v1/calls", json=GOOD, headers=auth("ingest")).status_code in (200, 201)
    before = _stored(client)
    r = client.get(url, headers=auth("read"))
    _check_refused(r, before, client)


def test_call_ids_with_slashes_can_be_fetched(client):
    call = _with(call_id="2026/11/27/0001")
    assert client.post("/v1/calls", json=call, headers=auth("ingest")).status_code == 201
    for url in ("/v1/calls/2026/11/27/0001", "/v1/calls/2026%2F11%2F27%2F0001"):
        r = client.get(url, headers=auth("read"))
        assert r.status_code == 200 and r.json()["call"]["call_id"] == "2026/11/27/0001"


def test_a_call_at_the_first_day_of_the_range_is_dated(client):
    """The earliest time a call may have is a real day, counted in ranges (not 'no start time')."""
    call = _with(call_id="early", started_at="1900-01-02T00:00:00+08:00")
    assert client.post("/v1/calls", json=call, headers=auth("ingest")).status_code == 201
    assert client.post("/v1/calls", json=_with(call_id="undated"), headers=auth("ingest")).status_code == 201
    page = client.get("/v1/calls?until=1900-01-03", headers=auth("read")).json()
    assert page["total"] == len(page["items"]) == 1 and page["items"][0]["call_id"] == "early"


def test_an_empty_phrase_in_an_edited_lexicon_is_a_listed_problem(client):
    p = client.lexdir / "closing.yaml"
    good = p.read_text(encoding="utf-8")
    p.write_text(good.replace("phrases: [再见, 再会]", "phrases: ['', 再会]"), encoding="utf-8")
    try:
        r = client.post("/v1/lexicons/reload", headers=auth("admin"))
    finally:
        p.write_text(good, encoding="utf-8")
    assert r.status_code == 422
    assert any(d["rule_id"] == "closing" and "empty" in d["message"] for d in r.json()["error"]["details"])


def test_messages_carry_no_library_prefixes(client):
    r = client.post("/v1/calls", json=BODIES["times backwards"], headers=auth("ingest"))
    assert "Value error" not in r.text and "end_ms" in r.json()["error"]["message"]


FORMATS_DIR = Path(__file__).resolve().parents[2] / "samples" / "formats"


def test_every_format_is_read_by_the_service(client):
    native = client.post("/v1/score", content=(FORMATS_DIR / "native.json").read_bytes(), headers=auth("ingest")).json()
    for path in sorted(FORMATS_DIR.iterdir()):
        r = client.post("/v1/score?call_id=rf-20261127-0001&var.company=瑞丰电器", content=path.read_bytes(),
                        headers={**auth("ingest"), "Content-Type": "text/plain"})
        assert r.status_code == 200, (path.name, r.text)
        body = r.json()
        source = body.pop("source", None)
        assert body == native, path.name
        assert path.name == "native.json" or source["roles"] in ("format", "inferred")


def test_stored_calls_keep_how_their_roles_were_settled(client):
    r = client.post("/v1/calls?format=aliyun&agent=0&agent_id=a-9&team_id=t-1",
                    content=(FORMATS_DIR / "aliyun.json").read_bytes(), headers=auth("ingest"))
    assert r.status_code in (200, 201), r.text
    stored = client.get("/v1/calls/rf-20261127-0001", headers=auth("read")).json()
    assert stored["call"]["agent_id"] == "a-9" and stored["call"]["source"]["roles"] == "mapped"
    assert stored["result"]["source"]["agent_speaker"] == "0"


@pytest.mark.parametrize("body,query,status,message", [
    (b"just some words", "", 415, "no reader recognised it"),
    (b'{"Result": {"Sentences": [{"ChannelId": 0, "BeginTime": "x", "Text": "a"}]}}', "", 400, "BeginTime"),
    (b'{"Result": {"Sentences": [', "", 400, "line 1 column"),
    (b"\x00\x01binary\x00", "", 400, "binary"),
    (b'{"segments": [{"start": 0, "end": 1, "text": "x"}]}', "?call_id=w1", 422, "names no speakers"),
    (b"WEBVTT\n\n00:01.000 --> 00:02.000\n<v a>x\n", "?format=aliyun", 400, "invalid JSON"),
    (b'{"foo": 1}', "?format=aliyun", 400, "not aliyun"),
    (b"x", "?format=mp3", 422, "format"),
    (b"[null, null]", "?format=native&call_id=0", 422, "item 0 of the array is not a call"),
    (b'"a string"', "?format=native&team_id=t", 422, "the body is not a call"),
    (b"null", "?format=native&call_id=0", 422, "the body is not a call"),
    (b"null", "?format=iflytek&call_id=0", 400, "not iflytek"),
    (b"null", "?format=aliyun", 400, "not aliyun"),
    (b"[1, {}]", "?call_id=x", 415, "no reader recognised it"),
    (b'[{"call_id": "a", "utterances": [{"speaker": "agent", "text": "x"}]},'
     b' {"call_id": "b", "utterances": [{"speaker": "agent", "text": "x"}]}]', "?team_id=t", 422, "one call per request"),
])
def test_bad_files_are_refused_with_a_reason(client, body, query, status, message):
    before = _stored(client)
    r = client.post(f"/v1/calls{query}", content=body, headers=auth("ingest"))
    assert r.status_code == status and message in r.text, r.text
    assert _stored(client) == before


def test_a_vendor_body_holding_utterances_is_not_taken_for_native_json(client):
    """Volcengine's result.utterances must not send the body down the native path."""
    body = (FORMATS_DIR / "volcengine.json").read_bytes()
    r = client.post("/v1/score", content=body, headers=auth("ingest"))
    assert r.status_code == 422 and "volcengine input holds no call id" in r.text
    r = client.post("/v1/score?call_id=v-1", content=body, headers=auth("ingest"))
    assert r.status_code == 200 and r.json()["source"]["format"] == "volcengine"


def test_unknown_formats_list_every_reader_tried(client):
    r = client.post("/v1/score", content=b'{"foo": 1}', headers=auth("ingest"))
    assert r.status_code == 415
    tried = {d["format"] for d in r.json()["error"]["details"]}
    assert {"native", "aliyun", "tencent", "whisper", "speech-analytics"} <= tried


def test_a_body_over_the_limit_in_any_format(client):
    r = client.post("/v1/calls?format=srt", content=b"1\n" * 40000, headers=auth("ingest"))
    assert r.status_code == 413
