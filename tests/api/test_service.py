from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.keys import digest
from app.lexicon.compiler import default_lexicon_dir
from app.settings import ApiKey, Settings

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KEYS = {"ingest": "k-ingest", "read": "k-read", "admin": "k-admin"}


def _calls():
    return [json.loads(line) for line in (SAMPLES / "calls.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def client(engine, tmp_path):
    """The service on a migrated database (SQLite and PostgreSQL), with one key per role."""
    lexdir = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lexdir)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), lexicon_dir=lexdir,
                        api_keys=[ApiKey(name=r, role=r, sha256=digest(k)) for r, k in KEYS.items()],
                        max_body_bytes=64 * 1024)
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as c:
        c.lexdir = lexdir
        yield c


def auth(role):
    return {"Authorization": f"Bearer {KEYS[role]}"}


def test_post_new_then_again_replaces(client):
    call = _calls()[1]
    r = client.post("/v1/calls", json=call, headers=auth("ingest"))
    assert r.status_code == 201 and r.json()["call_id"] == "c-0002" and not r.json()["passed"]
    call2 = {**call, "utterances": call["utterances"][:1] + [{"speaker": "agent", "text": "感谢来电，再见"}]}
    r = client.post("/v1/calls", json=call2, headers=auth("ingest"))
    assert r.status_code == 200
    page = client.get("/v1/calls", headers=auth("read")).json()
    assert page["total"] == 1
    detail = client.get("/v1/calls/c-0002", headers=auth("read")).json()
    assert detail["call"]["utterances"][-1]["text"] == "感谢来电，再见"
    assert detail["result"]["score"] == r.json()["score"]


def test_large_and_ordinary_calls_score_and_store_alike(client):
    """An ordinary call is scored on the event loop, one over INLINE_BODY_BYTES on the scoring
    thread: both answers equal /v1/score's, and the stored result equals the answer."""
    from app.api.routes import INLINE_BODY_BYTES

    small = _calls()[1]
    filler = [{"speaker": "customer", "text": "我家空调不制冷了，遥控器也没反应，" * 3}] * 200
    large = {**small, "call_id": "c-big", "utterances": small["utterances"][:-1] + filler + small["utterances"][-1:]}
    assert len(json.dumps(small, ensure_ascii=False).encode()) < INLINE_BODY_BYTES
    assert INLINE_BODY_BYTES < len(json.dumps(large, ensure_ascii=False).encode()) < 64 * 1024
    for call in (small, large):
        stored = client.post("/v1/calls", json=call, headers=auth("ingest"))
        scored = client.post("/v1/score", json=call, headers=auth("ingest"))
        assert stored.status_code == 201 and stored.json() == scored.json()
        detail = client.get(f"/v1/calls/{call['call_id']}", headers=auth("read")).json()
        assert detail["result"] == stored.json()  # the same document, no null fields added
        assert len(detail["call"]["utterances"]) == len(call["utterances"])


def test_queries(client):
    for call in _calls():
        assert client.post("/v1/calls", json=call, headers=auth("admin")).status_code == 201
    h = auth("read")
    failed = client.get("/v1/calls", params={"passed": "false"}, headers=h).json()
    assert {c["call_id"] for c in failed["items"]} == {"c-0002", "c-0005", "c-0006"}
    forb = client.get("/v1/calls", params={"rule_id": "forbidden"}, headers=h).json()
    assert {c["call_id"] for c in forb["items"]} == {"c-0002", "c-0006"}
    page1 = client.get("/v1/calls", params={"limit": 4, "sort": "score", "order": "asc"}, headers=h).json()
    page2 = client.get("/v1/calls", params={"limit": 4, "sort": "score", "order": "asc", "cursor": page1["next_cursor"]},
                       headers=h).json()
    ids = [c["call_id"] for c in page1["items"] + page2["items"]]
    assert len(ids) == len(set(ids)) == 7 and page2["next_cursor"] is None
    summary = client.get("/v1/agents/a-31/summary", headers=h).json()
    assert summary["calls"] == 2 and summary["violations"]["hold_limit"] == 1
    stats = {r["rule_id"]: r for r in client.get("/v1/stats/rules", headers=h).json()}
    assert stats["forbidden"]["violations"] == 2
    assert {p["phrase"] for p in stats["forbidden"]["top_phrases"]} >= {"这事我们不管", "不行"}
    lex = client.get("/v1/lexicons", headers=h).json()
    assert {"greeting", "closing", "forbidden"} <= {r["id"] for r in lex["rules"]}


def test_ranges_in_the_centers_time(client):
    """Stats count whole days of CALLQA_TIMEZONE (Asia/Shanghai by default); a list time
    without an offset is local time too."""
    for call in _calls():
        assert client.post("/v1/calls", json=call, headers=auth("ingest")).status_code == 201
    h = auth("read")
    day2 = {"since": "2026-11-03", "until": "2026-11-04"}
    summary = client.get("/v1/agents/a-07/summary", params=day2, headers=h).json()
    assert summary["calls"] == 1 and [d["day"] for d in summary["trend"]] == ["2026-11-03"]
    whole = client.get("/v1/agents/a-07/summary", headers=h).json()
    assert [(d["day"], d["calls"]) for d in whole["trend"]] == [("2026-11-02", 2), ("2026-11-03", 1)]
    stats = {r["rule_id"]: r for r in client.get("/v1/stats/rules", params=day2, headers=h).json()}
    assert stats["closing"]["calls_applicable"] == 3
    # 09:12 in Beijing, written without an offset and as UTC: the same instant
    for since in ("2026-11-03T09:12:00", "2026-11-03T01:12:00Z"):
        page = client.get("/v1/calls", params={"since": since, "until": "2026-11-03T09:13:00+08:00"}, headers=h).json()
        assert [c["call_id"] for c in page["items"]] == ["c-0005"], since
    r = client.get("/v1/stats/rules", params={"since": "2026-11-03T09:12:00"}, headers=h)
    assert r.status_code == 422 and "since" in r.text
    # A number is not taken for Unix seconds: since=20261103 would be 1970-08-23.
    for path in ("/v1/calls", "/v1/stats/rules", "/v1/agents/a-07/summary"):
        for params in ({"since": "20261103"}, {"until": "0"}):
            r = client.get(path, params=params, headers=h)
            assert r.status_code == 422 and "ISO 8601" in r.json()["error"]["message"], (path, params)


def test_score_does_not_store(client):
    r = client.post("/v1/score", json=_calls()[0], headers=auth("ingest"))
    assert r.status_code == 200 and r.json()["passed"]
    assert client.get("/v1/calls", headers=auth("read")).json()["total"] == 0


def test_keys_and_roles(client):
    call = _calls()[0]
    assert client.post("/v1/calls", json=call).status_code == 401
    r = client.post("/v1/calls", json=call, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.post("/v1/calls", json=call, headers=auth("read"))
    assert r.status_code == 403 and "role 'read'" in r.json()["error"]["message"]
    assert client.get("/v1/calls", headers=auth("ingest")).status_code == 403
    assert client.get("/v1/calls", headers={"X-API-Key": KEYS["read"]}).status_code == 200
    assert client.post("/v1/lexicons/reload", headers=auth("read")).status_code == 403
    assert client.get("/healthz").status_code == 200


def test_errors_have_one_shape(client):
    h = {**auth("ingest"), "content-type": "application/json"}
    r = client.post("/v1/calls", content=b'{"call_id": "x", ', headers=h)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("invalid JSON")
    r = client.post("/v1/calls", json={"call_id": "x", "utterances": [{"speaker": "坐席", "text": "您好"}]}, headers=h)
    err = r.json()["error"]
    assert r.status_code == 422 and err["details"][0]["field"] == "utterances.0.speaker"
    r = client.post("/v1/calls", json={"call_id": "x", "utterances": [{"speaker": "customer", "text": "喂"}]}, headers=h)
    assert r.status_code == 422 and "no agent speech" in r.json()["error"]["message"]
    big = {"call_id": "big", "utterances": [{"speaker": "agent", "text": "您好" * 40000}]}
    r = client.post("/v1/calls", json=big, headers=h)
    assert r.status_code == 413 and "65536 bytes" in r.json()["error"]["message"]
    r = client.get("/v1/calls/missing", headers=auth("read"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/calls", params={"cursor": "zzz"}, headers=auth("read"))
    assert r.status_code == 400 and "cursor" in r.json()["error"]["message"]
    # nothing half-stored by any of the refused requests
    assert client.get("/v1/calls", headers=auth("read")).json()["total"] == 0


def test_lexicon_reload_refused_then_taken(client):
    before = client.get("/v1/lexicons", headers=auth("read")).json()["version"]
    (client.lexdir / "closing.yaml").write_text("rules:\n  - id: closing\n    kind: nope\n", encoding="utf-8")
    r = client.post("/v1/lexicons/reload", headers=auth("admin"))
    assert r.status_code == 422
    assert any(d["rule_id"] == "closing" and d["field"] == "kind" for d in r.json()["error"]["details"])
    assert client.get("/v1/lexicons", headers=auth("read")).json()["version"] == before
    shutil.copy(default_lexicon_dir() / "closing.yaml", client.lexdir / "closing.yaml")
    p = client.lexdir / "closing.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    r = client.post("/v1/lexicons/reload", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["version"] != before


def _metric(text: str, name: str) -> float:
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_metrics_and_docs(client):
    before = client.get("/metrics").text
    client.post("/v1/calls", json=_calls()[1], headers=auth("ingest"))
    text = client.get("/metrics").text
    assert 'callqa_violations_total{rule_id="forbidden"}' in text
    assert "callqa_http_request_seconds_bucket" in text
    # the call's transaction is counted before its answer goes out
    for name in ("callqa_store_batch_calls_count", "callqa_store_batch_calls_sum", "callqa_store_write_seconds_count"):
        assert _metric(text, name) == _metric(before, name) + 1, name
    spec = client.get("/openapi.json").json()
    assert "/v1/calls" in spec["paths"] and "/v1/stats/rules" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_openapi_documents_errors_and_keys(client):
    """The OpenAPI document says what the service answers: every error as ErrorBody (never
    FastAPI's own validation shape, which the service does not send), the ways to send a
    key, and that a call has at least one utterance."""
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            errors = {code for code, answer in op["responses"].items()
                      if answer.get("content", {}).get("application/json", {}).get("schema") == error}
            if path == "/healthz":
                assert "security" not in op and errors == {"503"}
                continue
            assert op["security"] == [{"bearer": []}, {"apiKey": []}], path
            assert {"401", "403"} <= errors, (method, path)
    assert {"400", "413", "422"} <= set(spec["paths"]["/v1/calls"]["post"]["responses"])
    assert "404" in spec["paths"]["/v1/calls/{call_id}"]["get"]["responses"]
    assert spec["components"]["schemas"]["Call"]["properties"]["utterances"]["minItems"] == 1


def test_the_served_app_settles_the_garbage_collector(tmp_path):
    """`callqa serve`'s app, once started, has frozen what start-up left alive (the lexicon,
    jieba's dictionary) and collects its young generation less often. In a process of its
    own: the collector's settings are the whole process's."""
    import subprocess
    import sys

    from app.runtime import GC_YOUNG_THRESHOLD

    script = ("import gc\n"
              "from fastapi.testclient import TestClient\n"
              "from app.api.app import create_service\n"
              "print(gc.get_threshold()[0], gc.get_freeze_count())\n"
              "with TestClient(create_service(), client=(\"127.0.0.1\", 50000)):\n"
              "    print(gc.get_threshold()[0], gc.get_freeze_count())\n")
    env = {**os.environ, "CALLQA_DATABASE_URL": f"sqlite:///{tmp_path}/gc.db"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    (before_threshold, before_frozen), (threshold, frozen) = (map(int, line.split()) for line in done.stdout.split("\n")[:2])
    assert (before_threshold, before_frozen) == (700, 0)
    assert threshold == GC_YOUNG_THRESHOLD and frozen > 50_000
