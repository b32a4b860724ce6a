"""insert_rows writes every value back exactly as given, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select

from app.store.bulk import insert_rows
from app.store.tables import CallRow, DailyRulesRow, HitRow

AWKWARD = ['引号"里', "反斜杠\\n不是换行", "\\", '"', "", " 前后空格 ", "{,}", "NULL", "null", "逗号,分号;",
           "换\n行\t制表", "emoji 😀", "'单引号'"]


def _call_row(call_id: str, **over) -> dict:
    row = {"call_id": call_id, "agent_id": None, "team_id": "t", "started_at": None, "direction": None,
           "score": 87.5, "passed": True, "lexicon_version": "v", "received_at": datetime(2026, 11, 1, tzinfo=UTC),
           "transcript": '{"a": "b\\"c"}', "result": "{}"}
    row.update(over)
    return row


def test_awkward_values_round_trip(engine):
    tz8 = timezone(timedelta(hours=8))
    calls = [_call_row("c1", agent_id=AWKWARD[0], started_at=datetime(2026, 10, 5, 9, 30, 15, 123456, tzinfo=tz8),
                       passed=False, score=0.1 + 0.2, transcript='{"text": "他说\\"不行\\"\\\\"}'),
             _call_row("c2", score=-0.0, passed=True)]
    hits = [{"call_id": "c1", "rule_id": "forbidden", "phrase": p, "matched": p[::-1], "method": "exact",
             "utterance_index": i, "agent_id": None, "team_id": "", "started_at": None} for i, p in enumerate(AWKWARD)]
    with engine.begin() as conn:
        insert_rows(conn, CallRow.__table__, calls)
        insert_rows(conn, HitRow.__table__, hits)
    with engine.connect() as conn:
        stored = {r.call_id: r for r in conn.execute(select(CallRow))}
        got = [(r.phrase, r.matched, r.utterance_index, r.agent_id, r.team_id, r.started_at)
               for r in conn.execute(select(HitRow).order_by(HitRow.utterance_index))]
    assert got == [(p, p[::-1], i, None, "", None) for i, p in enumerate(AWKWARD)]
    c1 = stored["c1"]
    assert (c1.agent_id, c1.passed, c1.score, c1.transcript) == (AWKWARD[0], False, 0.1 + 0.2, calls[0]["transcript"])
    assert c1.started_at == datetime(2026, 10, 5, 1, 30, 15, 123456, tzinfo=UTC)
    assert (stored["c2"].agent_id, stored["c2"].started_at, stored["c2"].passed) == (None, None, True)


def test_counters_add_up_on_conflict(engine):
    key = {"day": date(2026, 10, 5), "rule_id": "greeting", "team_id": "", "agent_id": "a1"}
    with engine.begin() as conn:
        insert_rows(conn, DailyRulesRow.__table__, [{**key, "calls": 2, "applicable": 2, "failed": 1, "hits": 3}],
                    add_on_conflict=True)
        insert_rows(conn, DailyRulesRow.__table__,
                    [{**key, "calls": -1, "applicable": -1, "failed": 0, "hits": 4},
                     {**key, "agent_id": "a2", "calls": 1, "applicable": 0, "failed": 0, "hits": 0}],
                    add_on_conflict=True)
    with engine.connect() as conn:
        rows = {r.agent_id: (r.day, r.calls, r.applicable, r.failed, r.hits) for r in conn.execute(select(DailyRulesRow))}
    assert rows == {"a1": (date(2026, 10, 5), 1, 1, 1, 7), "a2": (date(2026, 10, 5), 1, 0, 0, 0)}
