from __future__ import annotations

import os

import pytest

from app.lexicon.compiler import CompiledLexicon, default_lexicon_dir, load_lexicon
from app.models import Call


@pytest.fixture(scope="session")
def lexicon() -> CompiledLexicon:
    return load_lexicon(default_lexicon_dir())


def make_call(*turns, call_id="t-1", company="瑞丰电器", direction=None, timed=False, **extra) -> Call:
    """turns: (speaker, text) or (speaker, text, start_ms, end_ms)."""
    utts = []
    for t in turns:
        u = {"speaker": t[0], "text": t[1]}
        if len(t) == 4:
            u["start_ms"], u["end_ms"] = t[2], t[3]
        utts.append(u)
    data = {"call_id": call_id, "utterances": utts, "variables": {"company": company} if company else {}, **extra}
    if direction:
        data["direction"] = direction
    return Call.model_validate(data)


PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: skip, saying why
        return f"no PostgreSQL at {url} ({type(exc).__name__}: {str(exc).strip()[:120]})"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty database: an SQLite file, or the `test` database of a real
    PostgreSQL (its tables dropped first, so each test starts clean)."""
    from app.store.db import drop_everything, make_engine, migrate

    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'callqa.db'}")
    else:
        reason = _pg_reachable(PG_URL)
        if reason:
            pytest.skip(reason)
        eng = make_engine(PG_URL)
        drop_everything(eng)
    migrate(eng)
    yield eng
    eng.dispose()
