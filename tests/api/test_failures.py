"""The service when its database goes away, and when a bug escapes: the one error shape, and
a message that says whether to send the call again."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.api.app import create_app
from app.settings import Settings
from tests.conftest import PG_URL, _pg_reachable

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _call() -> dict:
    return json.loads((SAMPLES / "calls.jsonl").read_text(encoding="utf-8").splitlines()[0])


@pytest.fixture()
def own_database():
    """A PostgreSQL database of this test's own, so it can be taken away while the service runs."""
    reason = _pg_reachable(PG_URL)
    if reason:
        pytest.skip(reason)
    name = f"callqa_outage_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin, name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        for db in (name, name + "_away"):
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (db,))
            admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        admin.close()


def test_database_outage_answers_503_then_the_service_recovers(own_database):
    admin, name, url = own_database
    call = _call()
    with TestClient(create_app(Settings(database_url=url)), client=("127.0.0.1", 50000)) as client:
        assert client.post("/v1/calls", json=call).status_code == 201
        # the database goes away: its connections are cut and new ones refused
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"')
        for method, path in (("get", "/healthz"), ("get", "/v1/calls"), ("post", "/v1/calls"),
                             ("get", f"/v1/calls/{call['call_id']}"), ("get", "/v1/stats/rules")):
            r = client.request(method, path, json=call if method == "post" else None)
            err = r.json()["error"]
            assert r.status_code == 503 and err["code"] == "unavailable", (path, r.text)
            assert r.headers["retry-after"] == "5"
            assert ("send it again" in err["message"]) == (method == "post"), path
        # scoring alone does not need the database
        assert client.post("/v1/score", json=call).status_code == 200
        admin.execute(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')
        assert client.get("/healthz").status_code == 200
        # the call sent again is stored once, replacing the first copy
        assert client.post("/v1/calls", json=call).status_code == 200
        assert client.get("/v1/calls").json()["total"] == 1


def test_connections_the_server_closed_are_replaced_without_an_error(own_database):
    """As after a restart of PostgreSQL: every pooled connection is cut while the service is
    idle. The next call is stored on a new connection, and queries go on."""
    admin, name, url = own_database
    calls = [json.loads(line) for line in (SAMPLES / "calls.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    with TestClient(create_app(Settings(database_url=url)), client=("127.0.0.1", 50000)) as client:
        assert client.post("/v1/calls", json=calls[0]).status_code == 201
        assert client.get("/v1/calls").status_code == 200
        cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                            (name,)).fetchone()[0]
        assert cut >= 1
        r = client.post("/v1/calls", json=calls[1])
        assert r.status_code == 201, r.text
        assert client.get("/v1/calls").json()["total"] == 2


def test_an_unexpected_error_keeps_the_error_shape(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'callqa.db'}"))

    def broken():
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000)) as client:
        r = client.get("/broken")
    err = r.json()["error"]
    assert r.status_code == 500 and err["code"] == "internal"
    assert "GET /broken" in err["message"] and "service log" in err["message"]
